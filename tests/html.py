"""A test client that parses every HTML page it receives and checks the basics of each.

Every page must have a non-empty title, every form an action, and no id may appear twice.
"""

from collections import Counter

import html5lib
from flask.testing import FlaskClient

NS = "{http://www.w3.org/1999/xhtml}"


def page_problems(markup: str) -> list[str]:
    tree = html5lib.parse(markup)
    problems = []
    title = tree.find(f".//{NS}title")
    if title is None or not (title.text or "").strip():
        problems.append("page has no title")
    for form in tree.iter(f"{NS}form"):
        if not form.get("action"):
            problems.append(f"form without action: {form.attrib}")
    ids = Counter(el.get("id") for el in tree.iter() if el.get("id"))
    problems += [f"duplicate id {name!r}" for name, count in ids.items() if count > 1]
    return problems


class CheckingClient(FlaskClient):
    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        is_fragment = response.request.headers.get("HX-Request") == "true"
        if response.mimetype == "text/html" and not is_fragment:
            problems = page_problems(response.get_data(as_text=True))
            assert not problems, f"{response.request.path}: {problems}"
        return response


def csrf_token(response) -> str:
    """The CSRF token of the first form on a page, as a browser would submit it."""
    tree = html5lib.parse(response.get_data(as_text=True))
    for field in tree.iter(f"{NS}input"):
        if field.get("name") == "csrf_token":
            return field.get("value")
    raise AssertionError(f"no CSRF token on {response.request.path}")


def submit(client, path: str, data: dict, **kwargs):
    """GET a page, then POST its form with the given fields and the page's CSRF token."""
    token = csrf_token(client.get(path))
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)
