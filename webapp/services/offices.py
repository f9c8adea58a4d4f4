"""Offices: their hourly slots over a rolling window, the demo offices, finding an office, and
what it cannot issue."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, or_, select

from webapp import clock
from webapp.extensions import db
from webapp.models import Closure, Office, Slot
from webapp.rules.geo import ZONE_NAMES, distance_km
from webapp.services import days_off, office_admin

SLOT_HOURS = range(8, 15)  # the demo offices' slots: 08.00-09.00 ... 14.00-15.00, office time
SEARCH_LIMIT = 20

TRAINING_OFFICE = "kanim-latihan"
_WEEKLY_FRIDAY_09 = {"opening_days": "01234", "release_weekday": 4, "release_hour": 9}
_DEMO_SLOTS = {
    "first_slot_hour": SLOT_HOURS[0],
    "last_slot_hour": SLOT_HOURS[-1],
    "slot_window_days": 60,
    "express_per_hour": 0,
    "priority_per_hour": 5,  # walk-ins of the priority groups, at the office only
}

# Real offices with their published addresses; places are people per hourly slot and lane.
DEMO_OFFICES: tuple[dict, ...] = (
    {
        "code": "kanim-jakarta-selatan",
        "kind": "kanim",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Jakarta Selatan",
        "address": "Jl. Warung Buncit Raya No. 207, Mampang Prapatan",
        "city": "Jakarta Selatan",
        "province": "DKI Jakarta",
        "latitude": -6.2640,
        "longitude": 106.8290,
        "timezone": "Asia/Jakarta",
        "issues_epassport": True,
        "epassport_stock": 500,
        **_WEEKLY_FRIDAY_09,
        **_DEMO_SLOTS,
        "regular_per_hour": 40,
        "express_per_hour": 10,
    },
    {
        "code": "mpp-jakarta",
        "kind": "mpp",
        "name": "ULP Paspor Mal Pelayanan Publik Jakarta",
        "address": "Jl. H.R. Rasuna Said Kav. C-22, Kuningan",
        "city": "Jakarta Selatan",
        "province": "DKI Jakarta",
        "latitude": -6.2215,
        "longitude": 106.8316,
        "timezone": "Asia/Jakarta",
        "issues_epassport": True,
        "epassport_stock": 150,
        **_WEEKLY_FRIDAY_09,
        **_DEMO_SLOTS,
        "regular_per_hour": 10,
    },
    {
        "code": "kanim-surabaya",
        "kind": "kanim",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Surabaya",
        "address": "Jl. Letjend S. Parman No. 58A, Waru",
        "city": "Sidoarjo",
        "province": "Jawa Timur",
        "latitude": -7.3490,
        "longitude": 112.7300,
        "timezone": "Asia/Jakarta",
        "issues_epassport": True,
        "epassport_stock": 400,
        **_WEEKLY_FRIDAY_09,
        **_DEMO_SLOTS,
        "regular_per_hour": 30,
        "express_per_hour": 5,
    },
    {
        "code": "kanim-denpasar",
        "kind": "kanim",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Denpasar",
        "address": "Jl. D.I. Panjaitan No. 3, Renon",
        "city": "Denpasar",
        "province": "Bali",
        "latitude": -8.6735,
        "longitude": 115.2285,
        "timezone": "Asia/Makassar",
        "issues_epassport": True,
        "epassport_stock": 350,
        **_WEEKLY_FRIDAY_09,
        **_DEMO_SLOTS,
        "regular_per_hour": 25,
        "express_per_hour": 5,
    },
    {
        "code": "kanim-makassar",
        "kind": "kanim",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Makassar",
        "address": "Jl. Perintis Kemerdekaan Km. 13, Tamalanrea",
        "city": "Makassar",
        "province": "Sulawesi Selatan",
        "latitude": -5.1077,
        "longitude": 119.5110,
        "timezone": "Asia/Makassar",
        "issues_epassport": True,
        "epassport_stock": 300,
        **_WEEKLY_FRIDAY_09,
        **_DEMO_SLOTS,
        "regular_per_hour": 25,
        "express_per_hour": 5,
    },
    {
        "code": "ulp-gowa",
        "kind": "ulp",
        "name": "Unit Layanan Paspor Gowa",
        "address": "Jl. Masjid Raya No. 30, Sungguminasa",
        "city": "Gowa",
        "province": "Sulawesi Selatan",
        "latitude": -5.2030,
        "longitude": 119.4460,
        "timezone": "Asia/Makassar",
        "issues_epassport": False,
        "epassport_stock": 0,
        **_WEEKLY_FRIDAY_09,
        **_DEMO_SLOTS,
        "regular_per_hour": 10,
    },
    {
        "code": "kanim-balikpapan",
        "kind": "kanim",
        "name": "Kantor Imigrasi Kelas I TPI Balikpapan",
        "address": "Jl. Jend. Sudirman No. 23, Klandasan Ulu",
        "city": "Balikpapan",
        "province": "Kalimantan Timur",
        "latitude": -1.2760,
        "longitude": 116.8270,
        "timezone": "Asia/Makassar",
        "issues_epassport": False,
        "epassport_stock": 0,
        **_WEEKLY_FRIDAY_09,
        **_DEMO_SLOTS,
        "regular_per_hour": 15,
        "express_per_hour": 3,
    },
    {
        "code": "kanim-jayapura",
        "kind": "kanim",
        "name": "Kantor Imigrasi Kelas I TPI Jayapura",
        "address": "Jl. Percetakan Negara No. 15, Gurabesi",
        "city": "Jayapura",
        "province": "Papua",
        "latitude": -2.5365,
        "longitude": 140.7085,
        "timezone": "Asia/Jayapura",
        "issues_epassport": True,
        "epassport_stock": 0,  # out of blanks
        **_WEEKLY_FRIDAY_09,
        **_DEMO_SLOTS,
        "regular_per_hour": 10,
        "express_per_hour": 2,
    },
)

# Not a real office, loaded in demo mode only: open every day at every hour, so that the office
# side (check-in, the counters, the screen) can be tried whatever the hour in Indonesia.
TRAINING_OFFICE_FIELDS = {
    "code": TRAINING_OFFICE,
    "kind": "kanim",
    "name": "Kantor Imigrasi Latihan (demo, buka 24 jam)",
    "address": "Hanya dalam mode demo",
    "city": "Latihan",
    "province": "Latihan",
    "latitude": -5.1400,
    "longitude": 119.4200,
    "timezone": "Asia/Makassar",
    "issues_epassport": True,
    "epassport_stock": 1000,
    **_DEMO_SLOTS,
    "opening_days": "0123456",
    "release_weekday": 4,
    "release_hour": 9,
    "first_slot_hour": 0,
    "last_slot_hour": 23,
    "slot_window_days": 14,
    "regular_per_hour": 10,
    "express_per_hour": 2,
}

# An office's own closure, this many days after the first demo load (moved to an opening day).
DEMO_CLOSURES = (
    ("kanim-makassar", 14, "Pemeliharaan sistem perekaman biometrik"),
    ("kanim-jakarta-selatan", 21, "Rapat kerja kantor"),
)


def _opening_days(office: Office, start: date, days: int) -> list[date]:
    """Days in [start, start + days) the office serves: its weekdays, no holiday, no closure."""
    closed = days_off.of_office(office.id, start, start + timedelta(days=days))
    every_day = (start + timedelta(days=n) for n in range(days))
    return [
        day for day in every_day if str(day.weekday()) in office.opening_days and day not in closed
    ]


def _closed_hours(office: Office, start: date, days: int) -> set[tuple[date, int]]:
    """The (day, hour) pairs that the office's closures of part of a day close."""
    rows = db.session.execute(
        select(Closure.day, Closure.from_hour, Closure.to_hour).where(
            Closure.office_id == office.id,
            Closure.from_hour.is_not(None),
            Closure.day >= start,
            Closure.day < start + timedelta(days=days),
        )
    )
    return {(day, hour) for day, first, end in rows for hour in range(first, end)}


def ensure_slots(office: Office, start: date, days: int) -> int:
    """Create the office's missing slots of `days` days from `start`, from its own settings;
    return how many. Existing slots are kept as they are. The caller commits."""
    zone = ZoneInfo(office.timezone)
    closed_hours = _closed_hours(office, start, days)
    wanted = [
        (datetime.combine(day, time(hour), zone).astimezone(UTC), lane, capacity)
        for day in _opening_days(office, start, days)
        for hour in office.slot_hours
        if (day, hour) not in closed_hours
        for lane, capacity in office.capacity_per_lane.items()
    ]
    if not wanted:
        return 0
    existing = set(
        db.session.execute(
            select(Slot.starts_at, Slot.lane).where(
                Slot.office_id == office.id,
                Slot.starts_at >= wanted[0][0],
                Slot.starts_at <= wanted[-1][0],
            )
        )
    )
    rows = [
        {"office_id": office.id, "starts_at": starts_at, "lane": lane, "capacity": capacity}
        for starts_at, lane, capacity in wanted
        if (starts_at, lane) not in existing
    ]
    if rows:
        db.session.execute(insert(Slot), rows)
    return len(rows)


def extend_slots(start: date | None = None) -> list[str]:
    """Give every office its slots from `start` (by default its own local today) to the end of
    its window: the one way slots are made. Idempotent; run daily (`flask extend-slots`, and the
    job `flask cron` schedules). Report a line per office."""
    report = []
    for office in db.session.scalars(select(Office).order_by(Office.code)):
        first_day = start or clock.today(office.timezone)
        created = ensure_slots(office, first_day, office.slot_window_days)
        report.append(f"office: {office.code} ({ZONE_NAMES[office.timezone]}), {created} slots")
    db.session.commit()
    return report


def _first_opening_day(office: Office, day: date) -> date:
    while str(day.weekday()) not in office.opening_days or day in days_off.national(
        day, day + timedelta(days=1)
    ):
        day += timedelta(days=1)
    return day


def load_demo_offices(today: date) -> list[str]:
    """Upsert the demo offices with their slot settings, then make their slots the one way
    (extend_slots); running it twice adds nothing."""
    offices = {data["code"]: _upsert_demo_office(data) for data in DEMO_OFFICES}
    db.session.flush()

    # Closures are added once, before the slots: a later load never closes a day with slots.
    for code, days_ahead, reason in DEMO_CLOSURES:
        office = offices[code]
        if db.session.scalar(select(Closure.id).where(Closure.office_id == office.id).limit(1)):
            continue
        day = _first_opening_day(office, today + timedelta(days=days_ahead))
        db.session.add(Closure(office_id=office.id, day=day, reason=reason))
    db.session.flush()
    return extend_slots(today)


def load_training_office() -> None:
    """Upsert the demo training office; its slots come with the demo offices' (extend_slots)."""
    _upsert_demo_office(TRAINING_OFFICE_FIELDS)
    db.session.flush()


def _upsert_demo_office(data: dict) -> Office:
    office = db.session.scalar(select(Office).where(Office.code == data["code"]))
    if office is None:
        # Made as an administrator makes an office (checked, and on the trail, by no one),
        # with the demo's slot settings where a supervisor would set them later.
        own = {name: data[name] for name in office_admin.FIELDS}
        settings = {name: value for name, value in data.items() if name not in own}
        office = office_admin.create(None, own, **settings)
    else:  # the stock is the office's own state once it exists
        for name, value in data.items():
            if name != "epassport_stock":
                setattr(office, name, value)
    return office


def _contains(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(
    query: str | None, near: tuple[float, float] | None = None
) -> list[tuple[Office, float | None]]:
    """Offices whose name, city or province contains `query`, nearest first when `near` is given."""
    statement = select(Office)
    query = (query or "").strip().lower()
    if query:
        pattern = _contains(query)
        statement = statement.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (Office.name, Office.city, Office.province)
                )
            )
        )
    if near is None:
        offices = db.session.scalars(statement.order_by(Office.name).limit(SEARCH_LIMIT))
        return [(office, None) for office in offices]
    found = [
        (office, distance_km(*near, office.latitude, office.longitude))
        for office in db.session.scalars(statement)
    ]
    found.sort(key=lambda pair: (pair[1], pair[0].name))
    return found[:SEARCH_LIMIT]


def unavailable_reason(office: Office, passport_kind: str) -> str | None:
    """Why the office cannot take this passport kind now: "no_epassport", "no_stock", or None."""
    if passport_kind != "electronic":
        return None
    if not office.issues_epassport:
        return "no_epassport"
    if office.epassport_stock <= 0:
        return "no_stock"
    return None


# Office codes as URLs and forms carry them; anything else names no office (and a NUL byte,
# say, never reaches the database).
OFFICE_CODE = re.compile(r"[a-z0-9-]{1,40}")


def by_code(code: str | None) -> Office | None:
    if not OFFICE_CODE.fullmatch(code or ""):
        return None
    return db.session.scalar(select(Office).where(Office.code == code))


def by_id(office_id: int) -> Office | None:
    return db.session.get(Office, office_id)
