"""Office staff and administrators for tests: accounts enrolled with a known second factor, signed
in as a person signs in (password, then the code from the authenticator app)."""

import pyotp
from sqlalchemy import update

from tests.factories import PASSWORD, make_user
from tests.html import submit
from webapp import clock
from webapp.extensions import db
from webapp.models import Office, User
from webapp.rules import roles
from webapp.services import staff_auth

# The secret every test account's authenticator app holds.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _enrolled_user(**fields) -> User:
    user = make_user(**fields)
    staff_auth.enrolled(user, TOTP_SECRET)
    db.session.commit()
    return user


def make_staff(office: Office, *, role: str = "staff", **fields) -> User:
    """A member of staff (or a supervisor) of the office, second factor enrolled; inside an app
    context."""
    return _enrolled_user(role=role, office_id=office.id, **fields)


def make_administrator(**fields) -> User:
    """A system administrator, second factor enrolled; inside an app context."""
    return _enrolled_user(role=roles.ADMINISTRATOR, **fields)


def code_at(step: int) -> str:
    return pyotp.TOTP(TOTP_SECRET).generate_otp(step)


def current_step() -> int:
    return pyotp.TOTP(TOTP_SECRET).timecode(clock.now())


def fresh_code(app, email: str) -> str:
    """A code the app accepts now for this account and still accepts when the next time step
    begins on the way: the current step's, or the next one's when the current is used. A test
    signing one account in more often than that (a third time within half a minute) starts the
    account's steps over."""
    with app.app_context():
        user = User.query.filter_by(email=email).one()
        used, step = user.totp_last_step or 0, current_step()
        if used >= step:
            step += 1
        if used >= step:
            step = current_step()
            db.session.execute(update(User).where(User.id == user.id).values(totp_last_step=None))
            db.session.commit()
    return code_at(step)


def sign_in_staff(app, email: str, password: str = PASSWORD):
    """A client signed in through the login and code pages, second factor given."""
    client = app.test_client()
    login = submit(client, "/login", {"email": email, "password": password})
    assert login.location == "/staff/sign-in/code", login.status_code
    given = submit(client, "/staff/sign-in/code", {"code": fresh_code(app, email)})
    assert given.status_code == 302, given.status_code
    return client
