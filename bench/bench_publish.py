"""Benchmark (not a test): publish a half-year of 1,000,000 requests on PostgreSQL.

Prints the time of ``services.period_publish`` (the ORM aggregates, the snapshot rows and the
transaction) next to the time of the same statements written by hand as raw SQL (read the
published pause decisions, then the GROUP BY at the finest grain -- country, request type, legal
process, product -- the medians per country and type, the outcome reasons), run in the same
process on the same data; the target is a ratio <= 2. The snapshot must equal the raw result,
counts, pause columns and medians alike. A bare GROUP BY of the counts alone is printed too, for
scale. The requests carry a legal process (legal-process requests: one of 6) and a product (one
of 4, or none); they are generated inside PostgreSQL with generate_series (seconds, not the ORM)
and kept between runs.

    make bench            # or: DATABASE_URL=postgres://... .venv/bin/python bench/bench_publish.py
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "transparency.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/transparency_bench")

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PERIOD = "2020-H2"
START, END = datetime.date(2020, 7, 1), datetime.date(2020, 12, 31)
# 50 countries; the generator skews towards the first ones, as real reports are.
COUNTRIES = (
    "US IN DE FR GB BR IT ES AU TW JP PL MX AR CA NL BE SG KR TR RU PK ID PH TH IL AT CH SE PT "
    "CZ HU GR RO IE DK FI NO NZ ZA CL CO MY HK MO UA KE NG BY VN"
).split()
# The managed lists the figures are broken down by (skewed towards the first, as countries are).
LEGAL_PROCESSES = {
    "subpoena": "Subpoena",
    "search_warrant": "Search warrant",
    "court_order": "Court order",
    "mlat": "MLAT request",
    "wiretap": "Wiretap order",
    "pen_register": "Pen register / trap and trace",
}
PRODUCTS = {"mail": "Mail", "messaging": "Messaging", "cloud": "Cloud storage", "search": "Search"}
NO_PRODUCT_SHARE = 0.05  # requests recorded without a product


def sql_array(values) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def ensure_database() -> None:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    if "postgresql" not in config["ENGINE"]:
        sys.exit("bench_publish needs PostgreSQL: set DATABASE_URL=postgres://...")
    params = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


def generate_requests(cursor) -> None:
    """1M requests received in 2020-H2, made by PostgreSQL itself (generate_series)."""
    country_array = sql_array(COUNTRIES)
    processes, products = sql_array(LEGAL_PROCESSES), sql_array(PRODUCTS)
    cursor.execute("DELETE FROM requests_app_datarequest")
    cursor.execute("SELECT setseed(0.2020)")
    cursor.execute(
        f"""
        INSERT INTO requests_app_datarequest (
            reference, country, authority_id, request_type, legal_process, product,
            accounts_specified, received_on, acknowledged_on, status, outcome, disclosure,
            outcome_reason, pause_exception, user_notification, notification_delayed_until,
            decided_on, assignee_id, held_by_id, internal_notes, version, created_at, updated_at)
        SELECT
            'BENCH-' || g,
            ({country_array})[1 + floor(power(r_country, 2) * {len(COUNTRIES)})::int],
            NULL,
            CASE WHEN r_type < 0.80 THEN 'legal_process' WHEN r_type < 0.92 THEN 'emergency'
                 ELSE 'preservation' END,
            CASE WHEN r_type < 0.80
                 THEN ({processes})[1 + floor(power(r_process, 1.5) * {len(LEGAL_PROCESSES)})::int] END,
            CASE WHEN r_product >= {NO_PRODUCT_SHARE}
                 THEN ({products})[1 + floor(power(r_product, 2) * {len(PRODUCTS)})::int] END,
            1 + floor(r_accounts * 3)::int,
            received, NULL,
            CASE WHEN r_status < 0.9 THEN 'completed' ELSE 'in_review' END,
            CASE WHEN r_status < 0.9
                 THEN (ARRAY['all_data', 'some_data', 'no_data', 'rejected'])[1 + floor(r_outcome * 4)::int]
                 ELSE '' END,
            '', '',
            CASE WHEN r_status < 0.9 AND r_outcome < 0.5 AND r_accounts < 0.02 THEN 'threat_to_life'
                 ELSE '' END,
            '', NULL,
            CASE WHEN r_status < 0.9 THEN received + floor(r_days * 60)::int END,
            NULL, NULL, '', 1, now(), now()
        FROM (
            SELECT g, random() AS r_country, random() AS r_type, random() AS r_accounts,
                   random() AS r_status, random() AS r_outcome, random() AS r_days,
                   random() AS r_process, random() AS r_product,
                   DATE '{START.isoformat()}' + floor(random() * {(END - START).days + 1})::int AS received
            FROM generate_series(1, {ROWS}) AS g
        ) AS s
        """
    )


def ensure_lists() -> None:
    """The legal processes and products the generated requests name."""
    from requests_app.models import LegalProcess, Product
    from requests_app.services import catalog_define

    for model, entries in [(LegalProcess, LEGAL_PROCESSES), (Product, PRODUCTS)]:
        for position, (code, name) in enumerate(entries.items()):
            catalog_define(model=model, code=code, name=name, position=position)


def ensure_pauses() -> None:
    """The register the figures join against: published holds, a lifted one, an unpublished draft."""
    from requests_app.models import PauseDecision

    if PauseDecision.objects.exists():
        return
    d = datetime.date
    common = {"public_statement": "Bench statement.", "is_published": True}
    PauseDecision.objects.create(country="HK", status="paused", effective_from=d(2020, 7, 6), **common)
    PauseDecision.objects.create(country="RU", status="redirected", effective_from=d(2020, 9, 1), **common)
    lifted = PauseDecision.objects.create(
        country="TR", status="paused", effective_from=d(2020, 8, 1), covers_emergency=True, **common
    )
    lifted.status, lifted.ended_on = "lifted", d(2020, 10, 31)
    lifted.save()
    PauseDecision.objects.create(
        country="BY", status="paused", effective_from=d(2020, 7, 1), is_published=False
    )


HOLDS_SQL = """
SELECT p.country, p.effective_from, p.ended_on, p.covers_legal_process, p.covers_emergency,
       p.covers_preservation
FROM requests_app_pausedecision p
WHERE p.is_published
  AND (p.status IN ('paused', 'redirected')
       OR (p.status = 'lifted' AND EXISTS (
           SELECT 1 FROM requests_app_historicalpausedecision h
           WHERE h.id = p.id AND h.status IN ('paused', 'redirected'))))
"""


def held_on(day: str, holds: list[tuple]) -> str:
    """The published holds as plain conditions on the request row, as the service writes them."""
    terms = []
    for country, start, end, legal, emergency, preservation in holds:
        types = [
            t
            for t, on in [("legal_process", legal), ("emergency", emergency), ("preservation", preservation)]
            if on
        ]
        in_types = ", ".join(map(repr, types))
        term = f"(r.country = '{country}' AND r.request_type IN ({in_types}) AND r.{day} >= '{start}'"
        terms.append(term + (f" AND r.{day} <= '{end}')" if end else ")"))
    return "(" + " OR ".join(terms) + ")" if terms else "false"


def raw_sql(holds: list[tuple]) -> str:
    """The figures at the finest grain: (country, request type, legal process, product)."""
    return f"""
SELECT r.country, r.request_type, r.legal_process, r.product,
       count(*) AS requests,
       sum(r.accounts_specified) AS accounts_specified,
       count(*) FILTER (WHERE r.outcome IN ('all_data', 'some_data') AND r.request_type <> 'preservation')
           AS produced,
       count(*) FILTER (WHERE {held_on("received_on", holds)}) AS during_pause,
       count(*) FILTER (WHERE r.outcome IN ('all_data', 'some_data') AND r.request_type <> 'preservation'
                        AND r.pause_exception <> ''
                        AND ({held_on("received_on", holds)} OR {held_on("decided_on", holds)}))
           AS under_exception,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.decided_on - r.received_on)
           FILTER (WHERE r.status = 'completed') AS median_days
FROM requests_app_datarequest r
WHERE r.received_on >= %s AND r.received_on <= %s
GROUP BY r.country, r.request_type, r.legal_process, r.product
ORDER BY r.country, r.request_type, r.legal_process, r.product
"""


# The median of a whole is not derived from its parts': the country page's median per type.
TYPE_MEDIANS_SQL = """
SELECT country, request_type, percentile_cont(0.5) WITHIN GROUP (ORDER BY decided_on - received_on)
FROM requests_app_datarequest
WHERE received_on >= %s AND received_on <= %s AND status = 'completed'
GROUP BY country, request_type
"""


REASONS_SQL = """
SELECT country, request_type, outcome_reason, count(*)
FROM requests_app_datarequest
WHERE received_on >= %s AND received_on <= %s AND status = 'completed' AND outcome_reason <> ''
GROUP BY country, request_type, outcome_reason
ORDER BY country, request_type, outcome_reason
"""


BARE_SQL = """
SELECT country, request_type, legal_process, product, count(*), sum(accounts_specified),
       count(*) FILTER (WHERE outcome IN ('all_data', 'some_data') AND request_type <> 'preservation')
FROM requests_app_datarequest WHERE received_on >= %s AND received_on <= %s
GROUP BY country, request_type, legal_process, product
"""


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from requests_app.models import DataRequest, Publication
    from requests_app.numbers import one_decimal
    from requests_app.services import period_publish

    call_command("migrate", verbosity=0)
    ensure_lists()
    ensure_pauses()
    present = DataRequest.objects.filter(
        reference__startswith="BENCH-", received_on__range=(START, END)
    ).count()
    broken_down = DataRequest.objects.filter(product__isnull=False).exists()  # not an older set
    if present != ROWS or DataRequest.objects.count() != ROWS or not broken_down:
        print(f"generating {ROWS:,} requests in {PERIOD} with generate_series ...", flush=True)
        with connection.cursor() as cursor:
            seconds, _ = timed(lambda: generate_requests(cursor))
        print(f"  generated in {seconds:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE requests_app_datarequest")
    Publication.objects.filter(period=PERIOD).delete()

    def raw():
        """The same statements as the service: read the published holds, aggregate the figures,
        the medians per country and type, then count the outcome reasons."""
        with connection.cursor() as cursor:
            cursor.execute(HOLDS_SQL)
            cursor.execute(raw_sql(cursor.fetchall()), [START, END])
            rows = cursor.fetchall()
            cursor.execute(TYPE_MEDIANS_SQL, [START, END])
            type_medians = {(country, kind): median for country, kind, median in cursor.fetchall()}
            cursor.execute(REASONS_SQL, [START, END])
            cursor.fetchall()
            return rows, type_medians

    def bare():
        with connection.cursor() as cursor:
            cursor.execute(BARE_SQL, [START, END])
            return cursor.fetchall()

    raw()  # warm the cache; not counted
    raw_times, publish_times, bare_times = [], [], []
    for run in range(1, RUNS + 1):
        seconds, (raw_rows, raw_type_medians) = timed(raw)
        raw_times.append(seconds)
        seconds, publication = timed(lambda run=run: period_publish(period=PERIOD, note=f"bench run {run}"))
        publish_times.append(seconds)
        bare_times.append(timed(bare)[0])
        print(
            f"  run {run}: raw SQL {raw_times[-1]:.3f} s | period_publish {publish_times[-1]:.3f} s "
            f"(version {publication.version}, {publication.rows.count()} rows)",
            flush=True,
        )

    # The snapshot holds exactly what the raw SQL computes, medians (as rounded) included.
    published = {
        (row.country.code, row.request_type, row.legal_process_id, row.product_id): (
            row.requests,
            row.accounts_specified,
            row.requests_with_data_produced,
            row.requests_received_during_pause,
            row.requests_produced_under_pause_exception,
            row.median_days_to_decision,
            row.type_median_days_to_decision,
        )
        for row in publication.rows.all()
    }
    computed = {
        tuple(r[:4]): (*r[4:9], one_decimal(r[9]), one_decimal(raw_type_medians.get((r[0], r[1]))))
        for r in raw_rows
    }
    same = "yes" if published == computed else "NO"
    total = sum(row[4] for row in raw_rows)
    raw_median, publish_median = statistics.median(raw_times), statistics.median(publish_times)
    print(f"requests in {PERIOD}: {total:,}; figure rows: {len(raw_rows)}; snapshot equals raw SQL: {same}")
    print(f"raw SQL GROUP BY (same aggregate)    median {raw_median:.3f} s  runs {_fmt(raw_times)}")
    print(f"period_publish (ORM + snapshot)      median {publish_median:.3f} s  runs {_fmt(publish_times)}")
    print(
        f"bare GROUP BY (counts only, no pause/median, for scale)  "
        f"median {statistics.median(bare_times):.3f} s"
    )
    ratio = publish_median / raw_median
    print(
        f"ratio period_publish / raw SQL = {ratio:.2f} (target <= 2): {'OK' if ratio <= 2 else 'OVER TARGET'}"
    )
    Publication.objects.filter(period=PERIOD).delete()
    if same != "yes":
        sys.exit(1)


def _fmt(times: list[float]) -> str:
    return ", ".join(f"{t:.3f}" for t in times)


if __name__ == "__main__":
    main()
