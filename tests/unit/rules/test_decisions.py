"""The officer's own checks before approval, and the deadline of owed documents."""

from datetime import UTC, datetime

import pytest

from webapp.rules import decisions

REQUIRED = ["ktp", "kk"]


@pytest.mark.parametrize(
    ("judged", "captured", "blocker"),
    [
        ({}, True, "documents_not_judged"),
        ({"ktp": True}, True, "documents_not_judged"),
        ({"ktp": True, "kk": None}, True, "documents_not_judged"),
        ({"ktp": True, "kk": False}, True, "document_mismatch"),
        ({"ktp": True, "kk": True}, False, "capture_missing"),
        ({"ktp": True, "kk": True}, True, None),
    ],
)
def test_approval_needs_every_document_matching_and_the_capture(judged, captured, blocker):
    assert decisions.approval_blocker(judged, REQUIRED, captured) == blocker


def test_owed_documents_are_due_seven_days_after_the_decision():
    decided = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    assert decisions.owed_until(decided) == datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
