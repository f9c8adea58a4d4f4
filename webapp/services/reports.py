"""The figures of a day, a week or a month: for one office (its supervisor's, chosen in the
query) and across every office (administrators).

Every period is reckoned in each office's own time: an office in WIT and one in WIB each count
their own day from their own midnight, and the national figures are the sum of the offices' own
days (not a single WIB day). The figures come from a few aggregate queries (GROUP BY office), never
from a loop over rows:

- quota released: the places of the period's slots whose week has been released (the office's
  release weekday and hour); booked: live holds on those slots (paid, or held and not yet past
  their deadline); paid: paid holds;
- checked in, the average wait from joining the line to the (last) call, from the visits;
- no-shows: the applications moved to no_show whose paid appointment falls in the period;
- approved, incomplete, rejected (by reason): the decisions in the audit trail made in the
  period, counted for the office of the officer who decided (the sweep's rejections of owed
  documents, made by nobody, for the office of the application);
- service time: from the start of service (visits.served_at) to the visit's move to done in the
  audit trail, per office, per counter and per officer;
- e-passport blanks left: the office's stock now.
"""

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, func, or_, select

from webapp import clock
from webapp.extensions import db
from webapp.models.accounts import User
from webapp.models.applications import Application, AuditEntry
from webapp.models.bookings import Hold
from webapp.models.figures import FigureDay, FigureRollup
from webapp.models.offices import Office, Slot
from webapp.models.visits import Visit
from webapp.rules import holds, statuses
from webapp.rules import visits as visit_rules
from webapp.services import booking

DAY, WEEK, MONTH = "day", "week", "month"
PERIODS = (DAY, WEEK, MONTH)
# A year of every office is not offered: it is twelve month downloads (see the CSV view).
REFUSED_PERIODS = frozenset({"year"})
DECISIONS = (statuses.APPROVED, statuses.INCOMPLETE, statuses.REJECTED)


class BadPeriod(ValueError):
    """The period or date asked for is not one the figures are given for."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem  # "period" | "date" | "year"


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # the first day, in office time
    last: date  # the last day, included

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def utc_range(self, zone: str) -> tuple[datetime, datetime]:
        """From the first day's midnight to the midnight after the last, in `zone`, as UTC."""
        local = ZoneInfo(zone)
        start = datetime.combine(self.first, time(0), tzinfo=local)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=local)
        return start.astimezone(UTC), end.astimezone(UTC)


def period(kind: str | None, on: str | None, *, today: date) -> Period:
    """The period of `kind` (day, week Monday to Sunday, calendar month) holding the date `on`
    (YYYY-MM-DD, today when absent); BadPeriod otherwise."""
    kind = kind or DAY
    if kind in REFUSED_PERIODS:
        raise BadPeriod("year")
    if kind not in PERIODS:
        raise BadPeriod("period")
    if on:
        try:
            day = date.fromisoformat(on)
        except ValueError:
            raise BadPeriod("date") from None
        if len(on) != 10 or not 2000 <= day.year <= 2100:
            raise BadPeriod("date")
    else:
        day = today
    if kind == DAY:
        return Period(DAY, day, day)
    if kind == WEEK:
        monday = day - timedelta(days=day.weekday())
        return Period(WEEK, monday, monday + timedelta(days=6))
    last = calendar.monthrange(day.year, day.month)[1]
    return Period(MONTH, day.replace(day=1), day.replace(day=last))


@dataclass
class Figures:
    """One office's figures for the period (or the sum of several offices')."""

    released: int = 0
    booked: int = 0
    paid: int = 0
    checked_in: int = 0
    no_shows: int = 0
    approved: int = 0
    incomplete: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    waits: int = 0  # visits called, over which the wait is averaged
    wait_seconds: float = 0.0  # their total wait
    served: int = 0  # visits served to the end, over which the service time is averaged
    service_seconds: float = 0.0
    stock: int | None = None  # e-passport blanks left; None where the office issues none

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def average_wait_minutes(self) -> float | None:
        return self.wait_seconds / self.waits / 60 if self.waits else None

    @property
    def average_service_minutes(self) -> float | None:
        return self.service_seconds / self.served / 60 if self.served else None

    def add(self, other: "Figures") -> None:
        for name in ("released", "booked", "paid", "checked_in", "no_shows", "approved"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.incomplete += other.incomplete
        for reason, count in other.rejected.items():
            self.rejected[reason] = self.rejected.get(reason, 0) + count
        self.waits += other.waits
        self.wait_seconds += other.wait_seconds
        self.served += other.served
        self.service_seconds += other.service_seconds
        if other.stock is not None:
            self.stock = (self.stock or 0) + other.stock


@dataclass(frozen=True)
class ServiceRow:
    """Service at one counter or by one officer: how many served and the average time."""

    label: str
    served: int
    average_minutes: float | None


@dataclass
class Report:
    period: Period
    offices: list[tuple[Office, Figures]]
    total: Figures
    counters: list[ServiceRow] = field(default_factory=list)  # one office only
    officers: list[ServiceRow] = field(default_factory=list)


def for_office(office_id: int, chosen: Period) -> Report | None:
    """One office's figures with its counters and officers; None for an unknown office."""
    office = db.session.get(Office, office_id)
    if office is None:
        return None
    report = _report([office], chosen)
    report.counters, report.officers = _service_rows(office, chosen)
    return report


def national(chosen: Period) -> Report:
    """Every office's figures, each in its own time, and their sum: the days kept (roll_up)
    read from their rows, the others computed."""
    offices = list(db.session.scalars(select(Office).order_by(Office.name, Office.id)).all())
    kept_until = min(chosen.last, last_day_to_keep())
    if kept_until < chosen.first or not _all_kept(chosen.first, kept_until):
        return _report(offices, chosen)
    figures = _kept(offices, chosen.first, kept_until)
    if kept_until < chosen.last:
        rest = _live(offices, Period(chosen.kind, kept_until + timedelta(days=1), chosen.last))
        for office_id, more in rest.items():
            figures[office_id].add(more)
    return _assemble(offices, chosen, figures)


# The days kept ---------------------------------------------------------------------------------

# A day's figures change no more once it is over in every zone and the hourly no-show sweep has
# passed (a no-show the sweep makes later still, say after an outage, is counted by computing).
KEEP_AFTER = timedelta(days=4)


def last_day_to_keep() -> date:
    return clock.today("Asia/Jakarta") - KEEP_AFTER


def roll_up(day: date) -> int:
    """Keep every office's figures of `day` (replacing any kept before); says how many offices.
    ValueError for a day that may still change."""
    if day > last_day_to_keep():
        raise ValueError(f"{day} may still change: keep days up to {last_day_to_keep()}")
    offices = list(db.session.scalars(select(Office).order_by(Office.id)).all())
    figures = _live(offices, Period(DAY, day, day))
    db.session.execute(delete(FigureDay).where(FigureDay.day == day))
    db.session.execute(delete(FigureRollup).where(FigureRollup.day == day))
    db.session.add_all(
        FigureDay(
            day=day,
            office_id=office_id,
            rejected=dict(kept.rejected),
            rejected_total=kept.rejected_total,
            **{name: getattr(kept, name) for name in KEPT_NUMBERS},
        )
        for office_id, kept in figures.items()
    )
    db.session.add(FigureRollup(day=day))
    db.session.commit()
    return len(figures)


KEPT_NUMBERS = (
    "released", "booked", "paid", "checked_in", "no_shows", "approved", "incomplete",
    "waits", "wait_seconds", "served", "service_seconds",
)  # fmt: skip


def _all_kept(first: date, last: date) -> bool:
    kept = db.session.scalar(
        select(func.count()).where(FigureRollup.day >= first, FigureRollup.day <= last)
    )
    return kept == (last - first).days + 1


def _kept(offices: list[Office], first: date, last: date) -> dict[int, "Figures"]:
    figures = {office.id: Figures() for office in offices}
    in_days = and_(FigureDay.day >= first, FigureDay.day <= last)
    sums = db.session.execute(
        select(FigureDay.office_id, *[func.sum(getattr(FigureDay, n)) for n in KEPT_NUMBERS])
        .where(in_days)
        .group_by(FigureDay.office_id)
    ).all()
    for office_id, *values in sums:
        if office_id in figures:
            for name, value in zip(KEPT_NUMBERS, values, strict=True):
                setattr(figures[office_id], name, type(getattr(Figures, name))(value or 0))
    rejections = db.session.execute(
        select(FigureDay.office_id, FigureDay.rejected).where(in_days, FigureDay.rejected_total > 0)
    ).all()
    for office_id, rejected in rejections:
        for reason, count in (rejected or {}).items():
            if office_id in figures:
                kept = figures[office_id].rejected
                kept[reason] = kept.get(reason, 0) + count
    return figures


# The queries ------------------------------------------------------------------------------------


def _report(offices: list[Office], chosen: Period) -> Report:
    return _assemble(offices, chosen, _live(offices, chosen))


def _live(offices: list[Office], chosen: Period) -> dict[int, "Figures"]:
    figures = {office.id: Figures() for office in offices}
    if offices:
        scope = _Scope(offices, chosen)
        _slots_and_holds(scope, figures)
        _visits(scope, figures)
        _no_shows(scope, figures)
        _decisions(scope, figures)
        _service(scope, figures)
    return figures


def _assemble(offices: list[Office], chosen: Period, figures: dict) -> Report:
    total = Figures()
    for office in offices:
        figures[office.id].stock = office.epassport_stock if office.issues_epassport else None
        total.add(figures[office.id])
    return Report(chosen, [(office, figures[office.id]) for office in offices], total)


class _Scope:
    """The offices asked for and the period in each one's own time, as query conditions."""

    def __init__(self, offices: list[Office], chosen: Period):
        self.offices = offices
        self.period = chosen
        self.single = offices[0].id if len(offices) == 1 else None
        zones = sorted({office.timezone for office in offices})
        self.ranges = {zone: chosen.utc_range(zone) for zone in zones}
        self.start = min(start for start, _ in self.ranges.values())
        self.end = max(end for _, end in self.ranges.values())

    def office_is(self, column):
        """The office condition: one office, or none (every office)."""
        return column == self.single if self.single is not None else True

    def moment_in(self, column, zone_column):
        """`column` (UTC) in the period in the office's zone: one range the indexes can scan,
        then each zone's own range."""
        if len(self.ranges) == 1:
            ((start, end),) = self.ranges.values()
            return and_(column >= start, column < end)
        per_zone = [
            and_(zone_column == zone, column >= start, column < end)
            for zone, (start, end) in self.ranges.items()
        ]
        return and_(column >= self.start, column < self.end, or_(*per_zone))


def _seconds(later, earlier):
    """later - earlier in seconds, on SQLite and PostgreSQL."""
    if db.engine.dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def _slots_and_holds(scope: _Scope, figures: dict[int, Figures]) -> None:
    in_period = and_(
        scope.office_is(Slot.office_id), scope.moment_in(Slot.starts_at, Office.timezone)
    )
    capacity = db.session.execute(
        select(Slot.office_id, func.sum(Slot.capacity))
        .join(Office, Office.id == Slot.office_id)
        .where(in_period)
        .group_by(Slot.office_id)
    ).all()
    for office_id, places in capacity:
        figures[office_id].released += int(places or 0)
    _less_unreleased(scope, figures, in_period)

    now = clock.now()
    live = or_(Hold.status == holds.PAID, and_(Hold.status == holds.HELD, Hold.expires_at > now))
    counted = db.session.execute(
        select(Slot.office_id, Hold.status, func.count())
        .select_from(Slot)
        .join(Office, Office.id == Slot.office_id)
        .join(Hold, Hold.slot_id == Slot.id)
        .where(in_period, Hold.status.in_(holds.LIVE), live)
        .group_by(Slot.office_id, Hold.status)
    ).all()
    for office_id, status, count in counted:
        figures[office_id].booked += count
        if status == holds.PAID:
            figures[office_id].paid += count


def _less_unreleased(scope: _Scope, figures: dict[int, Figures], in_period) -> None:
    """Take away the places of slots whose week is not released yet (in a period reaching
    past the next release): only those slots are read again, by hour."""
    boundary = {}
    for office in scope.offices:
        # Every slot before the first day the next release opens (weekly or monthly) is released.
        first = booking.first_unreleased_day(office)
        local = datetime.combine(first, time(0), tzinfo=ZoneInfo(office.timezone))
        boundary[office.id] = local.astimezone(UTC)
    earliest = min(boundary.values())
    if earliest >= scope.end:
        return
    later = db.session.execute(
        select(Slot.office_id, Slot.starts_at, func.sum(Slot.capacity))
        .join(Office, Office.id == Slot.office_id)
        .where(in_period, Slot.starts_at >= earliest)
        .group_by(Slot.office_id, Slot.starts_at)
    ).all()
    for office_id, starts_at, places in later:
        if starts_at >= boundary[office_id]:
            figures[office_id].released -= int(places or 0)


def _visits(scope: _Scope, figures: dict[int, Figures]) -> None:
    wait = _seconds(Visit.called_at, Visit.queued_at)
    rows = db.session.execute(
        select(Visit.office_id, func.count(), func.count(Visit.called_at), func.sum(wait))
        .where(
            scope.office_is(Visit.office_id),
            Visit.day >= scope.period.first,
            Visit.day <= scope.period.last,
            Visit.status != visit_rules.VOID,
        )
        .group_by(Visit.office_id)
    ).all()
    for office_id, checked_in, called, waited in rows:
        figures[office_id].checked_in += checked_in
        figures[office_id].waits += called
        figures[office_id].wait_seconds += float(waited or 0)


def _no_shows(scope: _Scope, figures: dict[int, Figures]) -> None:
    rows = db.session.execute(
        select(Slot.office_id, func.count(func.distinct(AuditEntry.application_id)))
        .select_from(AuditEntry)
        .join(Hold, and_(Hold.application_id == AuditEntry.application_id))
        .join(Slot, Slot.id == Hold.slot_id)
        .join(Office, Office.id == Slot.office_id)
        .where(
            AuditEntry.to_status == statuses.NO_SHOW,
            AuditEntry.entity == "application",
            AuditEntry.at >= scope.start,  # never before the appointment; however late the sweep
            Hold.status == holds.PAID,
            scope.office_is(Slot.office_id),
            scope.moment_in(Slot.starts_at, Office.timezone),
        )
        .group_by(Slot.office_id)
    ).all()
    for office_id, count in rows:
        figures[office_id].no_shows += count


def _decisions(scope: _Scope, figures: dict[int, Figures]) -> None:
    reason = case((AuditEntry.to_status == statuses.REJECTED, AuditEntry.reason), else_=None)
    decided = and_(AuditEntry.entity == "application", AuditEntry.to_status.in_(DECISIONS))
    # Made by an officer: counted for the officer's office (a small table to join).
    by_staff = (
        select(User.office_id, AuditEntry.to_status, reason, func.count())
        .select_from(AuditEntry)
        .join(User, User.id == AuditEntry.actor_id)
        .join(Office, Office.id == User.office_id)
        .where(
            decided,
            scope.office_is(User.office_id),
            scope.moment_in(AuditEntry.at, Office.timezone),
        )
        .group_by(User.office_id, AuditEntry.to_status, reason)
    )
    # Made by nobody (the sweep of owed documents): counted for the application's office.
    by_sweep = (
        select(Application.office_id, AuditEntry.to_status, reason, func.count())
        .select_from(AuditEntry)
        .join(Application, Application.id == AuditEntry.application_id)
        .join(Office, Office.id == Application.office_id)
        .where(
            decided,
            AuditEntry.actor_id.is_(None),
            scope.office_is(Application.office_id),
            scope.moment_in(AuditEntry.at, Office.timezone),
        )
        .group_by(Application.office_id, AuditEntry.to_status, reason)
    )
    for query in (by_staff, by_sweep):
        for office_id, status, why, count in db.session.execute(query).all():
            if office_id not in figures:
                continue
            if status == statuses.APPROVED:
                figures[office_id].approved += count
            elif status == statuses.INCOMPLETE:
                figures[office_id].incomplete += count
            else:
                rejected = figures[office_id].rejected
                key = why or "other"
                rejected[key] = rejected.get(key, 0) + count


def _done(scope: _Scope):
    """The visits of the period served to the end, with the moment their service ended."""
    return (
        select(Visit)
        .join(
            AuditEntry,
            and_(
                AuditEntry.entity == "visit",
                AuditEntry.entity_id == Visit.id,
                AuditEntry.to_status == visit_rules.DONE,
            ),
        )
        .where(
            scope.office_is(Visit.office_id),
            Visit.day >= scope.period.first,
            Visit.day <= scope.period.last,
            Visit.served_at.is_not(None),
        )
    )


def _service(scope: _Scope, figures: dict[int, Figures]) -> None:
    took = _seconds(AuditEntry.at, Visit.served_at)
    query = (
        _done(scope)
        .with_only_columns(Visit.office_id, func.count(), func.sum(took))
        .group_by(Visit.office_id)
    )
    for office_id, served, seconds in db.session.execute(query).all():
        figures[office_id].served += served
        figures[office_id].service_seconds += float(seconds or 0)


def _service_rows(office: Office, chosen: Period) -> tuple[list[ServiceRow], list[ServiceRow]]:
    scope = _Scope([office], chosen)
    took = _seconds(AuditEntry.at, Visit.served_at)
    per_counter = db.session.execute(
        _done(scope)
        .with_only_columns(AuditEntry.counter_number, func.count(), func.avg(took))
        .group_by(AuditEntry.counter_number)
        .order_by(AuditEntry.counter_number)
    ).all()
    per_officer = db.session.execute(
        _done(scope)
        .join(User, User.id == AuditEntry.actor_id)
        .with_only_columns(User.id, User.full_name, func.count(), func.avg(took))
        .group_by(User.id, User.full_name)
        .order_by(User.full_name, User.id)
    ).all()
    counters = [
        ServiceRow(str(number) if number is not None else "-", served, _minutes(seconds))
        for number, served, seconds in per_counter
    ]
    officers = [
        ServiceRow(name, served, _minutes(seconds)) for _, name, served, seconds in per_officer
    ]
    return counters, officers


def _minutes(seconds) -> float | None:
    return None if seconds is None else float(seconds) / 60
