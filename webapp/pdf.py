"""The one way to make a PDF: a template of templates/pdf/ rendered by WeasyPrint.

Relative URLs in a PDF template resolve against the project root (``static/fonts/...``). Only
files under static/ and inline ``data:`` URIs are served to WeasyPrint; anything else, and any
file that is missing, stops the rendering with PdfAssetError: a missing font or image is an
error, never a silently blank or wrongly typeset page. Templates are ours only: never render
HTML written by users.
"""

import math
import os
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

from flask import make_response, render_template
from weasyprint import CSS, HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATIC = os.path.join(ROOT, "static")
BASE_URL = "file://" + ROOT + "/"
_MEDIA_TYPES = {
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".css": "text/css",
}


class PdfAssetError(RuntimeError):
    """An asset a PDF template refers to is missing or not allowed."""


class StaticOnlyFetcher(URLFetcher):
    """Serves files under static/ and data: URIs; refuses everything else, loudly."""

    def __init__(self):
        # fail_on_errors: WeasyPrint would otherwise log a warning and render without the asset.
        super().__init__(allowed_protocols=("file", "data"), fail_on_errors=True)

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise PdfAssetError(f"PDF asset outside static/: {url}")
        path = os.path.realpath(unquote(parts.path))
        if os.path.commonpath([path, STATIC]) != STATIC:
            raise PdfAssetError(f"PDF asset outside static/: {url}")
        if not os.path.isfile(path):
            raise PdfAssetError(f"PDF asset missing: {os.path.relpath(path, ROOT)}")
        with open(path, "rb") as handle:
            body = handle.read()
        media_type = _MEDIA_TYPES.get(os.path.splitext(path)[1].lower(), "application/octet-stream")
        return URLFetcherResponse(url, body, {"Content-Type": media_type})


def render_pdf(template: str, **context) -> bytes:
    """Render templates/pdf/<template> to PDF bytes (fonts subset, so files stay small)."""
    with _assets_checked():
        return _html(template, context).write_pdf()


def inline_response(document: bytes, filename: str):
    """A PDF shown in the browser (printable from there), never cached by the way."""
    response = make_response(document)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# Tall enough for anything printed on a roll; the first pass only measures.
_MEASURING_HEIGHT_MM = 2000
_MM_PER_CSS_PX = 25.4 / 96


def render_pdf_fitted(template: str, width_mm: float, **context) -> bytes:
    """Render templates/pdf/<template> on one page `width_mm` wide and exactly as tall as its
    content, for a roll printer that would otherwise feed blank paper.

    Two passes: the first lays the content out on a page taller than any ticket and measures
    where it ends, the second prints on a page of that height. The page's margin is zero: the
    template keeps its own white border as padding of its root element.
    """
    with _assets_checked():
        document = _html(template, context)
        measured = document.render(stylesheets=[_page(width_mm, _MEASURING_HEIGHT_MM)])
        root = measured.pages[0]._page_box.children[0]
        height_mm = math.ceil((root.position_y + root.margin_height()) * _MM_PER_CSS_PX)
        return document.write_pdf(stylesheets=[_page(width_mm, height_mm)])


def _page(width_mm: float, height_mm: float) -> CSS:
    return CSS(string=f"@page {{ size: {width_mm}mm {height_mm}mm; margin: 0 }}")


def _html(template: str, context: dict) -> HTML:
    html = render_template(f"pdf/{template}", **context)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher())


@contextmanager
def _assets_checked():
    try:
        yield
    except FatalURLFetchingError as error:
        # A BaseException in WeasyPrint; turn it into an ordinary error with the asset named.
        raise PdfAssetError(str(error.__cause__ or error)) from error.__cause__
