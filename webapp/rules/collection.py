"""Collecting the passport: who may collect it and for how long it waits (DOMAIN.md)."""

from datetime import timedelta

# Who collects: the applicant with an ID shown, a family member on the same Kartu Keluarga, or
# anyone holding a power of attorney.
APPLICANT = "applicant"
FAMILY = "family"
ATTORNEY = "attorney"
COLLECTORS = (APPLICANT, FAMILY, ATTORNEY)

# How a family member on the same KK is related to the applicant.
RELATIONSHIPS = ("spouse", "parent", "child", "sibling", "grandparent", "grandchild", "in_law")

# A passport not collected within 30 days of being ready is cancelled; a reminder goes on day 23.
COLLECTION_PERIOD = timedelta(days=30)
REMINDER_AFTER = timedelta(days=23)
