"""django-filter FilterSets of the public pages and the /data/ API.

Query parameters are a public, scripted interface, so a value that cannot be honoured is an error
(HTTP 400 with the reason), never silently ignored: an ignored ``country=ZZZ`` would return every
country, and an unknown period an empty file that reads as "no requests".

The /data/ files are language-neutral, their 400 reasons included: the messages of their filters
are English. The /countries/ page's controls are in the reader's language.
"""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from . import jurisdictions, selectors
from .choices import PublishedRequestType
from .models import (
    DataRequest,
    FigureRow,
    LegalProcess,
    NationalSecurityBand,
    NationalSecurityCategory,
    PauseDecision,
    Product,
)
from .periods import Period

COUNTRY_CODE_RE = re.compile(r"^[A-Za-z]{2}$")


class ValueListField(forms.Field):
    """A parameter given once, repeated (``?x=a&x=b``) or comma-separated (``?x=a,b``).

    Every value is checked by ``clean_value``; all bad values are reported together.
    """

    widget = forms.SelectMultiple  # its value_from_datadict reads every value of the parameter

    def to_python(self, value) -> list[str]:
        if value in (None, "", [], ()):
            return []
        if isinstance(value, str):
            value = [value]
        return [item.strip() for raw in value for item in str(raw).split(",") if item.strip()]

    def clean_value(self, value: str) -> str:
        raise NotImplementedError

    def clean(self, value) -> list[str]:
        cleaned, errors = [], []
        for item in self.to_python(value):
            try:
                cleaned.append(self.clean_value(item))
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(cleaned))  # without duplicates, in the order given


class PeriodListField(ValueListField):
    def clean_value(self, value: str) -> str:
        return Period.parse(value).label


class CountryListField(ValueListField):
    def clean_value(self, value: str) -> str:
        code = value.upper()
        if not COUNTRY_CODE_RE.match(value) or not jurisdictions.is_code(code):
            raise ValidationError(
                f"'{value}' is not a jurisdiction code: an ISO 3166-1 alpha-2 country code (two letters, "
                "e.g. HK or DE), XK, or an international body's (UN, EU or one listed on /methodology/)."
            )
        return code


class ChoiceListField(ValueListField):
    def __init__(self, *, choices: list[str], noun: str, **kwargs):
        self.allowed = list(choices)
        self.noun = noun
        super().__init__(**kwargs)

    def clean_value(self, value: str) -> str:
        if value not in self.allowed:
            raise ValidationError(f"'{value}' is not a {self.noun}: use one of {', '.join(self.allowed)}.")
        return value


class ManagedCodeListField(ValueListField):
    """Codes of a managed list (legal processes, products), which a Publisher may extend: read
    from the database in one query, and only when the parameter is given."""

    def __init__(self, *, model, noun: str, **kwargs):
        self.model = model
        self.noun = noun
        self.known: list[str] = []
        super().__init__(**kwargs)

    def clean(self, value) -> list[str]:
        if self.to_python(value):
            self.known = list(self.model.objects.order_by("position", "name").values_list("code", flat=True))
        return super().clean(value)

    def clean_value(self, value: str) -> str:
        if value not in self.known:
            raise ValidationError(
                f"'{value}' is not a {self.noun}: use one of {', '.join(self.known) or 'none yet'} "
                "(listed on /methodology/)."
            )
        return value


class PeriodFilter(django_filters.Filter):
    field_class = PeriodListField


class CountryFilter(django_filters.Filter):
    field_class = CountryListField


class ChoiceListFilter(django_filters.Filter):
    field_class = ChoiceListField


class ManagedCodeFilter(django_filters.Filter):
    field_class = ManagedCodeListField


class IntegerFilter(django_filters.Filter):
    field_class = forms.IntegerField


class StrictQueryForm(forms.Form):
    """Refuses query parameters it does not know (a typo must not silently widen the result)."""

    def clean(self):
        cleaned = super().clean()
        unknown = sorted(set(self.data) - set(self.fields))
        if unknown:
            raise ValidationError(
                f"Unknown parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                f"Known parameters: {', '.join(self.fields)}."
            )
        return cleaned


class FigureQueryForm(StrictQueryForm):
    def clean(self):
        cleaned = super().clean()
        periods = cleaned.get("period") or []
        if periods:
            published = set(selectors.published_periods())
            for label in periods:
                if label not in published:
                    listing = ", ".join(sorted(published, reverse=True)) or "none yet"
                    self.add_error("period", f"{label} has not been published. Published periods: {listing}.")
        version = cleaned.get("version")
        if version is not None and "period" not in self.errors:
            if len(periods) != 1:
                self.add_error("version", "version needs exactly one period, e.g. ?period=2020-H2&version=1.")
            else:
                versions = selectors.publication_versions(periods[0])
                if version not in versions:
                    self.add_error(
                        "version",
                        f"{periods[0]} has no version {version}; its versions are "
                        f"{', '.join(map(str, versions))}.",
                    )
        return cleaned


class LatestUnlessVersion:
    """For a FilterSet of published rows: the latest version of each period, unless ``version``
    (with one period) asks for an earlier snapshot."""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("version") is None:
            queryset = queryset.filter(publication__in=selectors.latest_publications())
        return queryset

    @property
    def selected_periods(self) -> list[str]:
        return self.form.cleaned_data.get("period") or []

    @property
    def selected_version(self) -> int | None:
        return self.form.cleaned_data.get("version")


class PublishedRowFilter(LatestUnlessVersion, django_filters.FilterSet):
    """Filters of every file of published rows (/data/requests.*, /data/outcomes.*). Without
    ``version`` every period is read at its latest published version; ``version`` (with one
    period) reads an earlier snapshot."""

    period = PeriodFilter(field_name="publication__period", lookup_expr="in", label="Period")
    country = CountryFilter(field_name="country", lookup_expr="in", label="Country")
    request_type = ChoiceListFilter(
        field_name="request_type",
        lookup_expr="in",
        label="Request type",
        choices=DataRequest.RequestType.values,
        noun="request type",
    )
    version = IntegerFilter(field_name="publication__version", label="Publication version", min_value=1)

    class Meta:
        model = FigureRow
        fields: list[str] = []
        form = FigureQueryForm


class FigureRowFilter(PublishedRowFilter):
    """Filters of /data/requests.csv|json: those of every published file, and the breakdowns of
    a figure row. A legal process or product filter keeps only the rows broken down by it."""

    request_type = ChoiceListFilter(
        field_name="request_type",
        lookup_expr="in",
        label="Request type",
        choices=PublishedRequestType.values,  # and "all": imported reports that did not split types
        noun="request type",
    )
    legal_process = ManagedCodeFilter(
        field_name="legal_process", lookup_expr="in", label="Legal process", model=LegalProcess,
        noun="legal process",
    )  # fmt: skip
    product = ManagedCodeFilter(
        field_name="product", lookup_expr="in", label="Product", model=Product, noun="product"
    )


class BandFilter(LatestUnlessVersion, django_filters.FilterSet):
    """Filters of /data/national_security.csv|json: period, country, category and version, as
    for the figures (the latest version of each period unless ``version`` is given)."""

    period = PeriodFilter(field_name="publication__period", lookup_expr="in", label="Period")
    country = CountryFilter(field_name="country", lookup_expr="in", label="Country")
    category = ManagedCodeFilter(
        field_name="category__code", lookup_expr="in", label="Category", model=NationalSecurityCategory,
        noun="national-security category",
    )  # fmt: skip
    version = IntegerFilter(field_name="publication__version", label="Publication version", min_value=1)

    class Meta:
        model = NationalSecurityBand
        fields: list[str] = []
        form = FigureQueryForm


class PauseRegisterFilter(django_filters.FilterSet):
    """Filters of /data/pauses.csv|json."""

    country = CountryFilter(field_name="country", lookup_expr="in", label="Country")
    status = ChoiceListFilter(
        field_name="status",
        lookup_expr="in",
        label="Status",
        choices=PauseDecision.Status.values,
        noun="pause status",
    )

    class Meta:
        model = PauseDecision
        fields: list[str] = []
        form = StrictQueryForm


# --- The /countries/ page -------------------------------------------------------------------

def _sort_values(row):
    figures = row.figures
    return {
        "name": row.name,
        "requests": figures.requests,
        "accounts": figures.accounts_specified,
        "percent": figures.percent_with_data_produced,
        "during_pause": figures.requests_received_during_pause,
    }


# column: (label ascending, label descending). Every column sorts both ways ("requests" and
# "-requests"); a blank value ("not reported") comes last either way.
SORT_COLUMNS = {
    "name": (_("Country (A–Z)"), _("Country (Z–A)")),
    "requests": (_("Fewest requests"), _("Most requests")),
    "accounts": (_("Fewest accounts specified"), _("Most accounts specified")),
    "percent": (_("Lowest % with data produced"), _("Highest % with data produced")),
    "during_pause": (_("Fewest received during a pause"), _("Most received during a pause")),
}
SORTS = {
    **{column: labels[0] for column, labels in SORT_COLUMNS.items()},
    **{f"-{column}": labels[1] for column, labels in SORT_COLUMNS.items()},
}


def sort_rows(rows, sort: str):
    """Rows in the order ``sort`` names (a key of SORTS), blanks last, then by name."""
    column = sort.lstrip("-")
    rows = sorted(rows, key=lambda row: row.name)
    known = [row for row in rows if _sort_values(row)[column] is not None]
    blank = [row for row in rows if _sort_values(row)[column] is None]
    known.sort(key=lambda row: _sort_values(row)[column], reverse=sort.startswith("-"))
    return known + blank


class CountryPageFilter(django_filters.FilterSet):
    """The /countries/ page: one published period, all or one request type, all or one product, a
    name search and a sort order. Every combination is a plain GET URL, so any view of the table
    can be shared."""

    period = django_filters.ChoiceFilter(
        field_name="publication__period", label=_("Period"), empty_label=None
    )
    request_type = django_filters.ChoiceFilter(
        field_name="request_type",
        label=_("Request type"),
        choices=DataRequest.RequestType.choices,
        empty_label=_("All request types"),
    )
    product = django_filters.ChoiceFilter(
        field_name="product", label=_("Product"), empty_label=_("All products")
    )
    q = django_filters.CharFilter(method="filter_search", label=_("Search countries"), max_length=60)
    sort = django_filters.ChoiceFilter(
        method="keep",
        label=_("Sort by"),
        choices=list(SORTS.items()),
        empty_label=None,
    )

    class Meta:
        model = FigureRow
        fields: list[str] = []

    def __init__(self, data=None, *args, periods: list[str], products: list[tuple[str, str]] = (), **kwargs):
        data = data.copy() if data is not None else None
        if data is not None:
            # Defaults make the bare URL /countries/ mean "latest period, by name".
            if not data.get("period") and periods:
                data["period"] = periods[0]
            data.setdefault("sort", "name")
        super().__init__(data, *args, **kwargs)
        self.filters["period"].extra["choices"] = [(p, p) for p in periods]
        self.form.fields["period"].choices = [(p, p) for p in periods]
        # Products (code, name) from the managed list: a product shows only the rows broken down
        # by it, so rows not broken down by product are left out (the page says so).
        self.filters["product"].extra["choices"] = list(products)
        self.form.fields["product"].choices = list(products)

    def filter_search(self, queryset, name, value):
        codes = codes_matching(value)
        return queryset if codes is None else queryset.filter(country__in=codes)

    def keep(self, queryset, name, value):
        return queryset  # sorting applies to the per-country sums (see sorted_rows)

    def sorted_rows(self, rows):
        return sort_rows(rows, self.form.cleaned_data.get("sort") or "name")

    @property
    def matching_codes(self) -> list[str] | None:
        return codes_matching(self.form.cleaned_data.get("q") or "")


def codes_matching(search: str) -> list[str] | None:
    """Country codes whose name (in the reader's language or in English) contains ``search`` or
    whose code it is; None for no search."""
    term = search.strip().lower()
    if not term:
        return None
    names = {c.code: c.name.lower() for c in jurisdictions.listed()}
    with override("en"):
        english = {c.code: c.name.lower() for c in jurisdictions.listed()}
    return [
        code
        for code, name in names.items()
        if term in name or term in english.get(code, "") or term == code.lower()
    ]
