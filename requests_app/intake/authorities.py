"""Authorities a file names: found by (name, country), or created with the batch that meets them."""

from __future__ import annotations

from .. import services
from ..models import Authority
from .columns import AUTHORITY_KINDS, MAX_AUTHORITY, OTHER_KIND
from .results import ImportResult

NEW = "new:"  # placeholder id of an authority created with the batch (real ids are digits)


def is_placeholder(authority_id: str) -> bool:
    return authority_id[:4] == NEW


class Authorities:
    """The authorities known to this import: (name, country) -> (id, kind).

    A new authority gets a placeholder id, replaced in its rows when the batch creates the
    authorities it met (``create``). It takes the first kind the file states for it, wherever
    that row is ("other" if none does); a kind contradicting a known one is an error. (Known as
    kind "" meanwhile: one this import creates, whose kind is not stated yet.)
    """

    def __init__(self, result: ImportResult, actor, countries: frozenset[str]):
        self.result, self.actor, self.countries = result, actor, countries
        self.known: dict[tuple[str, str], tuple[str, str]] = {
            (name, country): (str(pk), kind)
            for pk, name, country, kind in Authority.objects.values_list("pk", "name", "country", "kind")
        }
        self.new: dict[str, tuple[str, str, str]] = {}  # placeholder -> (name, country, kind)
        # Authorities this import created before a row stated their kind: id -> that kind.
        self.stated_kinds: dict[str, str] = {}

    def find(self, line: int, name: str, country: str, kind: str) -> tuple[str, str] | None:
        """(id, kind) of the authority a row names, or None after reporting why not."""
        add = self.result.add_error
        if len(name) > MAX_AUTHORITY or "\x00" in name:
            add(line, "authority", name, f"longer than {MAX_AUTHORITY} characters or contains NUL")
            return None
        if kind and kind not in AUTHORITY_KINDS:
            if kind.lower() not in AUTHORITY_KINDS:
                add(line, "authority_kind", kind, _unknown_kind(kind))
                return None
            kind = kind.lower()
        if country not in self.countries:
            return None
        known = self.known.get((name, country))
        if known is None:
            placeholder = f"{NEW}{len(self.new)}"
            self.new[placeholder] = (name, country, kind or OTHER_KIND)
            known = self.known[(name, country)] = (placeholder, kind)
        elif kind and not known[1]:
            known = self._state_kind(name, country, known[0], kind)
        if kind and kind != known[1]:
            add(line, "authority_kind", kind, f"{name} ({country}) is recorded as '{known[1]}', not '{kind}'")
            return None
        return known

    def _state_kind(self, name: str, country: str, authority_id: str, kind: str) -> tuple[str, str]:
        """The first kind the file states for an authority this import creates."""
        if is_placeholder(authority_id):
            self.new[authority_id] = (name, country, kind)
        elif kind != OTHER_KIND:  # created by an earlier batch as "other"; set at the end
            self.stated_kinds[authority_id] = kind
        known = self.known[(name, country)] = (authority_id, kind)
        return known

    def create(self) -> dict[str, str]:
        """Create the authorities first met since the last call; placeholder -> real id."""
        planned, self.new = self.new, {}
        found, created = services.authorities_create_bulk(
            authorities=[(name, country, kind) for name, country, kind in planned.values()], actor=self.actor
        )
        ids = {}
        for placeholder, (name, country, _) in planned.items():
            authority = found[(name, country)]
            ids[placeholder] = str(authority.pk)
            # Its kind stays open ("") while the file has not stated one, if this import created
            # it; one someone else created meanwhile has theirs.
            stated = self.known[(name, country)][1] or (name, country) not in created
            self.known[(name, country)] = (str(authority.pk), authority.kind if stated else "")
        return ids

    def apply_stated_kinds(self) -> None:
        """The kinds stated after their authority was created (as "other"), with history."""
        for authority in Authority.objects.filter(pk__in=list(self.stated_kinds)):
            authority.kind = self.stated_kinds[str(authority.pk)]
            authority._change_reason = "kind stated later in the same import"
            authority._history_user = self.actor
            authority.save(update_fields=["kind"])


def _unknown_kind(kind: str) -> str:
    return f"unknown authority kind; use one of: {', '.join(sorted(AUTHORITY_KINDS))}"
