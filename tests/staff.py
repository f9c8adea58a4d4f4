"""Office staff for tests: accounts of an office, signed in as a member of staff signs in."""

from tests.factories import PASSWORD, make_user
from tests.journeys import sign_in
from webapp.models import Office, User
from webapp.views.access import SECOND_FACTOR


def make_staff(office: Office, *, role: str = "staff", **fields) -> User:
    """A member of staff (or a supervisor) of the office; inside an app context."""
    return make_user(role=role, office_id=office.id, **fields)


def sign_in_staff(app, email: str, password: str = PASSWORD):
    """A client signed in as the member of staff, second factor given."""
    client = sign_in(app, email)
    with app.app_context():
        user = User.query.filter_by(email=email).one()
        session_id = user.get_id()
    with client.session_transaction() as session:
        session[SECOND_FACTOR] = session_id
    return client
