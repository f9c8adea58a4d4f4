"""Signs of scalping for administrators: accounts sharing a phone number or a device, NIKs left
in several accounts, holds let go; listed with their figures, and nothing blocked."""

from sqlalchemy import func, select

from tests.factories import PASSWORD, make_application, make_office, make_slot, make_user
from tests.html import submit
from tests.integration.test_wizard import signed_in
from tests.staff import make_administrator, make_staff, sign_in_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import AccountDevice, Hold
from webapp.services import devices

PAGE = "/admin/signals"
ADMIN = "admin@contoh.id"


def section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"')[1].split("</table>")[0]


def test_accounts_sharing_a_phone_are_listed_and_others_not(app):
    with app.app_context():
        make_user(email="calo1@contoh.id", phone="+6281100000001")
        make_user(email="calo2@contoh.id", phone="+6281100000001")
        make_user(email="sendiri@contoh.id", phone="+6281100000002")
        make_staff(make_office(), email="petugas@contoh.id", phone="+6281100000002")
        make_administrator(email=ADMIN)
    phones = section(sign_in_staff(app, ADMIN).get(PAGE).text, "phones")
    assert "+6281100000001" in phones
    assert "calo1@contoh.id" in phones and "calo2@contoh.id" in phones
    assert "+6281100000002" not in phones  # one applicant and a member of staff: no sign


def test_accounts_signing_in_from_one_browser_share_a_device(app):
    with app.app_context():
        for email in ("satu@contoh.id", "dua@contoh.id", "lain@contoh.id"):
            make_user(email=email, locale="en")
        make_administrator(email=ADMIN)
    phone = app.test_client()
    for email in ("satu@contoh.id", "dua@contoh.id", "satu@contoh.id"):
        assert submit(phone, "/login", {"email": email, "password": PASSWORD}).status_code == 302
    cookie = phone.get_cookie(devices.COOKIE)
    assert cookie is not None and cookie.http_only
    signed_in(app, "lain@contoh.id")  # another browser
    with app.app_context():
        make_staff(make_office(), email="loket@contoh.id")
    # A counter's computer, shared by its staff, is no sign: the device is recorded at login.
    assert (
        submit(phone, "/login", {"email": "loket@contoh.id", "password": PASSWORD}).status_code
        == 302
    )
    with app.app_context():
        # Signing in again from the same browser is the same device, not a second row.
        assert db.session.scalar(select(func.count(AccountDevice.id))) == 4
    page = section(sign_in_staff(app, ADMIN).get(PAGE).text, "devices")
    assert "satu@contoh.id" in page and "dua@contoh.id" in page and "lain@contoh.id" not in page
    assert "loket@contoh.id" not in page
    assert cookie.value not in page  # the cookie itself is never shown, nor stored


def test_a_nik_left_in_several_accounts_is_listed_masked(app):
    nik = "3171011212900007"
    with app.app_context():
        first = make_user(email="a@contoh.id")
        second = make_user(email="b@contoh.id")
        make_application(first, nik=nik).status = "cancelled"
        make_application(second, nik=nik)
        only_one = make_user(email="c@contoh.id")
        make_application(only_one, nik="3171011212900008")
        db.session.commit()
        make_administrator(email=ADMIN)
    niks = section(sign_in_staff(app, ADMIN).get(PAGE).text, "niks")
    assert "317101" in niks and "0007" in niks and nik not in niks
    assert "a@contoh.id" in niks and "b@contoh.id" in niks
    assert "0008" not in niks and "c@contoh.id" not in niks


def test_holds_let_expire_are_counted_per_account(app):
    with app.app_context():
        user = make_user(email="siti@contoh.id")
        application = make_application(user)
        slot = make_slot(make_office(), clock.now())
        for status in ("expired", "expired", "cancelled"):
            db.session.add(
                Hold(
                    slot_id=slot.id,
                    application_id=application.id,
                    account_id=user.id,
                    status=status,
                    expires_at=clock.now(),
                )
            )
        db.session.commit()
        make_administrator(email=ADMIN)
    holds = section(sign_in_staff(app, ADMIN).get(PAGE).text, "holds")
    row = holds.split("siti@contoh.id")[1].split("</tr>")[0]
    assert [cell.split("</td>")[0] for cell in row.split("<td>")[1:]] == ["3", "2", "1"]


def test_only_administrators_see_the_signals(app):
    with app.app_context():
        make_user(email="siti@contoh.id")
        make_staff(make_office(), role="supervisor", email="kepala@contoh.id")
    assert signed_in(app).get(PAGE).status_code == 403
    assert sign_in_staff(app, "kepala@contoh.id").get(PAGE).status_code == 403
