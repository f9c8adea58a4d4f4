"""Staff at the counter's PC in a real browser: signing in with a password and a TOTP code."""

from tests.factories import PASSWORD
from tests.staff import fresh_code


def sign_in_with_code(page, app, email: str) -> None:
    """Password, then the current code; the page is wherever the role lands."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/staff/sign-in/code")
    page.fill("#code", fresh_code(app, email))
    page.press("#code", "Enter")
    page.wait_for_load_state()


def sign_in_at_the_desk(page, app, email: str) -> None:
    sign_in_with_code(page, app, email)
    page.wait_for_url("**/counter/check-in")
