"""The counter's decision: approve once every document is judged and the capture is done,
incomplete with the documents owed and their deadline, reject with a reason; each through the
state machine, audited with the officer and the counter, mailed to the applicant."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import jpeg_bytes, make_office
from tests.reviews import counter_officer, in_service, ready_to_approve
from tests.staff import make_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, AuditEntry, Notification, Review
from webapp.rules import decisions, statuses
from webapp.services import documents, review


def _application(visit) -> Application:
    db.session.expire_all()
    return db.session.get(Application, visit.application_id)


def _last_move(application_id: int) -> AuditEntry:
    return db.session.scalars(
        select(AuditEntry)
        .filter_by(application_id=application_id, entity="application")
        .order_by(AuditEntry.id.desc())
    ).first()


def _events(application_id: int) -> list[str]:
    return db.session.scalars(
        select(Notification.event).filter_by(application_id=application_id)
    ).all()


def test_approval_is_audited_with_officer_and_counter_and_mailed(app):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office, counter=4)
        visit = in_service(office, staff)
        ready_to_approve(staff, visit.application_id)
        review.approve(staff, visit.application_id)
        application = _application(visit)
        assert application.status == statuses.APPROVED
        move = _last_move(application.id)
        assert (move.from_status, move.to_status, move.actor_id, move.counter_number) == (
            statuses.IN_REVIEW,
            statuses.APPROVED,
            staff.id,
            4,
        )
        assert "approved" in _events(application.id)


@pytest.mark.parametrize("missing", ["judgement", "capture", "mismatch"])
def test_approval_waits_for_every_document_judged_matching_and_the_capture(app, missing):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        visit = in_service(office, staff)
        codes = [code for code, _d in documents.required_items(_application(visit))]
        for code in codes[1:] if missing == "judgement" else codes:
            review.judge(staff, visit.application_id, code, missing != "mismatch", "foto beda")
        if missing != "capture":
            review.record_capture(staff, visit.application_id, "CAP-01", "CAP-01")
        with pytest.raises(review.ReviewRefused) as refused:
            review.approve(staff, visit.application_id)
        expected = {
            "judgement": "documents_not_judged",
            "capture": "capture_missing",
            "mismatch": "document_mismatch",
        }
        assert refused.value.code == expected[missing]
        assert _application(visit).status == statuses.IN_REVIEW


def test_a_second_decision_is_refused_and_changes_nothing(app):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        visit = in_service(office, staff)
        ready_to_approve(staff, visit.application_id)
        review.approve(staff, visit.application_id)
        with pytest.raises(review.ReviewRefused) as refused:
            review.reject(staff, visit.application_id, decisions.FALSE_DATA, "")
        assert refused.value.code == "already_decided"
        assert _application(visit).status == statuses.APPROVED


def test_another_offices_application_is_not_found(app):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        visit = in_service(office, staff)
        stranger = make_staff(make_office())
        for decide in (
            lambda: review.approve(stranger, visit.application_id),
            lambda: review.reject(stranger, visit.application_id, decisions.FALSE_DATA, ""),
            lambda: review.service_file(stranger, visit.id),
        ):
            with pytest.raises(review.NotFound):
                decide()
        assert _application(visit).status == statuses.IN_REVIEW


def test_rejection_needs_a_reason_from_the_list_and_forfeits_the_fee(app):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office, counter=6)
        visit = in_service(office, staff)
        with pytest.raises(review.ReviewRefused) as refused:
            review.reject(staff, visit.application_id, "", "tidak suka")
        assert refused.value.code == "no_reason"
        review.reject(staff, visit.application_id, decisions.NOT_ORIGINAL, "KTP fotokopi")
        application = _application(visit)
        assert (application.status, application.refund_review) == (statuses.REJECTED, False)
        row = db.session.scalar(select(Review).filter_by(application_id=application.id))
        assert (row.rejection_reason, row.rejection_note, row.decided_by, row.counter_number) == (
            decisions.NOT_ORIGINAL,
            "KTP fotokopi",
            staff.id,
            6,
        )
        assert _last_move(application.id).reason == decisions.NOT_ORIGINAL
        assert "rejected" in _events(application.id)


def test_a_travel_ban_rejection_needs_a_supervisor_of_the_office(app):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        visit = in_service(office, staff)
        elsewhere = make_staff(make_office(), role="supervisor")
        for confirmer in (None, staff, elsewhere):
            with pytest.raises(review.ReviewRefused) as refused:
                review.reject(
                    staff, visit.application_id, decisions.TRAVEL_BAN, "", confirmed_by=confirmer
                )
            assert refused.value.code == "needs_supervisor"
        supervisor = make_staff(office, role="supervisor")
        review.reject(
            supervisor, visit.application_id, decisions.TRAVEL_BAN, "", confirmed_by=supervisor
        )
        assert _application(visit).status == statuses.REJECTED


def test_incomplete_then_supplied_reviewed_and_approved(app):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        visit = in_service(office, staff)
        application_id = visit.application_id
        first_code = documents.required_items(_application(visit))[0][0]
        with pytest.raises(review.ReviewRefused):
            review.mark_incomplete(staff, application_id, ["not-a-document"])
        review.mark_incomplete(staff, application_id, [first_code])
        application = _application(visit)
        owed = review.owed(application)
        assert application.status == statuses.INCOMPLETE
        assert owed.owed_documents == [first_code]
        assert owed.owed_until - owed.owed_since == timedelta(days=7)
        assert "incomplete" in _events(application_id)
        [(listed, _row, supplied)] = review.returned_documents(staff)
        assert (listed.id, supplied) == (application_id, False)
        with pytest.raises(review.ReviewRefused) as refused:
            review.resume(staff, application_id)
        assert refused.value.code == "still_owed"

        review.refuse_late_upload(application, first_code)  # allowed: owed, in time
        with pytest.raises(review.ReviewRefused):
            review.refuse_late_upload(application, "not-owed")
        documents.upload(application, first_code, jpeg_bytes(colour="grey"))
        assert review.returned_documents(staff)[0][2] is True
        review.resume(staff, application_id)
        assert _application(visit).status == statuses.IN_REVIEW
        # The new upload needs its own judgement before approval.
        review.record_capture(staff, application_id, "CAP-01", "CAP-01")
        with pytest.raises(review.ReviewRefused):
            review.approve(staff, application_id)
        ready_to_approve(staff, application_id)
        review.approve(staff, application_id)
        assert _application(visit).status == statuses.APPROVED


def test_the_sweep_rejects_what_is_still_owed_at_the_deadline(app):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        owing, supplied = in_service(office, staff), in_service(office, staff)
        for visit in (owing, supplied):
            code = documents.required_items(_application(visit))[0][0]
            review.mark_incomplete(staff, visit.application_id, [code])
        documents.upload(_application(supplied), code, jpeg_bytes(colour="grey"))
        assert review.sweep_owed() == 0  # not yet due
        # Seven days on: the deadline is now.
        db.session.execute(update(Review).values(owed_until=clock.now()))
        db.session.commit()
        with pytest.raises(review.ReviewRefused) as refused:
            review.refuse_late_upload(_application(owing), code)
        assert refused.value.code == "past_deadline"
        assert review.sweep_owed() == 1
        assert _application(owing).status == statuses.REJECTED
        assert _application(supplied).status == statuses.INCOMPLETE
        row = db.session.scalar(select(Review).filter_by(application_id=owing.application_id))
        assert row.rejection_reason == decisions.NOT_SUPPLIED
        assert _last_move(owing.application_id).actor_id is None


def test_interview_notes_are_kept_as_text(app):
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        visit = in_service(office, staff)
        notes = '<script>alert(1)</script><b>tujuan</b> "kerja"'
        review.save_interview(staff, visit.application_id, notes)
        row = db.session.scalar(select(Review).filter_by(application_id=visit.application_id))
        assert row.interview_notes == notes
