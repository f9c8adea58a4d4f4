"""The audit trail: append-only in the database, and shown as each application's history."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from tests.factories import make_application, make_office, make_user, submitted_application
from tests.integration.test_wizard import signed_in
from tests.staff import make_administrator, sign_in_staff
from webapp.extensions import db
from webapp.models import AuditEntry
from webapp.services import applications, audit


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11 if day > 20 else 12, day, hour, minute, tzinfo=UTC)


def booked_in_makassar(user) -> tuple[int, str, str]:
    """A scheduled application at a WITA office whose trail covers a whole booking, as the
    application, hold and bill state machines write it; returns its id, public id and number."""
    application = submitted_application(user, make_office())
    application.status = "scheduled"
    rows = [
        ("application", None, "draft", "submitted", at(24, 1), None),
        ("application", None, "submitted", "awaiting_payment", at(24, 2), None),
        ("hold", 7, None, "held", at(24, 2), None),
        ("bill", 9, None, "open", at(24, 2), None),
        ("bill", 9, "open", "paid", at(24, 3, 15), "paid TX-1"),
        ("hold", 7, "held", "paid", at(24, 3, 15), None),
        ("application", None, "awaiting_payment", "scheduled", at(24, 3, 15), "paid TX-1"),
        (
            "hold",
            7,
            "paid",
            "moved",
            at(25, 0, 30),
            "rescheduled from 2026-12-01T01:00:00+00:00 to 2026-12-02T06:00:00+00:00",
        ),
    ]
    for entity, entity_id, before, after, when, reason in rows:
        db.session.add(
            AuditEntry(
                application_id=application.id,
                entity=entity,
                entity_id=entity_id,
                actor_id=user.id if entity == "application" else None,
                from_status=before,
                to_status=after,
                at=when,
                reason=reason,
            )
        )
    db.session.commit()
    return application.id, application.public_id, application.number


def test_the_database_refuses_to_change_or_delete_an_audit_entry(app):
    with app.app_context():
        user = make_user()
        application = make_application(user, nik=None)
        applications.cancel(application, "changed my mind")  # written by the state machine
        for statement in (
            update(AuditEntry).values(reason="never happened"),
            delete(AuditEntry),
        ):
            with pytest.raises(IntegrityError, match="append-only"):
                db.session.execute(statement)
            db.session.rollback()
        entry = db.session.scalar(select(AuditEntry))
        db.session.delete(entry)
        with pytest.raises(IntegrityError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        if db.engine.dialect.name == "postgresql":
            with pytest.raises(IntegrityError, match="append-only"):
                db.session.execute(sa.text("TRUNCATE audit_entries CASCADE"))
            db.session.rollback()
        entries = db.session.execute(select(AuditEntry.to_status, AuditEntry.reason)).all()
        assert entries == [("cancelled", "changed my mind")]


def test_the_application_page_shows_its_history_in_office_time(app):
    with app.app_context():
        user = make_user(email="siti@contoh.id", locale="id")
        _, public_id, _ = booked_in_makassar(user)
    page = signed_in(app).get(f"/applications/{public_id}").text
    assert '<h2 id="history-title">Riwayat</h2>' in page
    expected = [
        "24 November 2026, 09.00 WITA</time>: Terkirim (siap memilih jadwal)",
        "24 November 2026, 10.00 WITA</time>: Menunggu pembayaran",
        "24 November 2026, 10.00 WITA</time>: Tempat ditahan, menunggu pembayaran",
        "24 November 2026, 10.00 WITA</time>: Kode billing diterbitkan",
        "24 November 2026, 11.15 WITA</time>: Pembayaran diterima",
        "24 November 2026, 11.15 WITA</time>: Jadwal kedatangan dikonfirmasi",
        "24 November 2026, 11.15 WITA</time>: Terjadwal",
        "25 November 2026, 08.30 WITA</time>: Jadwal kedatangan diubah",
    ]
    positions = [page.index(line) for line in expected]
    assert positions == sorted(positions)
    assert "(Dari 1 Desember 2026, 09.00 WITA menjadi 2 Desember 2026, 14.00 WITA)" in page
    assert "TX-1" not in page  # recorded reasons are for administrators


def test_before_an_office_is_chosen_the_history_is_in_jakarta_time(app):
    with app.app_context():
        user = make_user(email="siti@contoh.id", locale="en")
        application = make_application(user, nik=None)
        db.session.add(
            AuditEntry(
                application_id=application.id,
                from_status="draft",
                to_status="cancelled",
                at=at(24, 2),
            )
        )
        db.session.commit()
        user_id, application_id = user.id, application.id
    with app.test_request_context(), force_locale("en"):
        entries = audit.for_owner(user_id, application_id)
        assert [(e.when, e.what) for e in entries] == [("24 November 2026, 09:00 WIB", "Cancelled")]


def test_an_administrator_looks_up_any_trail_by_number_and_an_applicant_cannot(app):
    with app.app_context():
        owner = make_user(email="siti@contoh.id", locale="en")
        make_administrator(email="admin@contoh.id", locale="en")
        _, _, number = booked_in_makassar(owner)
    assert signed_in(app).get(f"/admin/history?number={number}").status_code == 403
    admin = sign_in_staff(app, "admin@contoh.id")
    page = admin.get(f"/admin/history?number={number}").text
    assert f"Application {number}" in page
    assert "24 November 2026, 11:15 WITA" in page and "Payment received" in page
    assert "paid TX-1" in page and "Applicant" in page and "System" in page
    unknown = admin.get("/admin/history?number=2611200000000000")
    assert unknown.status_code == 404 and "No application has this number." in unknown.text
    assert admin.get("/admin/history?number=%27%20OR%201%3D1").status_code == 404
    assert admin.get("/admin/history").status_code == 200


def test_another_accounts_history_is_not_reachable(app):
    with app.app_context():
        owner = make_user(email="siti@contoh.id")
        stranger = make_user(email="budi@contoh.id")
        application_id, public_id, _ = booked_in_makassar(owner)
        owner_id, stranger_id = owner.id, stranger.id
    with app.test_request_context(), force_locale("en"):
        assert audit.for_owner(stranger_id, application_id) == []
        assert len(audit.for_owner(owner_id, application_id)) == 8
    assert signed_in(app, "budi@contoh.id").get(f"/applications/{public_id}").status_code == 404
