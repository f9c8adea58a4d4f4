"""Office staff accounts (counter officers and supervisors of one office), made from the command
line with the administrators' checks; they enrol their second factor at their first sign-in."""

from webapp.extensions import db
from webapp.models import Office
from webapp.rules import roles
from webapp.services import offices, staff_auth
from webapp.services.administrators import AccountRefused, create_account, existing_account


def _office(code: str) -> Office:
    office = offices.by_code((code or "").strip().lower())
    if office is None:
        raise AccountRefused(f"There is no office with the code {code!r}; nothing changed.")
    return office


def _office_role(role: str) -> str:
    if role not in roles.OFFICE_ROLES:
        raise AccountRefused(f"A member of an office is staff or supervisor, not {role!r}.")
    return role


def staff_exists(email: str, full_name: str, office_code: str, role: str) -> bool:
    """True when the address is already an open account of this role at this office (nothing to
    do), False when it is free; AccountRefused when anything is wrong or it is another kind."""
    office, role = _office(office_code), _office_role(role)
    return existing_account(email, full_name, role, office.id)


def create_staff(email: str, full_name: str, office_code: str, role: str, password: str) -> bool:
    """Make a verified staff account of the office; False when it already exists (nothing
    changed). Its creation goes on the account's security record."""
    office, role = _office(office_code), _office_role(role)
    user = create_account(email, full_name, password, role, office.id)
    if user is None:
        return False
    staff_auth.record(user.id, staff_auth.CREATED, detail=f"{role} of {office.code}")
    db.session.commit()
    return True
