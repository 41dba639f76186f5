"""A realistic, deterministic demo data set (used by ``seed_demo``).

Magnitudes follow the shape of the big platforms' reports: the US, India, Germany and France send
most requests; Hong Kong few. Hong Kong's legal-process requests are paused from 2020-07-06, after
the National Security Law, so its produced share falls to near zero while emergencies are still
answered. Everything is generated from a fixed seed and fixed references, so running it twice
changes nothing.

The data goes in as a desk would put it in: pause decisions through the pause services, requests
as one CSV through the importer (``intake.import_requests``: the same checks, hold rule and
writers as ``manage.py import_requests``), periods through ``period_publish``.
"""

from __future__ import annotations

import datetime
import io
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from . import defaults, intake, roles, services
from .models import (
    Authority,
    DataRequest,
    ImportRun,
    LegalProcess,
    NationalSecurityCategory,
    NationalSecurityRequest,
    PauseDecision,
    Product,
    Publication,
)
from .periods import Period, periods_between

FIRST_PERIOD = Period(2019, 1)
# The demo's "today": fixed so that the data set is the same whichever day it is loaded.
DEMO_TODAY = datetime.date(2026, 11, 20)
OPEN_WINDOW_DAYS = 45

# country: (requests per half-year at scale 1, share of legal-process requests with data produced)
COUNTRIES: dict[str, tuple[int, float]] = {
    "US": (900, 0.82),
    "IN": (520, 0.55),
    "DE": (420, 0.62),
    "FR": (380, 0.66),
    "GB": (260, 0.78),
    "BR": (240, 0.58),
    "TW": (60, 0.72),
    "IT": (150, 0.60),
    "ES": (140, 0.61),
    "AU": (110, 0.68),
    "JP": (70, 0.71),
    "PL": (80, 0.55),
    "MX": (70, 0.42),
    "AR": (55, 0.45),
    "CA": (60, 0.70),
    "NL": (50, 0.63),
    "BE": (45, 0.62),
    "SG": (40, 0.67),
    "KR": (35, 0.40),
    "TR": (90, 0.30),
    "RU": (70, 0.05),
    "PK": (30, 0.35),
    "ID": (30, 0.40),
    "PH": (25, 0.45),
    "TH": (25, 0.38),
    "IL": (40, 0.62),
    "AT": (30, 0.60),
    "CH": (28, 0.63),
    "SE": (25, 0.66),
    "PT": (35, 0.58),
    "CZ": (30, 0.57),
    "HU": (25, 0.52),
    "GR": (25, 0.50),
    "RO": (20, 0.48),
    "IE": (20, 0.70),
    "DK": (15, 0.66),
    "FI": (12, 0.68),
    "NO": (14, 0.67),
    "NZ": (12, 0.69),
    "ZA": (15, 0.45),
    "CL": (18, 0.47),
    "CO": (15, 0.44),
    "MY": (15, 0.45),
    "HK": (30, 0.42),
    "MO": (3, 0.30),
    "UA": (12, 0.40),
    "KE": (6, 0.35),
    "NG": (5, 0.30),
    "XK": (4, 0.50),  # Kosovo: not an ISO 3166-1 country, in every real report
    "UN": (1, 0.90),  # an international body: e.g. a UN investigative mechanism
}

# The demo platform runs several services and reports them separately.
PRODUCTS = [
    ("social", "Social network", "Profiles, posts, comments and groups."),
    ("messaging", "Messenger", "One-to-one and group messages and calls."),
    ("photos", "Photos", "Photo and video sharing."),
    ("cloud_storage", "Cloud storage", "Files stored and shared by users."),
]
# Kinds of legal process beyond the list's first entries, as US and Irish law name them, placed
# among them (the list's order is the tables' order): beside the court orders, before MLAT.
EXTRA_LEGAL_PROCESSES = [
    ("order_2703d", "18 USC 2703(d) order", "A US court order for non-content records on a showing of "
     "specific and articulable facts.", 2),
    ("police_request", "Police request", "A request made by police under national law without a court "
     "order, e.g. in Ireland.", 5),
]  # fmt: skip
# Which kinds of legal process the demo's legal-process requests are, by country.
LEGAL_PROCESS_MIX = {
    "US": ["subpoena", "subpoena", "search_warrant", "search_warrant", "order_2703d", "court_order",
           "pen_register", "wiretap"],
    "IE": ["court_order", "police_request", "police_request", "search_warrant"],
}  # fmt: skip
OTHER_LEGAL_PROCESSES = ["court_order", "court_order", "search_warrant", "subpoena", "mlat"]

AUTHORITY_NAMES: dict[str, list[tuple[str, str]]] = {
    "US": [
        ("Federal Bureau of Investigation", "police"),
        ("U.S. Department of Justice", "prosecutor"),
        ("Superior Court of California", "court"),
    ],
    "HK": [("Hong Kong Police Force", "police"), ("Department of Justice (Hong Kong)", "prosecutor")],
    "DE": [("Bundeskriminalamt", "police"), ("Staatsanwaltschaft Berlin", "prosecutor")],
    "FR": [("Police nationale", "police"), ("Parquet de Paris", "prosecutor")],
    "IN": [("Delhi Police", "police"), ("Central Bureau of Investigation", "police")],
    "GB": [("Metropolitan Police Service", "police"), ("National Crime Agency", "police")],
}

HK_PAUSE_STATEMENT = (
    "We have paused the review of all legal-process requests for user data from Hong Kong "
    "authorities, effective 6 July 2020, pending further assessment of the National Security Law, "
    "including formal human-rights due diligence and consultations with international human-rights "
    "experts. Requests involving an imminent threat to life will continue to be assessed case by case."
)
HK_PAUSE_STATEMENT_ZH = (
    "自2020年7月6日起，我們已暫停審閱香港當局就用戶資料提出的所有法律程序要求，以待進一步評估"
    "《香港國安法》，包括進行正式的人權盡職審查，並諮詢國際人權專家。涉及生命即時受威脅的要求，"
    "我們會繼續按個別情況評估。"
)
RU_REDIRECT_STATEMENT_ZH = (
    "自2022年3月4日起，俄羅斯當局索取用戶資料的要求，我們只經司法互助（MLAT）程序接受，"
    "由締約國的法院審核。"
)
RU_REDIRECT_STATEMENT = (
    "From 4 March 2022 we accept requests for user data from Russian authorities only through the "
    "mutual legal assistance (MLAT) process, where a court in a treaty country reviews them."
)


@dataclass
class DemoSummary:
    authorities: int
    requests_created: int
    pauses: int
    periods_published: int = 0


def _rng_for(*parts) -> random.Random:
    return random.Random("|".join(str(p) for p in parts))


def _demo_users() -> list:
    """Desk staff without passwords (set one with `changepassword` to log in as them)."""
    roles.ensure_roles()
    User = get_user_model()
    users = []
    for username, first, last, role in [
        ("reviewer.amara", "Amara", "Okafor", roles.REVIEWER),
        ("reviewer.jonas", "Jonas", "Weber", roles.REVIEWER),
        ("publisher.mei", "Mei", "Tan", roles.PUBLISHER),
        ("cleared.sam", "Sam", "Rivera", roles.NATIONAL_SECURITY_REVIEWER),
    ]:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "is_staff": True}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        users.append(user)
    return users


def _authority_names(code: str) -> list[tuple[str, str]]:
    return AUTHORITY_NAMES.get(code) or [
        (f"National Police ({code})", "police"),
        (f"Public Prosecutor ({code})", "prosecutor"),
        (f"Courts ({code})", "court"),
    ]


def _managed_lists() -> None:
    defaults.ensure_defaults()
    for position, (code, name, description) in enumerate(PRODUCTS):
        services.catalog_define(
            model=Product, code=code, name=name, description=description, position=position
        )
    for code, name, description, position in EXTRA_LEGAL_PROCESSES:
        if not LegalProcess.objects.filter(code=code).exists():
            services.catalog_define(
                model=LegalProcess, code=code, name=name, description=description, position=position
            )


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC)


def _pauses(publisher) -> list[PauseDecision]:
    """The register: Hong Kong (assessed, then paused), Russia (redirected), one unpublished draft.
    Recorded through the pause services, dated when each step was taken."""
    existing = {(p.country.code, p.effective_from): p for p in PauseDecision.objects.all()}
    hk_start, ru_start = datetime.date(2020, 7, 6), datetime.date(2022, 3, 4)
    by_start = datetime.date(2026, 10, 1)
    hk = existing.get(("HK", hk_start))
    if hk is None:
        hk, _ = services.pause_create(
            actor=publisher,
            recorded_at=_at(datetime.date(2020, 7, 3), 9),
            country="HK",
            status=PauseDecision.Status.ASSESSING,
            covers_legal_process=True,
            holds_pending=True,
            effective_from=hk_start,
            trigger="National Security Law in force in Hong Kong from 30 June 2020.",
            public_statement=HK_PAUSE_STATEMENT,
            statement_url="https://example.org/newsroom/2020/07/hong-kong-requests",
            internal_rationale="Legal and human-rights teams assessing NSL art. 43 implementing rules.",
            exceptions_policy="Requests involving an imminent threat to life or serious physical "
            "injury are assessed case by case and may be answered.",
            allowed_exceptions=[DataRequest.PauseException.THREAT_TO_LIFE],
            next_review_on=datetime.date(2027, 1, 15),
        )
        announced = _at(datetime.date(2020, 7, 3), 12)
        hk = services.pause_publish(decision=hk, actor=publisher, recorded_at=announced)
        hk, _ = services.pause_update(
            pause=hk, actor=publisher, recorded_at=_at(hk_start, 12), status=PauseDecision.Status.PAUSED
        )
        # The statement in Traditional Chinese followed a few days later: the history shows it.
        hk, _ = services.pause_update(
            pause=hk,
            actor=publisher,
            recorded_at=_at(datetime.date(2020, 7, 9), 10),
            statement_translations={"zh-hant": HK_PAUSE_STATEMENT_ZH},
        )
    ru = existing.get(("RU", ru_start))
    if ru is None:
        ru, _ = services.pause_create(
            actor=publisher,
            recorded_at=_at(ru_start, 9),
            country="RU",
            status=PauseDecision.Status.REDIRECTED,
            covers_legal_process=True,
            holds_pending=False,
            effective_from=ru_start,
            trigger="Armed conflict; concerns about the rule of law and due process.",
            public_statement=RU_REDIRECT_STATEMENT,
            statement_translations={"zh-hant": RU_REDIRECT_STATEMENT_ZH},
            statement_url="https://example.org/newsroom/2022/03/russia-requests",
            internal_rationale="Domestic process no longer offers independent judicial review.",
            exceptions_policy="Emergency requests involving a threat to life are assessed case by case.",
            allowed_exceptions=[DataRequest.PauseException.THREAT_TO_LIFE],
        )
        ru = services.pause_publish(decision=ru, actor=publisher, recorded_at=_at(ru_start, 12))
    draft = existing.get(("BY", by_start))
    if draft is None:
        draft, _ = services.pause_create(
            actor=publisher,
            country="BY",
            status=PauseDecision.Status.ASSESSING,
            covers_legal_process=True,
            effective_from=by_start,
            trigger="Draft: reports of requests targeting journalists.",
            internal_rationale="Unpublished draft under assessment.",
        )
    return [hk, ru, draft]


def _request_type(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.80:
        return DataRequest.RequestType.LEGAL_PROCESS
    if roll < 0.92:
        return DataRequest.RequestType.EMERGENCY
    return DataRequest.RequestType.PRESERVATION


Reason = DataRequest.OutcomeReason


def _refusal(rng: random.Random, request_type: str) -> str:
    if request_type == DataRequest.RequestType.LEGAL_PROCESS:
        return rng.choice([Reason.LEGALLY_INSUFFICIENT, Reason.OVERBROAD])
    return Reason.UNVERIFIED_EMERGENCY


def _decision(rng: random.Random, request_type: str, paused: bool, produce_rate: float) -> dict:
    """outcome, outcome_reason, disclosure and pause_exception of a completed demo request."""
    if request_type == DataRequest.RequestType.PRESERVATION:
        # A preservation request asks to keep data, and discloses nothing.
        return {"outcome": DataRequest.Outcome.NO_DATA, "outcome_reason": Reason.PRESERVED}
    if paused:
        if rng.random() < 0.03:
            return {
                "outcome": DataRequest.Outcome.SOME_DATA,
                "pause_exception": DataRequest.PauseException.THREAT_TO_LIFE,
                "disclosure": DataRequest.Disclosure.NON_CONTENT,
            }
        return {"outcome": DataRequest.Outcome.REJECTED, "outcome_reason": Reason.JURISDICTION_PAUSED}
    rate = 0.85 if request_type == DataRequest.RequestType.EMERGENCY else produce_rate
    roll = rng.random()
    if roll < rate:
        outcome = DataRequest.Outcome.ALL_DATA if roll < rate * 0.7 else DataRequest.Outcome.SOME_DATA
        return {"outcome": outcome, "disclosure": rng.choice(["content", "non_content", "non_content"])}
    if roll < rate + (1 - rate) * 0.3:
        return {"outcome": DataRequest.Outcome.NO_DATA, "outcome_reason": Reason.NO_ACCOUNT}
    return {"outcome": DataRequest.Outcome.REJECTED, "outcome_reason": _refusal(rng, request_type)}


def _paused_on(pauses, code: str, day: datetime.date, request_type: str, legal_process: str) -> bool:
    """Whether a published demo pause covered this request (MLAT is the redirect's own route)."""
    for pause in pauses:
        if pause.country == code and pause.in_force_on(day) and pause.covers(request_type):
            return not (legal_process == "mlat" and pause.status == PauseDecision.Status.REDIRECTED)
    return False


def _request_row(code, period, index, produce_rate, pauses, reviewers, today) -> dict:
    """One demo request as a row of the import format."""
    rng = _rng_for(code, period.label, index)
    days_in_period = (min(period.end, today) - period.start).days
    received = period.start + datetime.timedelta(days=rng.randint(0, days_in_period))
    request_type = _request_type(rng)
    authority, kind = rng.choice(_authority_names(code))
    legal_process = (
        rng.choice(LEGAL_PROCESS_MIX.get(code, OTHER_LEGAL_PROCESSES))
        if request_type == DataRequest.RequestType.LEGAL_PROCESS
        else ""
    )
    acknowledged = received + datetime.timedelta(days=rng.randint(0, 3))
    row = {
        "reference": f"DEMO-{period.label}-{code}-{index:05d}",
        "country": code,
        "received_on": received,
        "request_type": request_type,
        "accounts_specified": 1 + int(rng.expovariate(1.2)),
        "authority": authority,
        "authority_kind": kind,
        "legal_process": legal_process,
        "product": rng.choices([code for code, _, _ in PRODUCTS], weights=[6, 3, 2, 1])[0],
        "acknowledged_on": acknowledged if acknowledged <= today else "",
        "internal_notes": f"Demo case {index} for {code}.",
    }
    paused = _paused_on(pauses, code, received, request_type, legal_process)
    age = (today - received).days
    if age < OPEN_WINDOW_DAYS:
        # Open: the importer holds those a pause in force covers, as request_create would.
        row["assignee"] = rng.choice(reviewers).username if rng.random() < 0.6 else ""
        row["status"] = rng.choice([DataRequest.Status.RECEIVED, DataRequest.Status.IN_REVIEW])
        return row
    row.update(
        status=DataRequest.Status.COMPLETED,
        assignee=rng.choice(reviewers).username,
        decided_on=received + datetime.timedelta(days=min(age, int(rng.gammavariate(2.0, 9.0)) + 1)),
        user_notification=rng.choice(["notified", "notified", "not_notified"]),
        **_decision(rng, request_type, paused, produce_rate),
    )
    return row


def _requests_csv(periods, pauses, reviewers, today, scale: float, skip: set[str]) -> bytes:
    """Every demo request not yet stored, as one CSV file in the import format."""

    def rows():
        for period in periods:
            growth = 1 + 0.04 * (period.year - FIRST_PERIOD.year)
            for code, (base, produce_rate) in COUNTRIES.items():
                spread = _rng_for(code, period.label).uniform(0.85, 1.15)
                count = max(1, round(base * scale * growth * spread))
                if period.end > today:  # the current half-year has only just begun
                    count = max(1, round(count * ((today - period.start).days / 183)))
                for index in range(1, count + 1):
                    if f"DEMO-{period.label}-{code}-{index:05d}" not in skip:
                        yield _request_row(code, period, index, produce_rate, pauses, reviewers, today)

    return intake.records_csv(rows())


@transaction.atomic
def seed_demo(*, scale: float = 1.0) -> DemoSummary:
    """Create (or complete) the demo data set; existing demo rows are left as they are."""
    today = min(DEMO_TODAY, timezone.localdate())  # never a date the desk would call the future
    *reviewers, cleared = _demo_users()
    publisher = reviewers[-1]
    cleared.groups.add(Group.objects.get(name=roles.REVIEWER))  # a desk reviewer who is cleared
    _managed_lists()
    pauses = [p for p in _pauses(publisher) if p.is_published]
    periods = periods_between(FIRST_PERIOD, Period.containing(today))
    stored = set(
        DataRequest.objects.filter(reference__startswith="DEMO-").values_list("reference", flat=True)
    )
    source = io.BytesIO(_requests_csv(periods, pauses, reviewers, today, scale, stored))
    result = intake.import_requests(
        source, file_name="seed_demo.csv", actor=publisher, origin=ImportRun.Source.COMMAND
    )
    if not result.ok:
        raise RuntimeError("The demo data did not import: " + "; ".join(map(str, result.errors[:5])))
    _national_security_requests(periods, cleared, today, scale)
    published = _publish_ended_periods(periods, publisher=publisher, today=today)
    return DemoSummary(
        authorities=Authority.objects.count(),
        requests_created=result.created,
        pauses=PauseDecision.objects.count(),
        periods_published=published,
    )


# --- National-security process: US FISA orders and NSLs, for the cleared reviewer only -------

# category: (requests per half-year at scale 1, mean accounts per request)
NATIONAL_SECURITY = {"fisa_content": (60, 180.0), "fisa_non_content": (20, 3.0), "nsl": (40, 4.0)}


def _national_security_requests(periods, cleared, today: datetime.date, scale: float) -> None:
    if NationalSecurityRequest.objects.filter(reference__startswith="DEMO-NS-").exists():
        return
    categories = {c.code: c for c in NationalSecurityCategory.objects.all()}
    rows = []
    for period in periods:
        for code, (base, mean_accounts) in NATIONAL_SECURITY.items():
            rng = _rng_for("national-security", code, period.label)
            last = min(period.end, today - datetime.timedelta(days=1))
            if last < period.start:
                continue  # the half-year begins today
            for index in range(max(1, round(base * scale * rng.uniform(0.7, 1.3)))):
                received = period.start + datetime.timedelta(days=rng.randint(0, (last - period.start).days))
                decided = received + datetime.timedelta(days=rng.randint(5, 40))
                done = decided < today
                rows.append(
                    {
                        "reference": f"DEMO-NS-{period.label}-{code}-{index:04d}",
                        "category": categories[code],
                        "received_on": received,
                        "accounts_specified": 1 + int(rng.expovariate(1 / mean_accounts)),
                        "status": DataRequest.Status.COMPLETED if done else DataRequest.Status.IN_REVIEW,
                        "outcome": rng.choice(["all_data", "some_data", "no_data"]) if done else "",
                        "decided_on": decided if done else None,
                        "assignee": cleared,
                    }
                )
    services.ns_requests_create_bulk(requests=rows, actor=cleared)


# --- Publishing: every demo period that has ended gets its first publication ----------------


def _publish_ended_periods(periods: list[Period], *, publisher, today: datetime.date) -> int:
    """Publish (version 1) each ended demo period not yet published, so the public report has data."""
    already = set(Publication.objects.values_list("period", flat=True))
    published = 0
    for period in periods:
        if period.has_ended(today) and period.label not in already:
            services.period_publish(period=period, actor=publisher, today=today)
            published += 1
    return published
