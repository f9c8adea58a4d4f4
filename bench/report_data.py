"""Generated history for the figures (PostgreSQL only): offices, their staff, slots, and per
working day `per_day` applications per office with their holds, visits and audit trails, all
made by INSERT ... SELECT generate_series (minutes for a year of 125 offices, not hours).

Of every twenty applications of a day: one let its hold expire unpaid, one did not come (a no-show
the next morning), one was rejected (the reasons in turn), one was first incomplete then approved,
and the others approved and collected. Every application is final, so that the one applicant
account holding them all breaks no rule about active applications.

Used by bench/reports.py and tests/integration/test_report_plans.py.
"""

from datetime import date

from sqlalchemy import text

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
REASONS = ("false_data", "not_original", "wrong_application_type", "documents_not_supplied")

STEPS = [
    # Offices, three zones in turn; half issue e-passports.
    """
    INSERT INTO offices (code, kind, name, address, city, province, latitude, longitude,
        timezone, issues_epassport, epassport_stock, opening_days, release_weekday, release_hour,
        first_slot_hour, last_slot_hour, regular_per_hour, express_per_hour, slot_window_days,
        priority_per_hour, checkin_opens_minutes, call_weight_priority, call_weight_express,
        call_weight_regular)
    SELECT 'bench-' || lpad(i::text, 3, '0'), 'kanim',
        'Kantor Imigrasi Bench ' || lpad(i::text, 3, '0'), 'Jl. Bench ' || i, 'Kota ' || i,
        'Provinsi', -6.2, 106.8, (ARRAY['Asia/Jakarta','Asia/Makassar','Asia/Jayapura'])[1 + i % 3],
        i % 2 = 0, 500 + i, '01234', 4, 9, 8, 14, 12, 2, 60, 2, 60, 1, 1, 2
    FROM generate_series(1, :offices) AS i
    """,
    # Three officers per office, and the one applicant.
    """
    INSERT INTO users (full_name, email, phone, password_hash, locale, role, office_id,
        session_version, terms_accepted_at, created_at, failed_codes, verified_at)
    SELECT 'Petugas ' || o.id || '-' || k, 'petugas' || o.id || '-' || k || '@bench.id',
        '+62811' || lpad((o.id * 10 + k)::text, 8, '0'), 'x', 'id', 'staff', o.id, 1,
        now(), now(), 0, now()
    FROM offices o CROSS JOIN generate_series(0, 2) AS k WHERE o.code LIKE 'bench-%'
    """,
    """
    INSERT INTO users (full_name, email, phone, password_hash, locale, role, session_version,
        terms_accepted_at, created_at, failed_codes, verified_at)
    VALUES ('Pemohon Bench', 'pemohon@bench.id', '+6281100000000', 'x', 'id', 'applicant', 1,
        now(), now(), 0, now())
    """,
    """
    CREATE TEMP TABLE bench_staff AS
    SELECT office_id, (row_number() OVER (PARTITION BY office_id ORDER BY id) - 1) AS k, id
    FROM users WHERE email LIKE 'petugas%@bench.id'
    """,
    # Working days (Monday to Friday) of every office, numbered.
    """
    CREATE TEMP TABLE bench_days AS
    SELECT row_number() OVER (ORDER BY o.id, d) - 1 AS idx, o.id AS office_id, d::date AS day,
        CASE o.timezone WHEN 'Asia/Jakarta' THEN 7 WHEN 'Asia/Makassar' THEN 8 ELSE 9 END AS off
    FROM offices o
    CROSS JOIN generate_series(CAST(:first AS date), CAST(:first AS date) + :days - 1,
        interval '1 day') AS d
    WHERE o.code LIKE 'bench-%' AND extract(isodow FROM d) <= 5
    """,
    """
    INSERT INTO slots (office_id, starts_at, lane, capacity)
    SELECT b.office_id, b.day + make_interval(hours => h - b.off), lane,
        CASE lane WHEN 'regular' THEN 12 ELSE 2 END
    FROM bench_days b CROSS JOIN generate_series(8, 14) AS h
    CROSS JOIN unnest(ARRAY['regular', 'express', 'priority']) AS lane
    """,
    """
    CREATE TEMP TABLE bench_apps AS
    SELECT :base + b.idx * :per_day + g.n AS id, b.office_id, b.day, g.n AS k,
        g.n % 20 AS kind, CASE WHEN g.n % 10 = 9 THEN 'express' ELSE 'regular' END AS lane,
        b.day + make_interval(hours => 8 + g.n % 7 - b.off) AS ts,
        s.id AS staff_id, 1 + g.n % 3 AS counter
    FROM bench_days b CROSS JOIN generate_series(0, :per_day - 1) AS g(n)
    JOIN bench_staff s ON s.office_id = b.office_id AND s.k = g.n % 3
    """,
    """
    INSERT INTO applications (id, public_id, number, account_id, place, status, created_at,
        updated_at, submitted_at, service, office_id, refund_review, nik_check_version,
        pending_inputs, nik_status)
    SELECT a.id, 'b' || lpad(a.id::text, 15, '0'), '9' || lpad(a.id::text, 15, '0'),
        (SELECT id FROM users WHERE email = 'pemohon@bench.id'), 1,
        CASE a.kind WHEN 0 THEN 'expired' WHEN 1 THEN 'no_show' WHEN 2 THEN 'rejected'
            ELSE 'collected' END,
        a.ts - interval '10 days', a.ts, a.ts - interval '10 days', a.lane, a.office_id, false,
        0, '{}', 'verified'
    FROM bench_apps a
    """,
    """
    INSERT INTO holds (id, slot_id, application_id, account_id, status, created_at, expires_at,
        ended_at)
    SELECT a.id, s.id, a.id, (SELECT id FROM users WHERE email = 'pemohon@bench.id'),
        CASE WHEN a.kind = 0 THEN 'expired' ELSE 'paid' END, a.ts - interval '10 days',
        a.ts - interval '10 days' + interval '2 hours',
        CASE WHEN a.kind = 0 THEN a.ts - interval '10 days' + interval '2 hours' END
    FROM bench_apps a
    JOIN slots s ON s.office_id = a.office_id AND s.starts_at = a.ts AND s.lane = a.lane
    """,
    """
    INSERT INTO visits (id, application_id, office_id, day, lane, number, status, rank,
        queued_at, checked_in_at, checked_in_by, counter_number, called_at, called_by, calls,
        sent_back, served_at)
    SELECT a.id, a.id, a.office_id, a.day, a.lane, a.k + 1, 'done', 0,
        a.ts + make_interval(mins => a.k % 5), a.ts + make_interval(mins => a.k % 5),
        a.staff_id, a.counter, a.ts + make_interval(mins => a.k % 5 + 5 + a.k % 25), a.staff_id,
        1, false, a.ts + make_interval(mins => a.k % 5 + 6 + a.k % 25)
    FROM bench_apps a WHERE a.kind NOT IN (0, 1)
    """,
    # The trail: scheduled for every paid one; checked in, the decision(s), printed and collected
    # for those who came; the visit's start and end of service; the no-shows next morning.
    """
    INSERT INTO audit_entries (application_id, entity, entity_id, actor_id, counter_number,
        from_status, to_status, reason, at)
    SELECT a.id, 'application', CAST(NULL AS integer), CAST(NULL AS integer),
        CAST(NULL AS integer), 'awaiting_payment', 'scheduled', CAST(NULL AS text),
        a.ts - interval '10 days' + interval '30 minutes'
    FROM bench_apps a WHERE a.kind <> 0
    UNION ALL
    SELECT v.application_id, 'application', NULL, v.checked_in_by, NULL, 'scheduled',
        'checked_in', NULL, v.checked_in_at
    FROM visits v JOIN bench_apps a ON a.id = v.id
    UNION ALL
    SELECT a.id, 'visit', a.id, a.staff_id, a.counter, 'called', 'serving', NULL,
        a.ts + make_interval(mins => a.k % 5 + 6 + a.k % 25)
    FROM bench_apps a WHERE a.kind NOT IN (0, 1)
    UNION ALL
    SELECT a.id, 'visit', a.id, a.staff_id, a.counter, 'serving', 'done', NULL,
        a.ts + make_interval(mins => a.k % 5 + 14 + a.k % 25 + a.k % 12)
    FROM bench_apps a WHERE a.kind NOT IN (0, 1)
    UNION ALL
    SELECT a.id, 'application', NULL, a.staff_id, a.counter, 'in_review',
        CASE a.kind WHEN 2 THEN 'rejected' WHEN 3 THEN 'incomplete' ELSE 'approved' END,
        CASE a.kind WHEN 2 THEN (ARRAY['false_data', 'not_original', 'wrong_application_type',
            'other'])[1 + (a.k / 20) % 4] END,
        a.ts + make_interval(mins => a.k % 5 + 12 + a.k % 25)
    FROM bench_apps a WHERE a.kind NOT IN (0, 1)
    UNION ALL
    SELECT a.id, 'application', NULL, a.staff_id, a.counter, 'in_review', 'approved', NULL,
        a.ts + interval '2 days'
    FROM bench_apps a WHERE a.kind = 3
    UNION ALL
    SELECT a.id, 'application', NULL, NULL, NULL, 'approved', 'printed', NULL,
        a.ts + interval '3 days'
    FROM bench_apps a WHERE a.kind > 2
    UNION ALL
    SELECT a.id, 'application', NULL, a.staff_id, NULL, 'ready_for_pickup', 'collected', NULL,
        a.ts + interval '6 days'
    FROM bench_apps a WHERE a.kind > 2
    UNION ALL
    SELECT a.id, 'application', NULL, NULL, NULL, 'scheduled', 'no_show',
        'not checked in on the appointment day', a.ts + interval '18 hours'
    FROM bench_apps a WHERE a.kind = 1
    """,
    "SELECT setval(pg_get_serial_sequence('applications', 'id'), "
    "(SELECT max(id) FROM applications))",
    "SELECT setval(pg_get_serial_sequence('holds', 'id'), (SELECT max(id) FROM holds))",
    "SELECT setval(pg_get_serial_sequence('visits', 'id'), (SELECT max(id) FROM visits))",
    "DROP TABLE bench_apps",
    "DROP TABLE bench_days",
    "DROP TABLE bench_staff",
]


def generate(connection, *, offices: int, first: date, days: int, per_day: int) -> int:
    """Fill the (empty, migrated) database on this SQLAlchemy connection; commit; analyse.
    Returns the number of applications made."""
    base = 1 + (connection.execute(text("SELECT coalesce(max(id), 0) FROM applications")).scalar())
    values = {"offices": offices, "first": first, "days": days, "per_day": per_day, "base": base}
    for step in STEPS:
        connection.execute(text(step), values)
    connection.commit()
    count = connection.execute(text("SELECT count(*) FROM applications")).scalar()
    connection.execute(text("ANALYZE"))
    connection.commit()
    return count
