"""What the interface calls each code of the rules, in words people read (translated)."""

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

STEP_TITLES = {
    "service": _l("Service and type"),
    "passport": _l("Applicant and passport"),
    "personal": _l("Personal data"),
    "travel": _l("Travel plans"),
    "documents": _l("Documents"),
    "review": _l("Review and submit"),
}

FOR_SELF = {"yes": _l("Myself"), "no": _l("A family member (spouse, child or parent)")}
SERVICES = {
    "regular": _l("Regular"),
    "express": _l("Express (same-day, extra fee)"),
}
APPLICATION_TYPES = {
    "new": _l("New passport (never had one)"),
    "replacement": _l("Replacement of a passport I have or had"),
}
REPLACEMENT_REASONS = {
    "expired": _l("Expired, or less than 6 months left"),
    "pages_full": _l("The pages are full"),
    "data_changed": _l("My personal data changed"),
    "lost": _l("Lost"),
    "damaged": _l("Damaged"),
    "force_majeure": _l("Lost or damaged in a disaster (force majeure)"),
}
MARITAL_STATUSES = {
    "single": _l("Not married"),
    "married": _l("Married"),
    "divorced": _l("Divorced"),
    "widowed": _l("Widowed"),
}
PASSPORT_KINDS = {
    "ordinary": _l("Ordinary (non-electronic)"),
    "electronic": _l("Electronic (e-paspor)"),
}
VALIDITIES = {"5": _l("5 years"), "10": _l("10 years")}
SEXES = {"M": _l("Male"), "F": _l("Female")}
TRAVEL_PURPOSES = {
    "tourism": _l("Tourism"),
    "umrah": _l("Umrah"),
    "hajj": _l("Hajj"),
    "work": _l("Work"),
    "study": _l("Study"),
    "medical": _l("Medical treatment"),
    "family_visit": _l("Family visit"),
    "other": _l("Other"),
}
STAY_LENGTHS = {
    "under_1_month": _l("Less than 1 month"),
    "1_6_months": _l("1 to 6 months"),
    "6_12_months": _l("6 to 12 months"),
    "1_5_years": _l("1 to 5 years"),
    "over_5_years": _l("More than 5 years"),
}
DOCUMENTS = {
    "ktp": _l("KTP (or letter of moving abroad)"),
    "kk": _l("Kartu Keluarga (family card)"),
    "civil_record": _l("Birth certificate, marriage book, school diploma or baptism letter"),
    "birth_certificate": _l("Birth certificate or baptism letter"),
    "old_passport": _l("Old passport (identity page)"),
    "damaged_passport": _l("The damaged passport"),
    "police_report": _l("Police report of the loss"),
    "force_majeure_letter": _l("Letter from the kelurahan about the disaster"),
    "name_change_decree": _l("Court decree on the change of name"),
    "naturalisation_decree": _l("Decree of naturalisation"),
    "kemenag_recommendation": _l("Recommendation letter from the Ministry of Religious Affairs"),
    "parents_ktp": _l("KTP of both parents"),
    "parents_marriage_book": _l("Parents' marriage book or certificate"),
    "parents_passports": _l("Passports of both parents"),
    "parents_statement": _l("Statement signed by both parents on meterai"),
}
STATUSES = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted, ready to book"),
    "awaiting_payment": _l("Awaiting payment"),
    "scheduled": _l("Scheduled"),
    "checked_in": _l("Checked in"),
    "in_review": _l("In review"),
    "incomplete": _l("Documents owed"),
    "approved": _l("Approved"),
    "printed": _l("Printed"),
    "ready_for_pickup": _l("Ready for pickup"),
    "collected": _l("Collected"),
    "expired": _l("Expired (not paid in time)"),
    "cancelled": _l("Cancelled"),
    "no_show": _l("Did not attend"),
    "rejected": _l("Rejected"),
    "uncollected": _l("Not collected"),
}
NIK_PROBLEMS = {
    "format": _l("A NIK is 16 digits."),
    "province": _l("The first two digits are not an Indonesian province code."),
    "regency": _l("Digits 3 to 6 are not a valid regency and district code."),
    "birth_date": _l("Digits 7 to 12 are not a valid date of birth."),
    "serial": _l("The last four digits cannot be 0000."),
    "birth_date_mismatch": _l(
        "Digits 7 to 12 do not match the date of birth you gave. Check your KTP; if the KTP is "
        "wrong, it must be corrected at Dukcapil."
    ),
    "sex_mismatch": _l(
        "The NIK does not match the sex you chose (for women, 40 is added to the day of birth)."
    ),
}
UPLOAD_PROBLEMS = {
    "empty": _l("Choose a file or take a photo first."),
    "too_large": _l(
        "The file is larger than 10 MB. Take the photo again or choose a smaller file."
    ),
    "unsupported_type": _l("Use a photo (JPEG, PNG or WebP) or a PDF."),
    "corrupt": _l(
        "The file is damaged or incomplete. Take the photo again or choose another file."
    ),
    "too_many_pixels": _l("The image is too large (over 40 megapixels). Use a smaller photo."),
    "pdf_active_content": _l("PDFs with scripts, actions or attachments are not accepted."),
    "pdf_encrypted": _l("The PDF is password-protected. Upload one without a password."),
    "pdf_too_many_pages": _l("The PDF has more than 20 pages. Upload only the pages needed."),
    "polyglot": _l("The file contains something other than a picture or a document."),
    # Not a refusal of the file: the storage is down (a 503, which the offline outbox retries).
    "storage_unavailable": _l(
        "The file could not be saved just now, and nothing was kept. Send it again in a few "
        "minutes."
    ),
}
NIK_STATUSES = {
    "pending": _l("Checking the NIK with Dukcapil…"),
    "verified": _l("The NIK, name and date of birth match the Dukcapil records."),
    "not_found": _l(
        "The NIK is not in the Dukcapil records. It may be a duplicate NIK or the e-KTP recording "
        "was never completed: visit the Dukcapil office to settle it, then check again."
    ),
    "error": _l("Dukcapil could not be reached just now. Nothing is lost: try again."),
    # Said the same whoever holds the NIK: it must not tell a stranger that it is in use.
    "unavailable": _l(
        "This NIK cannot be used for a new application now. Check the applications in your "
        "own account, or contact an immigration office."
    ),
}
NIK_MISMATCHED_FIELDS = {
    "birth_date": _l("the date of birth does not match the Dukcapil records"),
    "full_name": _l("the name does not match the Dukcapil records"),
}
DOCUMENT_PROBLEMS = {
    "low_resolution": (
        _l("The photo is too small to read."),
        _l("Take it closer, filling the screen with the document."),
    ),
    "too_dark": (_l("The photo is too dark."), _l("Take it again in daylight or a bright room.")),
    "glare": (
        _l("A reflection hides part of the document."),
        _l("Tilt the document or turn off the flash, away from lamps and windows."),
    ),
    "blurry": (
        _l("The photo is blurred."),
        _l("Hold the phone still, tap the document to focus, then take it again."),
    ),
    "pdf_no_pages": (_l("The PDF has no pages."), _l("Upload the scanned document.")),
    "pdf_too_many_pages": (
        _l("The PDF has too many pages for one document."),
        _l("Upload only the pages of this document."),
    ),
    "unreadable": (_l("The file could not be read."), _l("Take the photo again.")),
}
BOOKING_PROBLEMS = {
    "full": _l("That hour was just taken. Choose another."),
    "past": _l("That hour has passed. Choose another."),
    "too_soon": _l("That hour starts too soon: the fee may take up to 2 hours to pay."),
    "closed": _l("The office is closed that day. Choose another day."),
    "not_released": _l("That day is not open for booking yet. Quota opens on the release day."),
    "wrong_lane": _l("That hour belongs to another service."),
    "too_many_holds": _l("This account already has 5 unpaid or paid bookings."),
    "already_held": _l("This application already has a booking."),
    "not_bookable": _l("This application cannot be booked now."),
    "no_reschedule": _l(
        "An appointment can be moved only once, and no later than the day before it."
    ),
}
# A billing code whose application was cancelled or expired (payments).
VOID_BILL = _l(
    "This billing code is void: its application was cancelled or has expired. Nothing was paid."
)
# The loser of a race: another tab or request moved the application first.
STATUS_CHANGED = _l(
    "This application was changed meanwhile, perhaps in another tab. Nothing was saved: "
    "check it and try again."
)
ALREADY_SUBMITTED = _l("This application was already submitted, perhaps in another tab.")
OFFICE_PROBLEMS = {
    "no_epassport": _l("Does not issue electronic passports"),
    "no_stock": _l("Electronic passport blanks have run out"),
}
OFFICE_KINDS = {
    "kanim": _l("Immigration office"),
    "ulp": _l("Passport service unit"),
    "mpp": _l("Public service mall"),
}
# The history of an application: what each hold and bill status means to the applicant.
HOLD_HISTORY = {
    "held": _l("Place held, waiting for payment"),
    "paid": _l("Appointment confirmed"),
    "expired": _l("Place released: not paid in time"),
    "cancelled": _l("Place released: cancelled"),
    "moved": _l("Appointment moved"),
}
BILL_HISTORY = {
    "open": _l("Billing code issued"),
    "paid": _l("Payment received"),
    "void": _l("Billing code no longer payable"),
    "refund_review": _l("Payment under review for a refund"),
}
# By datetime.weekday(): Monday is 0.
WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
FEE_LINES = {"passport": _l("Passport fee"), "express": _l("Express service")}


# The office's queue: lanes, the priority groups marked at check-in, and why a check-in is refused.
LANES = {
    "priority": _l("Priority"),
    "express": _l("Express"),
    "regular": _l("Regular"),
}
PRIORITY_GROUPS = {
    "elderly": _l("60 years or older"),
    "young_child": _l("Child under 5"),
    "pregnant": _l("Pregnant"),
    "disability": _l("Disability"),
}
CHECKIN_PROBLEMS = {
    "invalid_token": _l(
        "This QR code is not a valid M-Paspor proof: it is damaged, incomplete or forged."
    ),
    "bad_number": _l("An application number or a NIK has 16 digits."),
    "unknown_number": _l("No application of this office has this number or NIK."),
    "another_office": _l("This appointment is at another office."),
    "moved": _l("This QR code is for an appointment that has since been moved."),
    "another_day": _l("The appointment is not today."),
    "too_early": _l("Too early: check-in opens at %(time)s."),
    "closed": _l("The office has closed for today."),
    "cancelled": _l("This application was cancelled."),
    "unpaid": _l("This application has no paid appointment: the fee has not been paid."),
    "already_checked_in": _l("Already checked in, with queue number %(ticket)s."),
    "walk_in_unpaid": _l(
        "Already has queue number %(ticket)s as a priority walk-in: the bill is not paid yet."
    ),
    "booked": _l(
        "This application has a paid appointment: check it in without the walk-in choice."
    ),
    "not_scheduled": _l('This application cannot check in: its status is "%(status)s".'),
    "no_priority_group": _l("A priority walk-in needs the applicant's priority group."),
    "unknown_group": _l("Choose a priority group from the list."),
    "nik_not_verified": _l("The NIK of this application is not verified yet."),
    "no_priority_places": _l("No priority places are left today."),
    "not_walk_in": _l("This application cannot be checked in as a walk-in now."),
}


def choices(mapping: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in mapping.items()]


def mismatch_text(reason: str | None) -> str:
    """ "the date of birth does not match ..." for each field the registry disagreed on."""
    fields = (reason or "").split(",")
    return "; ".join(str(NIK_MISMATCHED_FIELDS[f]) for f in fields if f in NIK_MISMATCHED_FIELDS)


# Counters and calling (the lanes are LANES above): why an action at a counter was refused, and
# what each move of a visit means in an application's history.
CALLING_PROBLEMS = {
    "no_lanes": _l("Choose at least one lane for this counter."),
    "already_open": _l("You already have a counter open. Close it before opening another."),
    "counter_taken": _l(
        "Counter %(counter)s is already open for another officer. Choose another counter."
    ),
    "no_counter": _l("Open a counter first."),
    "nobody_waiting": _l("Nobody is waiting in the lanes this counter serves."),
    "other_counter": _l("Number %(ticket)s was called to another counter."),
    "already_serving": _l("Service has already started for number %(ticket)s."),
    "not_called": _l("Number %(ticket)s is no longer being called at this counter."),
    "still_called": _l(
        "Number %(ticket)s is still called to this counter: recall it, mark it not present "
        "or start the service first."
    ),
}
# By (from, to) of the visit's audit entry; None is the check-in that created it.
VISIT_HISTORY = {
    (None, "waiting"): _l("Checked in, number %(ticket)s"),
    (None, "unpaid"): _l("Checked in, number %(ticket)s: called once the bill is paid"),
    ("unpaid", "waiting"): _l("Bill paid: number %(ticket)s is waiting to be called"),
    ("unpaid", "void"): _l("Number %(ticket)s void: the bill was not paid in time"),
    ("waiting", "called"): _l("Called to counter %(counter)s"),
    ("called", "called"): _l("Called again to counter %(counter)s"),
    ("called", "waiting"): _l("Not present at counter %(counter)s"),
    ("called", "absent"): _l("Not present again at counter %(counter)s: the number has lapsed"),
    ("called", "serving"): _l("Service started at counter %(counter)s"),
    ("serving", "done"): _l("Service finished at counter %(counter)s"),
}
# The application's own move at check-in, beside the visit's "Checked in, number A007".
ARRIVED = _l("Arrived at the office")


# The counter's review and decision: why a decision was refused, the reasons a rejection gives,
# and what the applicant's history says of each moment.
REVIEW_PROBLEMS = {
    "not_found": _l("This application is not in service at your office."),
    "already_decided": _l(
        "This application was already decided or changed meanwhile. The page shows it as it is now."
    ),
    "documents_not_judged": _l("Compare every document with its original first."),
    "document_mismatch": _l(
        "A document does not match its original: mark the application incomplete or reject it."
    ),
    "capture_missing": _l("Record the photo and the fingerprints first."),
    "no_reason": _l("Choose the reason for the rejection."),
    "needs_supervisor": _l("A rejection for this reason needs a supervisor of the office."),
    "nothing_owed": _l("Choose at least one document the applicant must supply."),
    "not_owed": _l("This document is not one the applicant was asked for."),
    "still_owed": _l("The applicant has not uploaded every owed document yet."),
    "past_deadline": _l("The deadline for this document has passed."),
    "unknown_document": _l("This document is not required for this application."),
}
REJECTION_REASONS = {
    "travel_ban": _l("On the travel-ban list"),
    "false_data": _l("False data or statements"),
    "not_original": _l("Documents are not original"),
    "wrong_application_type": _l("Wrong application type"),
    "documents_not_supplied": _l("Owed documents were not supplied in time"),
    "other": _l("Another reason (see the note)"),
}
# The examination report (BAP) and the fine: the incidents, why recording was refused, what the
# decision waits for, and the records in an application's history.
INCIDENTS = {
    "lost": _l("Lost"),
    "damaged": _l("Damaged"),
    "force_majeure": _l("Lost or damaged by force majeure"),
}
EXAMINATION_PROBLEMS = {
    "not_needed": _l(
        "This application needs no examination report: it is not for a lost or damaged passport."
    ),
    "not_in_review": _l("The examination report is recorded during the service at the counter."),
    "already_recorded": _l("The examination report of this application is already recorded."),
    "police_report_number": _l("A lost passport needs the police report number."),
    "kelurahan_letter_number": _l("Force majeure needs the kelurahan letter number."),
    "future_date": _l("The date it happened cannot be in the future."),
    "report_missing": _l("Record the examination report first."),
    "force_majeure": _l("Force majeure is not negligence: no suspension."),
    "already_suspended": _l("A suspension of this application is already recorded."),
    "bad_months": _l("A suspension lasts from 6 to 24 months."),
    "no_fine": _l("This examination report has no fine to bill."),
    "fine_paid": _l("The fine is already paid."),
    "fine_still_payable": _l("The fine's billing code can still be paid: it needs no new one."),
}
EXAMINATION_BLOCKERS = {
    "report_missing": _l("The examination report (BAP) is not recorded yet."),
    "fine_unpaid": _l("The fine is not paid yet."),
    "suspended": _l("Issuance is suspended for negligence."),
}
RECORD_HISTORY = {
    "examination": _l("Examination report (BAP) recorded"),
    "suspension": _l("Issuance suspended for negligence"),
    "judgement": _l("Document compared with its original"),
    "capture": _l("Photo and fingerprints taken"),
    "interview": _l("Interview recorded"),
}
# The travel-ban check (daftar pencegahan): what the counter is shown, why a decision waits, why
# an action was refused, and what each move of the check means in an application's history.
SCREENING_RESULTS = {
    "pending": _l("Checking the travel-ban list…"),
    "clear": _l("Clear: not on the travel-ban list"),
    "hit": _l("Hit: on the travel-ban list"),
    "not_checked": _l("Not checked: the travel-ban list did not answer"),
}
SCREENING_BLOCKERS = {
    "travel_ban_pending": _l("The travel-ban check has not answered yet."),
    "travel_ban_not_checked": _l("The travel-ban list was not checked: check it again first."),
    "travel_ban_hit": _l(
        "The applicant is on the travel-ban list: the application cannot be approved."
    ),
}
SCREENING_PROBLEMS = {
    "not_needed": _l(
        "The travel-ban list is not to be checked again now: it is being checked, has answered, "
        "or the service has not started."
    ),
    "no_hit": _l("This application has no travel-ban hit awaiting confirmation."),
}
SCREENING_HISTORY = {
    "pending": _l("Travel-ban check started"),
    "clear": _l("Travel-ban check: clear"),
    "hit": _l("Travel-ban check: on the list"),
    "not_checked": _l("Travel-ban check: the list did not answer"),
    "confirmed": _l("Rejection for the travel ban confirmed by the supervisor"),
}

# What approval waits for from the other parts is told like the review's own refusals.
REVIEW_PROBLEMS.update(EXAMINATION_BLOCKERS)
REVIEW_PROBLEMS.update(SCREENING_BLOCKERS)

# After approval: the receipt's paper, who collects the passport, and how a family member is
# related to the applicant (rules/collection.py).
PAPERS = {"a4": _l("A4 sheet"), "roll": _l("80 mm roll")}
COLLECTORS = {
    "applicant": _l("The applicant, with an ID shown"),
    "family": _l("A family member on the same Kartu Keluarga"),
    "attorney": _l("Someone with a power of attorney"),
}
RELATIONSHIPS = {
    "spouse": _l("Husband or wife"),
    "parent": _l("Father or mother"),
    "child": _l("Son or daughter"),
    "sibling": _l("Brother or sister"),
    "grandparent": _l("Grandfather or grandmother"),
    "grandchild": _l("Grandchild"),
    "in_law": _l("In-law"),
}

# Printing and the collection desk (services/issuance.py): why printing, readiness, a scan or a
# handover was refused, and what each field of the handover asks.
ISSUANCE_PROBLEMS = {
    "no_stock": _l(
        "No e-passport blanks are left at this office: the passport cannot be printed until "
        "new stock arrives."
    ),
    "already_printed": _l('This passport was already printed: its status is "%(status)s".'),
    "already_ready": _l('This passport is already marked ready: its status is "%(status)s".'),
    "not_printed": _l("This passport is not printed yet: mark it printed first."),
    "wrong_status": _l('This cannot be done now: the application\'s status is "%(status)s".'),
    "no_issuance": _l("This application has no collection date: it cannot be marked ready."),
    "invalid_token": _l(
        "This QR code is not a valid M-Paspor receipt: it is damaged, incomplete or forged."
    ),
    "not_receipt": _l(
        "This QR code is not on a receipt (tanda terima). Scan the receipt, or type the "
        "application number."
    ),
    "bad_number": _l("An application number has 16 digits."),
    "unknown_number": _l("No application of this office has this number."),
    "another_office": _l(
        "This receipt belongs to another office (%(office)s): the passport is collected there."
    ),
    "not_ready": _l(
        'The passport is not ready for collection yet: the application\'s status is "%(status)s".'
    ),
    "already_collected": _l("This passport was already collected."),
    "uncollected": _l(
        "This passport was not collected within 30 days and is cancelled: the applicant must "
        "apply again."
    ),
    "unknown_collector": _l("Choose who collects the passport."),
    "identity_missing": _l("Note the ID the collector showed."),
    "name_missing": _l("Give the collector's full name."),
    "bad_nik": _l("The collector's NIK is not valid."),
    "relationship_missing": _l("Choose how the family member is related to the applicant."),
    "letter_missing": _l("Note the letter of attorney."),
}

# Leave days an administrator adds (services/leave_days.py), and what the applicant's history
# says after approval: collection, its place and its collector, and the ends by the clock.
LEAVE_DAY_PROBLEMS = {
    "past": _l("That date has passed. Choose today or a later date."),
    "already_official": _l("That date is already a day off in the official calendar."),
    "already_added": _l("That date is already added as a leave day."),
    "not_found": _l("That leave day is no longer in the list: it was already removed."),
    "too_far": _l("Leave days are added for this year and next year only."),
}
DAY_OFF_SOURCES = {
    "official": _l("Official calendar"),
    "added": _l("Added by an administrator"),
}
APPLICATION_HISTORY = {
    "approved": _l("Approved: the passport can be collected from %(date)s"),
    "printed": _l("Passport printed"),
    "ready_for_pickup": _l("Passport ready for collection"),
    "collected": _l("Passport collected"),
    "no_show": _l("Did not come to the appointment: the fee is forfeited"),
    "uncollected": _l("Not collected within 30 days: the passport is cancelled"),
}
COLLECTED_BY = {
    "applicant": _l("By the applicant"),
    "family": _l("By a family member, %(name)s"),
    "attorney": _l("By %(name)s with a power of attorney"),
}
COLLECTION_PLACE = _l("At %(office)s, %(address)s, %(hours)s, from %(from)s until %(until)s")
# Receipts (tanda terima): why a batch of the day's receipts was refused, and a batch's states.
RECEIPT_PROBLEMS = {
    "paper": _l("Choose the paper: A4 or the 80 mm roll."),
    "empty": _l("No receipts to print: tick at least one application, or print all of the day."),
    "too_many": _l(
        "%(count)s receipts are too many for one batch: at most %(maximum)s. Print them in parts."
    ),
    "not_printable": _l(
        "%(count)s of the chosen applications have no receipt here: they are not approved, "
        "their passport was collected, or they are of another office. Nothing was printed."
    ),
}
BATCH_STATUSES = {
    "queued": _l("Waiting to start"),
    "running": _l("Printing"),
    "done": _l("Ready"),
    "failed": _l("Failed"),
}
# Offices, staff accounts and invitations as administrators keep them (services/office_admin.py,
# services/invitations.py).
OFFICE_EDIT_PROBLEMS = {
    "unknown_kind": _l("Choose the kind of office: Kanim, ULP or MPP."),
    "bad_code": _l(
        "Use lowercase letters, digits and single dashes only (at most 40), for example "
        "kanim-makassar."
    ),
    "code_taken": _l("Another office already has this code. Choose another."),
    "stock_moved": _l(
        "The stock changed while this page was open (a print, a delivery or a write-off). The "
        "number now is shown: check it and save again."
    ),
    "required": _l("This field is required."),
    "too_long": _l("This text is too long."),
    "latitude_range": _l("A latitude lies between -90 and 90."),
    "longitude_range": _l("A longitude lies between -180 and 180."),
    "outside_indonesia": _l(
        "This point lies outside Indonesia. Check the sign and that latitude and longitude are "
        "not swapped."
    ),
    "unknown_zone": _l(
        "Unknown time zone: choose Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)."
    ),
    "zone_with_slots": _l(
        "The time zone cannot change while the office has slots to come: their hours would move."
    ),
    "bad_stock": _l("Enter a whole number of blanks, 0 or more."),
}
STAFF_ROLES = {
    "staff": _l("counter officer"),
    "supervisor": _l("supervisor"),
}
INVITATION_PROBLEMS = {
    "bad_email": _l("Enter a valid email address, for example nama@imigrasi.go.id."),
    "bad_name": _l("Use letters, spaces and the marks . , ' - only (at most 120 characters)."),
    "bad_role": _l("Choose the role: counter officer or supervisor."),
    "no_office": _l("Choose the office."),
    "email_taken": _l("An account with this email address already exists. Use another address."),
    "already_invited": _l(
        "This address has an invitation that still works. Send it again from the list instead."
    ),
    "not_found": _l("That invitation is no longer in the list: a newer one was sent."),
    "already_used": _l("That invitation was already used: the account exists."),
    "no_account": _l("That account is not a staff account that can be changed here."),
    "weak_password": _l("Choose a stronger password."),
    "used": _l("This invitation was already used. Sign in with the password you chose."),
    "expired": _l(
        "This invitation has expired: a link works for 72 hours. Ask your administrator to send "
        "it again."
    ),
    "replaced": _l("This invitation was replaced by a newer one. Use the link in the latest mail."),
    "unknown": _l("This invitation link is not valid. Check that the whole link was opened."),
}
# The trail of an office as its page shows it: what happened, and the fields by their names.
CHANGE_ACTIONS = {
    ("office", "created"): _l("Office added"),
    ("office", "changed"): _l("Office changed"),
    ("invitation", "invited"): _l("Invitation sent"),
    ("invitation", "resent"): _l("Invitation sent again"),
    ("account", "created"): _l("Account made from an invitation"),
    ("account", "disabled"): _l("Account disabled"),
    ("account", "enabled"): _l("Account enabled again"),
}
# The fields of an office (and its settings) by the names the trail of changes shows them.
CHANGE_FIELDS = {
    "kind": _l("Kind of office"),
    "code": _l("Code"),
    "name": _l("Name"),
    "address": _l("Address"),
    "city": _l("City or regency"),
    "province": _l("Province"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "timezone": _l("Time zone"),
    "issues_epassport": _l("Issues electronic passports"),
    "epassport_stock": _l("Electronic passport blanks in stock"),
    "regular_per_hour": _l("Regular places per hour"),
    "express_per_hour": _l("Express places per hour"),
    "priority_per_hour": _l("Priority places per hour"),
    "opening_days": _l("Opening days"),
    "first_slot_hour": _l("First slot"),
    "last_slot_hour": _l("Last slot"),
    "release_kind": _l("Quota release"),
    "release_weekday": _l("Release weekday"),
    "release_hour": _l("Release hour"),
    "release_minute": _l("Release minute"),
    "call_weight_priority": _l("Call ratio, priority"),
    "call_weight_express": _l("Call ratio, express"),
    "call_weight_regular": _l("Call ratio, regular"),
    "count": _l("Number of blanks"),
}
# The supervisor's office settings (services/office_settings.py) and the fee tables
# (services/fee_tables.py): why a change was refused, and the names the history shows.
OFFICE_SETTINGS_PROBLEMS = {
    "no_opening_day": _l("Choose at least one opening day."),
    "hours": _l("The last slot cannot start before the first."),
    "places": _l("Places per hour are a number from 0 to 500."),
    "no_bookable_lane": _l("Give the regular or the express lane at least one place per hour."),
    "weights": _l("The call ratio needs a number from 0 to 9 per lane, and one above 0."),
    "release": _l("Choose a release day and time."),
    "release_past": _l(
        "With this schedule the slots not yet released would have opened on %(moment)s, which "
        "has passed. Choose a later day or time, or change the schedule after that release."
    ),
    "below_booked": _l(
        "The new quota is below the places already booked in these slots. Nothing was changed:"
    ),
    "stock_count": _l("Enter a number of blanks from 1 to 100000."),
    "stock_below_zero": _l(
        "The stock has %(stock)s blanks: taking off %(count)s would leave fewer than none."
    ),
    "no_epassport": _l("This office does not issue e-passports."),
}
OVERBOOKED_SLOT = _l("%(slot)s, %(lane)s: %(held)s booked, new quota %(quota)s")
RELEASE_KINDS = {"weekly": _l("Weekly"), "monthly": _l("Monthly, on the last working day")}
STOCK_MOVEMENTS = {
    "delivered": _l("Blanks delivered"),
    "written_off": _l("Blanks written off"),
}
FEE_ITEMS = {
    "ordinary_5": _l("Ordinary passport, 5 years"),
    "ordinary_10": _l("Ordinary passport, 10 years"),
    "electronic_5": _l("E-passport, 5 years"),
    "electronic_10": _l("E-passport, 10 years"),
    "express": _l("Express service (same day), on top of the passport fee"),
    "fine_lost": _l("Fine, lost passport (per book)"),
    "fine_damaged": _l("Fine, damaged passport (per book)"),
    "fine_force_majeure": _l("Lost or damaged by force majeure"),
}
FEE_TABLE_PROBLEMS = {
    "not_future": _l("A new table starts on a day after today."),
    "ends_before_start": _l("The last day cannot be before the first."),
    "amount_missing": _l(
        "Give the express surcharge, the fines and the fee of at least one passport."
    ),
    "name_taken": _l("A table with this name exists already."),
    "overlap": _l("These dates overlap %(name)s, in force from %(start)s until %(end)s."),
}
FEE_TABLE_ACTIONS = {"created": _l("Table added"), "closed": _l("Table closed")}

# Closures (services/closures.py): why one was refused, and the special reschedule they offer.
CLOSURE_PROBLEMS = {
    "past": _l("That time has passed: a closure starts now or later."),
    "hours": _l("Choose both hours, or neither for the whole day."),
    "overlap": _l(
        "It overlaps another closure: %(day)s, %(hours)s (%(reason)s). Change that one's hours "
        "or choose other hours."
    ),
}
WHOLE_DAY = _l("Whole day")
BOOKING_PROBLEMS["outside_window"] = _l(
    "That hour is outside the two weeks of the special reschedule. Choose another."
)
BOOKING_PROBLEMS["no_offer"] = _l(
    "There is no special reschedule to take: the appointment was moved or has ended."
)
HOLD_HISTORY["offered"] = _l("Place held after the office closed: a special reschedule offered")
# The day's figures (services/reports.py): what each figure is called, the period's heading, and
# why a period asked for is refused.
FIGURES = {
    "released": _l("Quota released"),
    "booked": _l("Booked"),
    "paid": _l("Paid"),
    "checked_in": _l("Checked in"),
    "no_shows": _l("No-shows"),
    "approved": _l("Approved"),
    "incomplete": _l("Incomplete"),
    "rejected": _l("Rejected"),
    "chart_counts": _l("The period's figures"),
    "chart_reasons": _l("Rejections by reason"),
    "chart_counters": _l("Average service time per counter"),
    "chart_officers": _l("Average service time per officer"),
    "chart_checked_in": _l("Checked in per office"),
    "chart_wait": _l("Average wait per office"),
}
FIGURES_TITLES = {  # a day's heading is its date alone
    "week": _l("Week of {first} to {last}"),
    "month": _l("Month of {first} to {last}"),
}
FIGURES_PERIOD_PROBLEMS = {
    "period": _l("Choose a day, a week or a month."),
    "date": _l("The date must be a real day written as YYYY-MM-DD, for example 2026-12-01."),
    "year": _l(
        "A year of figures is not offered at once: choose a month, and download the months "
        "one by one."
    ),
    "format": _l("The figures can be shown as a page or downloaded as CSV (format=csv)."),
}
# The waiting room of a quota release (services/waiting_room.py): why joining was refused, and
# the hold refused during a release's window without an admission.
ROOM_PROBLEMS = {
    "not_open": _l("The waiting room for this office is not open now."),
    "not_submitted": _l("Only a submitted application that is not booked yet can join."),
    "not_verified": _l("The NIK of this application must be verified before it can join."),
    "already_joined": _l("This NIK or application is already in the waiting room."),
    "sold_out": _l("The quota of this release is gone. You can ask to be told of a freed place."),
    "wrong_office": _l("This waiting room belongs to another office than the application's."),
}
BOOKING_PROBLEMS["not_admitted"] = _l(
    "The quota was just released: wait for your turn in the waiting room, then book within "
    "your 10 minutes."
)
BOOKING_PROBLEMS["in_release_window"] = _l(
    "That week was just released: its places go first to the waiting room, in its order. "
    "Move your appointment there after the first hour."
)
# The waitlist for freed places (services/waitlist.py).
BOOKING_PROBLEMS["offer_gone"] = _l(
    "The place offered from the waitlist is no longer held for you: its 30 minutes passed."
)
WAITLIST_PROBLEMS = {
    "not_bookable": _l("Only a submitted application without a booking can join the waitlist."),
    "already_listed": _l("This application is already on the waitlist."),
}
# A waiting room's making in its office's trail of changes: the release and the commitment.
CHANGE_ACTIONS[("waiting_room", "seeded")] = _l("Waiting room made, its draw's seed fixed")
CHANGE_FIELDS["release_at"] = _l("Release")
CHANGE_FIELDS["commitment"] = _l("Commitment (SHA-256 of the seed)")
