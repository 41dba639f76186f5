"""Benchmark: the reviewers' work queue stays fast at a million requests.

Times the admin request changelist (default view, each queue filter, a reference search, the
legal process and product filters) with 10,000 requests and again with 1,000,000 requests, in
the same run and the same database, and prints the ratio for each view. With the indexes behind
every filter the ratio stays small; a sequential scan would make it grow with the table (about
100x), as it does for a legal process no request uses, over all requests (no index behind it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/transparency_bench python bench/bench_desk.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "transparency.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/transparency_bench")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SMALL, LARGE = 10_000, 1_000_000
REPEATS = 5
VIEWS = {
    "default (the work queue)": "",
    "status = in review": "?status__exact=in_review",
    "on hold": "?on_hold=yes",
    "overdue": "?overdue=yes",
    "unassigned": "?assignee=unassigned",
    "period 2024-H1": "?period=2024-H1",
    "country = HK": "?country__exact=HK",
    # The index's worst case: a country with no requests walks all of it (see DataRequest.Meta).
    "country = ZW (none)": "?country__exact=ZW",
    "type = emergency": "?request_type__exact=emergency",
    "search exact reference": "?q=BENCH-00000777",
    # The managed lists' filters have no index behind them (it would cost every import its
    # upkeep): within the work queue the open requests' index serves; over all requests a common
    # entry fills the page at once, and one no request uses reads the whole table.
    "legal process = wiretap": "?legal_process__code__exact=wiretap",
    "product = cloud": "?product__code__exact=cloud",
    "all, process = wiretap": "?queue=all&legal_process__code__exact=wiretap",
    "all, no product": "?queue=all&product__isnull=True",
    "all, process unused": "?queue=all&legal_process__code__exact=other",
}
LEGAL_PROCESSES = ["subpoena", "search_warrant", "court_order", "wiretap", "pen_register", "mlat"]
PRODUCTS = ["mail", "messaging", "cloud", "search"]

INSERT = """
INSERT INTO requests_app_datarequest
  (reference, country, request_type, legal_process, product, accounts_specified, received_on,
   status, outcome, disclosure, outcome_reason, pause_exception, user_notification,
   internal_notes, version, created_at, updated_at, decided_on)
SELECT
  'BENCH-' || lpad(i::text, 8, '0'),
  (ARRAY['US','IN','DE','FR','GB','BR','HK','JP','IT','ES'])[1 + i %% 10],
  (ARRAY['legal_process','legal_process','legal_process','emergency','preservation'])[1 + i %% 5],
  CASE WHEN i %% 5 < 3 THEN (%s::text[])[1 + i %% 6] END,
  CASE WHEN i %% 20 <> 0 THEN (%s::text[])[1 + (i / 7) %% 4] END,
  1 + i %% 3,
  DATE '2019-01-01' + (i %% 2880),
  CASE WHEN i %% 50 = 0 THEN 'in_review' WHEN i %% 97 = 0 THEN 'received' ELSE 'completed' END,
  CASE WHEN i %% 50 = 0 OR i %% 97 = 0 THEN '' ELSE 'all_data' END,
  '', '', '', '', '', 1, now(), now(),
  CASE WHEN i %% 50 = 0 OR i %% 97 = 0 THEN NULL ELSE DATE '2019-01-01' + (i %% 2880) + 7 END
FROM generate_series(%s, %s) AS i
"""


def fill_to(n: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM requests_app_datarequest")
        have = cursor.fetchone()[0]
        if have < n:
            cursor.execute(INSERT, [LEGAL_PROCESSES, PRODUCTS, have + 1, n])
        cursor.execute("ANALYZE requests_app_datarequest")


def ensure_lists() -> None:
    from requests_app.models import LegalProcess, Product
    from requests_app.services import catalog_create_missing

    catalog_create_missing(model=LegalProcess, codes={*LEGAL_PROCESSES, "other"})
    catalog_create_missing(model=Product, codes=set(PRODUCTS))


def time_views(client: Client) -> dict[str, float]:
    url = "/" + settings.ADMIN_URL + "requests_app/datarequest/"
    results = {}
    for name, query in VIEWS.items():
        samples = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            response = client.get(url + query)
            samples.append(time.perf_counter() - start)
            assert response.status_code == 200, (name, response.status_code)
        results[name] = statistics.median(samples)
    return results


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench_desk needs PostgreSQL (set DATABASE_URL).")
    setup_test_environment()
    call_command("migrate", verbosity=0)
    ensure_lists()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE requests_app_datarequest CASCADE")
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)

    fill_to(SMALL)
    small = time_views(client)
    started = time.perf_counter()
    fill_to(LARGE)
    print(f"generated {LARGE:,} requests in {time.perf_counter() - started:.1f}s")
    large = time_views(client)

    print(f"{'changelist view':<26}{'10k rows':>12}{'1M rows':>12}{'ratio':>8}")
    worst = 0.0
    for name in VIEWS:
        ratio = large[name] / small[name]
        worst = max(worst, ratio)
        print(f"{name:<26}{small[name] * 1000:>10.1f}ms{large[name] * 1000:>10.1f}ms{ratio:>8.2f}")
    print(f"worst ratio 1M/10k: {worst:.2f} (a full scan of 100x the rows would be ~100)")


if __name__ == "__main__":
    main()
