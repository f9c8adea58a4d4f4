"""Only a verified NIK claims: drafts may share one, the second to verify is told neutrally."""

from sqlalchemy import func, select

from tests.conftest import Mailbox
from tests.factories import make_application, make_user
from tests.html import csrf_token
from tests.integration.test_verification import draft, save_personal
from tests.integration.test_wizard import PERSONAL, signed_in
from webapp.extensions import db
from webapp.jobs.verification import verify_nik
from webapp.models import Application, Notification

NEUTRAL = "This NIK cannot be used for a new application now"
# What a refusal must never say or show: that another application or account exists.
REVEALING = ("another", "elsewhere", "already", "budi@contoh.id", "Budi Hartono")


def by_public_id(app, public_id: str) -> Application:
    with app.app_context():
        application = db.session.scalar(
            select(Application).where(Application.public_id == public_id)
        )
        db.session.expunge(application)
        return application


def test_drafts_share_a_nik_and_the_second_to_verify_is_told_neutrally(app):
    siti, siti_id = draft(app)
    budi, budi_id = draft(app, "budi@contoh.id")
    with app.app_context():
        db.session.execute(
            Application.__table__.update()
            .where(Application.public_id == budi_id)
            .values(full_name="Budi Hartono")
        )
        db.session.commit()
    assert save_personal(siti, siti_id).status_code == 302
    Mailbox(app).run_jobs()
    assert by_public_id(app, siti_id).nik_status == "verified"

    # Budi types the same NIK: it saves like any other, and only the registry check tells.
    assert save_personal(budi, budi_id).status_code == 302
    Mailbox(app).run_jobs()
    refused = by_public_id(app, budi_id)
    assert (refused.nik_status, refused.nik_reason) == ("unavailable", "claimed")
    page = budi.get(f"/applications/{budi_id}/travel").text
    assert NEUTRAL in page and siti_id not in page
    mail = Mailbox.text(Mailbox(app).last("budi@contoh.id"))
    assert NEUTRAL in mail and "contact an immigration office" in mail
    assert "Dukcapil record must be corrected" not in mail  # the data were right
    for words in (*REVEALING, "siti@contoh.id", siti_id):
        assert words not in mail and words not in page.replace("budi@contoh.id", "")
    assert by_public_id(app, siti_id).nik_status == "verified"  # the first keeps its claim


def test_one_account_may_hold_two_drafts_with_one_nik_but_verify_only_one(app):
    with app.app_context():
        user = make_user(email="siti@contoh.id", locale="en")
        ids = [make_application(user, nik=None).public_id for _ in range(2)]
    client = signed_in(app)
    for public_id in ids:
        assert save_personal(client, public_id).status_code == 302
    Mailbox(app).run_jobs()
    statuses = sorted(by_public_id(app, public_id).nik_status for public_id in ids)
    assert statuses == ["unavailable", "verified"]


def test_a_nik_freed_by_the_other_application_verifies_on_the_next_check(app):
    with app.app_context():
        owner = make_user(email="budi@contoh.id")
        taken = make_application(owner, nik=PERSONAL["nik"], nik_status="verified")
        taken_id = taken.id
    client, public_id = draft(app)
    save_personal(client, public_id)
    Mailbox(app).run_jobs()
    assert by_public_id(app, public_id).nik_status == "unavailable"
    page = client.get(f"/applications/{public_id}/travel")
    assert "Check again" in page.text
    with app.app_context():
        db.session.get(Application, taken_id).status = "cancelled"
        db.session.commit()
    client.post(f"/applications/{public_id}/nik-status", data={"csrf_token": csrf_token(page)})
    Mailbox(app).run_jobs()
    assert by_public_id(app, public_id).nik_status == "verified"


def test_a_repeated_or_late_check_of_a_refused_nik_changes_nothing(app):
    with app.app_context():
        owner = make_user(email="budi@contoh.id")
        make_application(owner, nik=PERSONAL["nik"], nik_status="verified")
    client, public_id = draft(app)
    save_personal(client, public_id)
    Mailbox(app).run_jobs()
    refused = by_public_id(app, public_id)
    with app.app_context():
        verify_nik(refused.id, refused.nik_check_version)  # the same job again
        verify_nik(refused.id, refused.nik_check_version - 1)  # an answer about older data
        told = db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.application_id == refused.id, Notification.event == "nik_refused"
            )
        )
    assert told == 1
    again = by_public_id(app, public_id)
    assert (again.nik_status, again.nik_check_version) == ("unavailable", refused.nik_check_version)
