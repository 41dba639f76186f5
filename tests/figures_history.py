"""A platform's complete history of published figures in ``import_figures``' format, made up
deterministically (a seeded random generator), for the round-trip acceptance test.

Every half-year from 2009-H1 to 2024-H2, about 3,500 rows, as such a history really looks: before
2014 one ``all`` row per jurisdiction (the report did not split request types) that mostly gave a
percentage rather than counts; from 2014 a row per request type, US legal-process requests split
by kind of legal process, Irish ones too, and Russia, Turkey and China split by product (requests
for a local subsidiary's data apart); Kosovo and the United Nations among the jurisdictions;
blank cells where the report did not say ("not reported", never 0).
"""

from __future__ import annotations

import csv
import io
import random
from decimal import ROUND_HALF_UP, Decimal

COLUMNS = (
    "period",
    "country",
    "request_type",
    "legal_process",
    "product",
    "requests",
    "accounts_specified",
    "requests_with_data_produced",
    "percent_with_data_produced",
)
FIRST_YEAR, LAST_YEAR = 2009, 2024
TYPED_FROM = 2014  # the first year the report split its figures by request type
JURISDICTIONS = (
    "US", "IE", "RU", "TR", "CN", "XK", "UN", "DE", "FR", "GB", "IN", "BR", "HK", "JP", "KR", "AU",
    "CA", "MX", "AR", "ES", "IT", "PL", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI", "PT", "GR",
    "IL", "SG", "TW", "PK", "ZA", "NG", "KE", "EG",
)  # fmt: skip
LEGAL_PROCESSES = {
    "US": ("search_warrant", "subpoena", "court_order", "pen_register", "wiretap", "order_2703d",
           "other_legal_request"),
    "IE": ("court_order", "police_request", "search_warrant"),
}  # fmt: skip
PRODUCTS = {code: ("social", "local_subsidiary") for code in ("RU", "TR", "CN")}
# Codes the managed lists do not define after migrating: the import creates them.
NEW_LEGAL_PROCESSES = ["order_2703d", "other_legal_request", "police_request"]
NEW_PRODUCTS = ["local_subsidiary", "social"]
# Rows whose figures are fixed, whatever the generator draws: (period, country, type) -> figures.
FIXED = {
    ("2011-H2", "DE", "all"): ("42", "", "", "5"),  # 42 requests, 5% with data produced
    ("2012-H1", "XK", "all"): ("3", "3", "", "100"),
    ("2013-H2", "UN", "all"): ("7", "", "", "0"),
    ("2014-H1", "US", "emergency"): ("12", "15", "9", "80"),  # both given, and they disagree
}
FIGURES = ("requests", "accounts_specified", "requests_with_data_produced", "percent_with_data_produced")
# How often a row gives a percentage as published: rarely beside counts or for preservation
# requests (which produce nothing), mostly where the report gave no count.
PERCENT_GIVEN = {"counted": 0.05, "preservation": 0.1, "uncounted": 0.85}


def periods() -> list[str]:
    return [f"{year}-H{half}" for year in range(FIRST_YEAR, LAST_YEAR + 1) for half in (1, 2)]


def grains(period: str, country: str) -> list[tuple[str, str, str]]:
    """The (request type, legal process, product) rows of one jurisdiction in one period."""
    if int(period[:4]) < TYPED_FROM:
        return [("all", "", "")]
    products = PRODUCTS.get(country, ("",))
    rows = []
    for request_type in ("legal_process", "emergency", "preservation"):
        processes = LEGAL_PROCESSES.get(country, ("",)) if request_type == "legal_process" else ("",)
        rows.extend((request_type, process, product) for process in processes for product in products)
    return rows


def history_rows(seed: int = 2009) -> list[dict[str, str]]:
    """The whole history as the cells of a figures file, one dict per row."""
    rng = random.Random(seed)
    rows = []
    for period in periods():
        for country in JURISDICTIONS:
            for request_type, legal_process, product in grains(period, country):
                row = {
                    "period": period,
                    "country": country,
                    "request_type": request_type,
                    "legal_process": legal_process,
                    "product": product,
                    **_figures(rng, request_type),
                }
                if (period, country, request_type) in FIXED:
                    row.update(zip(FIGURES, FIXED[period, country, request_type], strict=True))
                rows.append(row)
    return rows


def _figures(rng: random.Random, request_type: str) -> dict[str, str]:
    """One row's figures in the style of its time: old ``all`` rows mostly a percentage only."""
    requests = 0 if rng.random() < 0.03 else int(10 ** rng.uniform(0, 4.3))
    accounts = requests + rng.randint(0, requests // 2 + 1) if requests else 0
    counted = request_type != "preservation" and rng.random() < (0.3 if request_type == "all" else 0.92)
    style = "preservation" if request_type == "preservation" else "counted" if counted else "uncounted"
    percent_given = requests and rng.random() < PERCENT_GIVEN[style]
    accounts_reported = rng.random() >= (0.4 if request_type == "all" else 0.05)
    return {
        "requests": str(requests),
        "accounts_specified": str(accounts) if accounts_reported else "",
        "requests_with_data_produced": str(rng.randint(0, requests)) if counted else "",
        "percent_with_data_produced": _percent(rng) if percent_given else "",
    }


def _percent(rng: random.Random) -> str:
    """A percentage as a report printed it: 0 to 3 decimals, no padding zeros (5, 4.8, 33.333)."""
    value = Decimal(str(rng.uniform(0, 100))).quantize(Decimal(1).scaleb(-rng.choice([0, 0, 1, 2, 3])))
    return format(value.normalize(), "f")


def history_csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def expected_percent(row: dict[str, str]) -> str:
    """What /data/requests.csv publishes as the row's percentage: the one the report printed, or
    100 × produced / requests to one decimal, half up; blank for preservation and when unknown."""
    if row["percent_with_data_produced"]:
        return row["percent_with_data_produced"]
    produced, requests = row["requests_with_data_produced"], int(row["requests"])
    if row["request_type"] == "preservation" or not produced or not requests:
        return ""
    share = Decimal(100 * int(produced)) / Decimal(requests)
    return str(share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
