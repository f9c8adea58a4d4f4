"""Who an account is: an applicant, or a member of staff of one office, or a national administrator.

The role is a fact in the database (users.role) with the office it belongs to (users.office_id):
staff and supervisors have exactly one office, applicants and administrators none.
"""

APPLICANT = "applicant"
STAFF = "staff"  # a counter officer (petugas loket) of one office
SUPERVISOR = "supervisor"  # kepala seksi of one office: acts as staff, and signs off
ADMINISTRATOR = "admin"  # national

ROLES = (APPLICANT, STAFF, SUPERVISOR, ADMINISTRATOR)
OFFICE_ROLES = frozenset({STAFF, SUPERVISOR})
# Every account that is not an applicant signs in with a second factor (TOTP).
SECOND_FACTOR_ROLES = frozenset({STAFF, SUPERVISOR, ADMINISTRATOR})


def belongs_to_an_office(role: str) -> bool:
    return role in OFFICE_ROLES


def needs_second_factor(role: str) -> bool:
    return role in SECOND_FACTOR_ROLES
