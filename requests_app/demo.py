"""A realistic, deterministic demo data set (used by ``seed_demo``).

Magnitudes follow the shape of the big platforms' reports: the US, India, Germany and France send
most requests; Hong Kong few. Hong Kong's legal-process requests are paused from 2020-07-06, after
the National Security Law, so its produced share falls to near zero while emergencies are still
answered. Everything is generated from a fixed seed and fixed references, so running it twice
changes nothing.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from . import roles
from .models import Authority, DataRequest, PauseDecision, Publication
from .periods import Period, periods_between
from .services import period_publish

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
}

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


def _authorities() -> dict[str, list[Authority]]:
    by_country: dict[str, list[Authority]] = {}
    for code in COUNTRIES:
        names = AUTHORITY_NAMES.get(code) or [
            (f"National Police ({code})", "police"),
            (f"Public Prosecutor ({code})", "prosecutor"),
            (f"Courts ({code})", "court"),
        ]
        by_country[code] = [
            Authority.objects.get_or_create(name=name, country=code, defaults={"kind": kind})[0]
            for name, kind in names
        ]
    return by_country


def _pauses(publisher) -> list[PauseDecision]:
    """The register: Hong Kong (paused), Russia (redirected), and one unpublished draft."""
    hk = PauseDecision.objects.filter(country="HK", effective_from=datetime.date(2020, 7, 6)).first()
    if hk is None:
        hk = PauseDecision(
            country="HK",
            status=PauseDecision.Status.ASSESSING,
            covers_legal_process=True,
            holds_pending=True,
            effective_from=datetime.date(2020, 7, 6),
            trigger="National Security Law in force in Hong Kong from 30 June 2020.",
            public_statement=HK_PAUSE_STATEMENT,
            statement_url="https://example.org/newsroom/2020/07/hong-kong-requests",
            internal_rationale="Legal and human-rights teams assessing NSL art. 43 implementing rules.",
            exceptions_policy="Requests involving an imminent threat to life or serious physical "
            "injury are assessed case by case and may be answered.",
            allowed_exceptions=[DataRequest.PauseException.THREAT_TO_LIFE],
            next_review_on=datetime.date(2027, 1, 15),
            decided_by=publisher,
            is_published=True,
        )
        hk._history_user = publisher
        hk._history_date = datetime.datetime(2020, 7, 3, 9, 0, tzinfo=datetime.UTC)
        hk.full_clean()
        hk.save()
        hk.status = PauseDecision.Status.PAUSED
        hk.published_at = datetime.datetime(2020, 7, 6, 12, 0, tzinfo=datetime.UTC)
        hk._history_date = hk.published_at
        hk.save()
    ru = PauseDecision.objects.filter(country="RU", effective_from=datetime.date(2022, 3, 4)).first()
    if ru is None:
        ru = PauseDecision(
            country="RU",
            status=PauseDecision.Status.REDIRECTED,
            covers_legal_process=True,
            holds_pending=False,
            effective_from=datetime.date(2022, 3, 4),
            trigger="Armed conflict; concerns about the rule of law and due process.",
            public_statement=RU_REDIRECT_STATEMENT,
            statement_url="https://example.org/newsroom/2022/03/russia-requests",
            internal_rationale="Domestic process no longer offers independent judicial review.",
            exceptions_policy="Emergency requests involving a threat to life are assessed case by case.",
            allowed_exceptions=[DataRequest.PauseException.THREAT_TO_LIFE],
            decided_by=publisher,
            is_published=True,
            published_at=datetime.datetime(2022, 3, 4, 12, 0, tzinfo=datetime.UTC),
        )
        ru._history_user = publisher
        ru._history_date = ru.published_at
        ru.full_clean()
        ru.save()
    draft = PauseDecision.objects.filter(country="BY", effective_from=datetime.date(2026, 10, 1)).first()
    if draft is None:
        draft = PauseDecision(
            country="BY",
            status=PauseDecision.Status.ASSESSING,
            covers_legal_process=True,
            effective_from=datetime.date(2026, 10, 1),
            trigger="Draft: reports of requests targeting journalists.",
            internal_rationale="Unpublished draft under assessment.",
            decided_by=publisher,
            is_published=False,
        )
        draft.full_clean()
        draft.save()
    return [hk, ru, draft]


def _request_type(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.80:
        return DataRequest.RequestType.LEGAL_PROCESS
    if roll < 0.92:
        return DataRequest.RequestType.EMERGENCY
    return DataRequest.RequestType.PRESERVATION


def _build_request(code, period, index, produce_rate, authorities, pauses, reviewers) -> DataRequest:
    rng = _rng_for(code, period.label, index)
    days_in_period = (min(period.end, DEMO_TODAY) - period.start).days
    received = period.start + datetime.timedelta(days=rng.randint(0, days_in_period))
    request_type = _request_type(rng)
    authority = rng.choice(authorities)
    req = DataRequest(
        reference=f"DEMO-{period.label}-{code}-{index:05d}",
        country=code,
        authority=authority,
        request_type=request_type,
        legal_process=rng.choice(["subpoena", "search_warrant", "court_order", "court_order", "mlat"])
        if request_type == DataRequest.RequestType.LEGAL_PROCESS
        else "",
        product=rng.choice(["Accounts", "Messaging", "Photos", "Cloud storage"]),
        accounts_specified=1 + int(rng.expovariate(1.2)),
        received_on=received,
        acknowledged_on=received + datetime.timedelta(days=rng.randint(0, 3)),
        internal_notes=f"Demo case {index} for {code}.",
    )
    if req.acknowledged_on > DEMO_TODAY:
        req.acknowledged_on = None
    pause = next(
        (p for p in pauses if p.country == code and p.in_force_on(received) and p.covers(request_type)), None
    )
    if (
        pause is not None
        and request_type == DataRequest.RequestType.LEGAL_PROCESS
        and req.legal_process == "mlat"
    ):
        pause = pause if pause.status == PauseDecision.Status.PAUSED else None  # MLAT is the redirect route

    age = (DEMO_TODAY - received).days
    if age < OPEN_WINDOW_DAYS:
        req.assignee = rng.choice(reviewers) if rng.random() < 0.6 else None
        if pause is not None:
            req.status, req.held_by = DataRequest.Status.ON_HOLD, pause
        else:
            req.status = rng.choice([DataRequest.Status.RECEIVED, DataRequest.Status.IN_REVIEW])
        return req

    req.status = DataRequest.Status.COMPLETED
    req.assignee = rng.choice(reviewers)
    req.decided_on = received + datetime.timedelta(days=min(age, int(rng.gammavariate(2.0, 9.0)) + 1))
    req.user_notification = rng.choice(["notified", "notified", "not_notified"])
    if request_type == DataRequest.RequestType.PRESERVATION:
        req.outcome = DataRequest.Outcome.ALL_DATA
    elif pause is not None:
        if rng.random() < 0.03:
            req.outcome = DataRequest.Outcome.SOME_DATA
            req.pause_exception = DataRequest.PauseException.THREAT_TO_LIFE
            req.disclosure = DataRequest.Disclosure.NON_CONTENT
        else:
            req.outcome = DataRequest.Outcome.REJECTED
            req.outcome_reason = DataRequest.OutcomeReason.JURISDICTION_PAUSED
    else:
        rate = 0.85 if request_type == DataRequest.RequestType.EMERGENCY else produce_rate
        roll = rng.random()
        if roll < rate * 0.7:
            req.outcome = DataRequest.Outcome.ALL_DATA
        elif roll < rate:
            req.outcome = DataRequest.Outcome.SOME_DATA
        elif roll < rate + (1 - rate) * 0.3:
            req.outcome = DataRequest.Outcome.NO_DATA
            req.outcome_reason = DataRequest.OutcomeReason.NO_ACCOUNT
        else:
            req.outcome = DataRequest.Outcome.REJECTED
            req.outcome_reason = rng.choice(
                [DataRequest.OutcomeReason.LEGALLY_INSUFFICIENT, DataRequest.OutcomeReason.OVERBROAD]
                if request_type == DataRequest.RequestType.LEGAL_PROCESS
                else [DataRequest.OutcomeReason.UNVERIFIED_EMERGENCY]
            )
        if req.outcome in DataRequest.PRODUCED_OUTCOMES:
            req.disclosure = rng.choice(["content", "non_content", "non_content"])
    return req


@transaction.atomic
def seed_demo(*, scale: float = 1.0) -> DemoSummary:
    """Create (or complete) the demo data set; existing demo rows are left as they are."""
    reviewers = _demo_users()
    authorities = _authorities()
    pauses = [p for p in _pauses(reviewers[-1]) if p.is_published]
    periods = periods_between(FIRST_PERIOD, Period.containing(DEMO_TODAY))
    batch: list[DataRequest] = []
    for period in periods:
        growth = 1 + 0.04 * (period.year - FIRST_PERIOD.year)
        for code, (base, produce_rate) in COUNTRIES.items():
            count = max(1, round(base * scale * growth * _rng_for(code, period.label).uniform(0.85, 1.15)))
            if period.end > DEMO_TODAY:  # the current half-year has only just begun
                count = max(1, round(count * ((DEMO_TODAY - period.start).days / 183)))
            batch.extend(
                _build_request(code, period, i, produce_rate, authorities[code], pauses, reviewers)
                for i in range(1, count + 1)
            )
    before = DataRequest.objects.count()
    DataRequest.objects.bulk_create(batch, batch_size=2000, ignore_conflicts=True)
    published = _publish_ended_periods(periods, publisher=reviewers[-1])
    return DemoSummary(
        authorities=Authority.objects.count(),
        requests_created=DataRequest.objects.count() - before,
        pauses=PauseDecision.objects.count(),
        periods_published=published,
    )


# --- Publishing: every demo period that has ended gets its first publication ----------------


def _publish_ended_periods(periods: list[Period], *, publisher) -> int:
    """Publish (version 1) each ended demo period not yet published, so the public report has data."""
    today = min(DEMO_TODAY, timezone.localdate())
    already = set(Publication.objects.values_list("period", flat=True))
    published = 0
    for period in periods:
        if period.has_ended(today) and period.label not in already:
            period_publish(period=period, actor=publisher, today=today)
            published += 1
    return published
