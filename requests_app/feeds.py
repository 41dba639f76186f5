"""The Atom feeds of public changes: the pause register, the publications, one jurisdiction's.

Built with Django's syndication framework from what ``selectors`` return (the one visibility
gate), never from the models. A pause entry is one public version of a published decision
(``selectors.pause_register_entries``: an internal-only edit makes none, a draft or a withdrawn
decision none, and only public fields are read); a publication entry is one version of a period
(never who published it).

Entry ids are tag URIs named by what the public already sees, never a database id: a decision's
anchor as it was first published with the number of its public version
(``tag:example.org,2020:pause-HK-2020-07-06/2``), a period with its version
(``tag:example.org,2020:publication-2020-H2/1``). History only grows, so an entry keeps its id
and a reader never sees it twice; the same entry has the same id in every feed it is in.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http.request import split_domain_port
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext, pgettext
from django.utils.translation import gettext_lazy as _

from . import jurisdictions, languages, selectors, wording

# The date of every tag URI: part of each entry id, so it never changes.
TAG_DATE = "2020"
# The <updated> of a feed that has never had an entry nor a public change.
EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
# Public text fields whose change an entry's title only names.
LONG_FIELDS = ("public_statement", "statement_translations", "statement_url", "exceptions_policy")


class PublicAtomFeed(Atom1Feed):
    """Atom 1.0 whose feed-level ``<updated>`` is the last public change: the latest entry, or
    later the last change that removed one (a withdrawn decision); never the time of the request,
    so the same state always gives the same document."""

    def latest_post_date(self) -> datetime.datetime:
        dates = [item["updateddate"] for item in self.items if item["updateddate"] is not None]
        if self.feed.get("last_public_change") is not None:
            dates.append(self.feed["last_public_change"])
        return max(dates, default=EPOCH)


@dataclass(frozen=True)
class PauseItem:
    """One public version of a published decision."""

    entry: selectors.RegisterEntry
    change: selectors.PublicChange

    template = "requests_app/feeds/pause_change.html"

    @property
    def key(self) -> str:
        return f"{self.entry.first_public_anchor}/{self.change.revision}"

    @property
    def date(self) -> datetime.datetime:
        return self.change.date

    @property
    def link(self) -> str:
        return f"{reverse('public:paused')}#{self.entry.decision.public_anchor}"

    @property
    def title(self) -> str:
        """The first version: "Hong Kong: Paused from 6 July 2020 (published)"; each later one
        says what it changed: "Hong Kong: status Paused → Lifted; ended on — → 2023-05-01"."""
        version = self.change.snapshot
        if self.change.revision == 1:
            return gettext("%(country)s: %(status)s from %(start)s (published)") % {
                "country": version.country.name,
                "status": version.status_label,
                "start": date_format(version.effective_from, wording.long_date_format()),
            }
        separator = pgettext("separator of a list of phrases", "; ")
        return gettext("%(country)s: %(changes)s") % {
            "country": version.country.name,
            "changes": separator.join(self._changes()),
        }

    def _changes(self):
        for name, (label, old, new) in zip(self.change.changed_fields, self.change.changes, strict=True):
            if name in LONG_FIELDS:  # the entry shows the new text
                yield gettext("%(field)s changed") % {"field": label}
            else:
                yield f"{label} {old} → {new}"

    def context(self, absolute) -> dict:
        return {"version": self.change.snapshot, "change": self.change}


@dataclass(frozen=True)
class PublicationItem:
    """One publication: a period's first version or a revision, of every jurisdiction or one."""

    publication: selectors.PublicationEntry
    country: str | None = None  # the jurisdiction whose figures the entry counts

    template = "requests_app/feeds/publication.html"

    @property
    def key(self) -> str:
        return f"publication-{self.publication.period}/{self.publication.version}"

    @property
    def date(self) -> datetime.datetime:
        return self.publication.published_at

    @property
    def link(self) -> str:
        if self.country:
            return reverse("public:country", args=[self.country])
        return f"{reverse('public:countries')}?{urlencode({'period': self.publication.period})}"

    @property
    def title(self) -> str:
        values = {"period": self.publication.period, "version": self.publication.version}
        if self.publication.version == 1:
            return gettext("%(period)s published") % values
        return gettext("%(period)s revised: version %(version)s") % values

    def context(self, absolute) -> dict:
        """``absolute``: makes a path a full URL (a feed reader has no page to resolve it on)."""
        query = {"period": self.publication.period, "version": self.publication.version}
        if self.country:
            query["country"] = self.country
        return {
            "publication": self.publication,
            "country_name": jurisdictions.name(self.country) if self.country else "",
            # The files have one address, whatever the feed's language.
            "csv_url": absolute(f"{languages.data_path('public:requests-csv')}?{urlencode(query)}"),
            "json_url": absolute(f"{languages.data_path('public:requests-json')}?{urlencode(query)}"),
        }


def pause_items(entries: list[selectors.RegisterEntry]) -> list[PauseItem]:
    return [PauseItem(entry, change) for entry in entries for change in entry.changes]


def newest_first(items: list) -> list:
    return sorted(items, key=lambda item: (item.date, item.key), reverse=True)


class PublicFeed(Feed):
    """What the three feeds share: Atom, the site as author, tag URIs, the validators' date.

    Made for one request (``state``: the validators the view answers with), not shared."""

    feed_type = PublicAtomFeed
    author_name = _("Transparency report")
    name = ""  # the feed's own id: tag:<host>,2020:feed/<name>

    def __init__(self, *, state: selectors.DataState):
        self.state = state
        self.request = None

    def get_object(self, request, *args, **kwargs):
        self.request = request
        return kwargs.get("code")

    @property
    def authority(self) -> str:
        """The tag URIs' authority: the host the feed was asked for (one of ALLOWED_HOSTS)."""
        return split_domain_port(self.request.get_host())[0] or "localhost"

    def tag(self, specific: str) -> str:
        return f"tag:{self.authority},{TAG_DATE}:{specific}"

    @property
    def language(self) -> str:
        """The feed's xml:lang: the BCP 47 tag of the page language it was asked in."""
        return languages.tag(get_language())

    def feed_guid(self, obj) -> str:
        return self.tag(f"feed/{self.name}")

    def feed_extra_kwargs(self, obj) -> dict:
        return {"last_public_change": self.state.last_modified}

    def item_title(self, item) -> str:
        return item.title

    def item_link(self, item) -> str:
        return item.link

    def item_guid(self, item) -> str:
        return self.tag(item.key)

    def item_description(self, item) -> str:
        return render_to_string(item.template, item.context(self.request.build_absolute_uri))

    def item_pubdate(self, item) -> datetime.datetime:
        return item.date

    def item_updateddate(self, item) -> datetime.datetime:
        return item.date


class PauseRegisterFeed(PublicFeed):
    """Every public change of every published pause decision, with its statement."""

    name = "paused"
    title = _("Transparency report: the pause register")
    subtitle = _(
        "Every public change of a pause decision: published, its status, scope, dates, statement "
        "or exceptions changed."
    )

    def link(self) -> str:
        return reverse("public:paused")

    def items(self) -> list[PauseItem]:
        return newest_first(pause_items(selectors.pause_register_entries()))


class PublicationsFeed(PublicFeed):
    """Every published period and every revision, with its note."""

    name = "publications"
    title = _("Transparency report: publications")
    subtitle = _("Every published half-year period and every revision of one, with its note.")

    def link(self) -> str:
        return reverse("public:data")

    def items(self) -> list[PublicationItem]:
        return newest_first([PublicationItem(p) for p in selectors.publication_entries()])


class JurisdictionFeed(PublicFeed):
    """One jurisdiction: the public changes of its pause decisions and the publications in which
    it has figures."""

    def feed_guid(self, code: str) -> str:
        return self.tag(f"feed/countries/{code}")

    def title(self, code: str) -> str:
        return gettext("Transparency report: %(name)s") % {"name": jurisdictions.name(code)}

    def subtitle(self, code: str) -> str:
        return gettext(
            "Every public change of a pause decision about %(name)s, and every publication (a "
            "period or a revision) with figures for it."
        ) % {"name": jurisdictions.name(code)}

    def link(self, code: str) -> str:
        return reverse("public:country", args=[code])

    def items(self, code: str) -> list:
        pauses = pause_items(selectors.pause_register_entries(country=code))
        publications = [PublicationItem(p, code) for p in selectors.publication_entries(country=code)]
        return newest_first(pauses + publications)
