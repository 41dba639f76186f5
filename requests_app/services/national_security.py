"""National-security requests: recording them, and the bands a publication carries.

Only bands leave this module: ``period_bands`` reads the exact counts inside the publishing
transaction and returns ranges of each category's width.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from simple_history.utils import bulk_create_with_history

from ..bands import Band, band_of, reportable_from
from ..models import NationalSecurityBand, NationalSecurityCategory, NationalSecurityRequest, Publication
from ..periods import Period
from . import versions


def _save(request: NationalSecurityRequest, actor) -> NationalSecurityRequest:
    request._history_user = actor
    request.full_clean()
    request.save()
    return request


@transaction.atomic
def ns_request_create(*, actor=None, **fields) -> NationalSecurityRequest:
    request = NationalSecurityRequest(**fields)
    request.version = 1
    return _save(request, actor)


@transaction.atomic
def ns_requests_create_bulk(*, requests: list[dict], actor=None) -> int:
    """Record many national-security requests at once (each checked as ``ns_request_create``
    checks one), with their history; the number created."""
    objects = []
    for fields in requests:
        request = NationalSecurityRequest(**fields)
        request.version = 1
        request.full_clean()
        objects.append(request)
    bulk_create_with_history(objects, NationalSecurityRequest, default_user=actor, batch_size=1000)
    return len(objects)


@transaction.atomic
def ns_request_update(
    *, request: NationalSecurityRequest, actor=None, expected_version: int | None = None, **changes
) -> NationalSecurityRequest:
    """Edit a national-security request; an edit from an older version is refused."""
    fresh = versions.claim(request, expected_version=expected_version, what=f"Request {request.reference}")
    for name, value in changes.items():
        setattr(fresh, name, value)
    return _save(fresh, actor)


@dataclass(frozen=True)
class DelayedCategory:
    """A category a period's publication leaves out: its delay has not passed."""

    category: NationalSecurityCategory
    until: datetime.date


def reportable_categories(
    period: Period, today: datetime.date
) -> tuple[list[NationalSecurityCategory], list[DelayedCategory]]:
    """The categories ``period`` may be published for on ``today``, and those still delayed."""
    ready, delayed = [], []
    for category in NationalSecurityCategory.objects.all():
        until = reportable_from(period, category.delay_days)
        if today >= until:
            ready.append(category)
        else:
            delayed.append(DelayedCategory(category, until))
    return ready, delayed


def period_bands(*, period: Period, today: datetime.date) -> list[dict]:
    """The bands of ``period`` per (reporting jurisdiction, reportable category), as
    NationalSecurityBand fields: every jurisdiction of settings.NATIONAL_SECURITY_JURISDICTIONS,
    every period, a zero included (0 is published as the band from 0), so that no band appears
    or moves with a first request. A period published before keeps the widths it was published
    with, so two versions never narrow a count between two widths."""
    ready, _ = reportable_categories(period, today)
    if not ready:
        return []
    counts = {
        (row["country"], row["category"]): (row["n"], row["accounts"])
        for row in NationalSecurityRequest.objects.filter(
            received_on__gte=period.start, received_on__lte=period.end, category__in=ready
        )
        .order_by()
        .values("country", "category")
        .annotate(n=Count("pk"), accounts=Sum("accounts_specified"))
    }
    widths = _published_widths(period)
    bands = []
    for country in settings.NATIONAL_SECURITY_JURISDICTIONS:
        for category in ready:
            requests, accounts = counts.get((country, category.pk), (0, 0))
            requests_width, accounts_width = widths.get(
                (country, category.pk), (category.requests_band, category.accounts_band)
            )
            by_requests, by_accounts = band_of(requests, requests_width), band_of(accounts, accounts_width)
            bands.append(
                {
                    "country": country,
                    "category": category,
                    "requests_min": by_requests.low,
                    "requests_max": by_requests.high,
                    "accounts_min": by_accounts.low,
                    "accounts_max": by_accounts.high,
                    "requests_width": requests_width,
                    "accounts_width": accounts_width,
                }
            )
    return bands


def _published_widths(period: Period) -> dict[tuple[str, int], tuple[int, int]]:
    """(country, category id) -> the widths ``period``'s first computed band of them used."""
    widths = {}
    for band in (
        NationalSecurityBand.objects.filter(publication__period=period.label, requests_width__isnull=False)
        .order_by("-publication__version")
        .only("country", "category_id", "requests_width", "accounts_width")
    ):
        widths[(band.country.code, band.category_id)] = (band.requests_width, band.accounts_width)
    return widths


def bands_write(*, publication: Publication, bands: list[dict]) -> None:
    NationalSecurityBand.objects.bulk_create(
        NationalSecurityBand(publication=publication, **band) for band in bands
    )


@dataclass(frozen=True)
class ImportedBand:
    """One validated row of a banded national-security history (see ``import_figures``)."""

    period: Period
    country: str
    category: str
    requests: Band
    accounts: Band
