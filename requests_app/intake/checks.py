"""The full check of one row: every rule of ``DataRequest.clean()``, the named constraints and the
hold rule of ``services.request_create``, each in a small function.

Why not ``full_clean()`` per row: at a million rows it costs minutes. These are the same rules,
written for speed: each distinct date, count, authority and user is checked once and remembered
(``memory.Learnt``), and a row is kept as the strings PostgreSQL's COPY reads. The database
constraints stay the backstop. Most rows of a large file never come here: see ``fast.py``.
"""

from __future__ import annotations

import datetime
import re

from .. import rules
from ..exports import csv_unescape
from .authorities import Authorities
from .columns import (
    COLUMNS,
    DELAYED,
    DISCLOSURES,
    HOLD_CANDIDATES,
    LEGAL,
    MAX_COUNT,
    MAX_REFERENCE,
    ON_HOLD,
    OUTCOME_REASONS,
    OUTCOMES,
    PAUSE_EXCEPTIONS,
    RECEIVED,
    REQUEST_TYPES,
    STATUSES,
    USER_NOTIFICATIONS,
    VERSION_COLUMN,
    Header,
    N,
    R,
)
from .memory import Learnt, References
from .results import ImportResult

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_COUNT = re.compile(r"\d+|\d{1,3}(?:,\d{3})+", re.ASCII)  # "1024" or "1,024"
# Free text that our own export protected from formula injection ("'=...", see
# exports.csv_safe) is stored as it was; the other columns never start with "'".
_FREE_TEXT = (0, 5, 18, 19)  # reference, authority, assignee, internal_notes
# Where a Publisher adds the codes of the managed lists.
_MANAGED = {
    "legal_process": " (a Publisher adds legal processes in the admin)",
    "product": " (a Publisher adds products in the admin)",
}


# --- value checks ----------------------------------------------------------------------------


def date_problem(value: str) -> str:
    """Why ``value`` is not a date ("" if it is one): ISO YYYY-MM-DD only, 03/04/2020 is ambiguous."""
    if not _ISO_DATE.fullmatch(value):
        return "not a date in ISO format YYYY-MM-DD (e.g. 2020-07-06)"
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return "this date does not exist"
    return ""


def count_problem(value: str) -> tuple[str, str]:
    """(the count as digits, "") or ("", why it is not a count): "1,024" is 1024."""
    if not value:
        return "", "required: the number of accounts the request names"
    if not _COUNT.fullmatch(value):
        if value.startswith("-") and _COUNT.fullmatch(value[1:]):
            return "", "a request names at least 1 account"
        return "", "not a whole number (write 1024 or 1,024)"
    number = int(value.replace(",", ""))
    if number < 1:
        return "", "a request names at least 1 account"
    if number > MAX_COUNT:
        return "", f"too large (at most {MAX_COUNT:,})"
    return str(number), ""


def reference_problem(reference: str) -> str:
    if not reference:
        return "required: every request needs its case reference"
    if "\x00" in reference:
        return "contains a NUL character"
    return f"longer than {MAX_REFERENCE} characters"


def version_ok(version: str) -> bool:
    return version.isascii() and version.isdigit() and 1 <= int(version) <= MAX_COUNT


# --- the full check of a row -----------------------------------------------------------------


class RowChecker:
    """Checks one record in full: reports each problem, or gives the row as COPY will read it."""

    def __init__(
        self,
        result: ImportResult,
        header: Header,
        *,
        today: datetime.date,
        update: bool,
        countries: frozenset[str],
        legal_processes: frozenset[str],
        products: frozenset[str],
        holding: dict[tuple[str, str], str],
        references: References,
        learnt: Learnt,
        authorities: Authorities,
        users: dict[str, str],
        preview_rows: int,
    ):
        self.result, self.header, self.update = result, header, update
        self.today, self.today_iso = today, today.isoformat()
        self.countries, self.holding = countries, holding
        self.legal_processes, self.products = legal_processes, products
        self.references, self.learnt, self.authorities, self.users = references, learnt, authorities, users
        self.file_versions: dict[int, int] = {}  # line -> the version the file gives (--update only)
        self.unheld_on_hold: set[int] = set()  # lines of this batch saying on_hold that nothing holds
        self.preview_left = preview_rows

    def check(self, line: int, record: list[str], batch: list[tuple], rejected: list[tuple]) -> None:
        """Add the row to ``batch`` as (line, row, status in the file), or report its problems
        (and add (line, reference) to ``rejected``, to be checked against the database too).

        A row that passes teaches the short cut its verdict (``Learnt.learn``)."""
        result = self.result
        if len(record) != self.header.width:
            self._odd_record(line, record)
            return
        record.append("")  # what the absent columns read
        raw = self.header.fields(record)
        values = list(map(str.strip, raw))
        if not values[0] and self._blank(record):
            return
        if "'" in [values[i][:1] for i in _FREE_TEXT]:
            for i in _FREE_TEXT:
                values[i] = csv_unescape(values[i]).strip()
        result.rows += 1
        errors_before = result.error_count
        row = self._checked(line, values, record)
        if result.error_count == errors_before:
            row, file_status = self._held(line, row)
            batch.append((line, row, file_status))
            if line not in self.unheld_on_hold:
                self.learnt.learn(raw, row[1], row, file_status)
        elif values[0] and self.references.last_line() == line:
            rejected.append((line, values[0]))
        if self.preview_left:
            self.preview_left -= 1
            self._preview(line, record, batch[-1][1] if batch and batch[-1][0] == line else None)

    def _checked(self, line: int, values: list[str], record: list[str]) -> tuple:
        """The row's values checked in turn (problems reported), in ROW_FIELDS order."""
        (reference, country, received, request_type, accounts, authority, authority_kind, legal_process,
         product, status, outcome, decided, acknowledged, disclosure, outcome_reason, pause_exception,
         user_notification, delayed_until, assignee, internal_notes, version) = values  # fmt: skip
        learnt = self.learnt
        self._reference(line, reference)
        code = self._country(line, country)
        if received not in learnt.good_dates:
            self._date(line, "received_on", received, required=True)
        if request_type not in REQUEST_TYPES:
            request_type = self._choice(line, "request_type", request_type, REQUEST_TYPES, "request type")
        count = learnt.good_counts.get(accounts) or self._count(line, accounts)
        status, outcome, decided = self._decision(line, status, outcome, decided)
        if legal_process and (legal_process not in self.legal_processes or request_type != LEGAL):
            legal_process = self._legal_process(line, legal_process, request_type)
        if product and product not in self.products:
            product = self._choice(line, "product", product, self.products, "product")
        acknowledged = self._acknowledged(line, acknowledged, received) if acknowledged else N
        details = (disclosure, outcome_reason, pause_exception, user_notification)
        if any(details) or delayed_until:
            details = self._decision_details(line, outcome, *details, delayed_until)
        self._decision_rule(line, status, outcome, decided, received, details[2])
        self._notes_version_unnamed(line, internal_notes, version, record)
        authority_id = self._authority(line, authority, authority_kind, code)
        assignee_id = (self.users.get(assignee) or self._unknown_user(line, assignee)) if assignee else N
        return (
            reference, code, authority_id, request_type, legal_process or N, product or N, count, received,
            acknowledged, status, outcome, *details, delayed_until or N, decided, assignee_id,
            N,  # held_by_id: see _held
            internal_notes,
        )  # fmt: skip

    def _held(self, line: int, row: tuple) -> tuple[tuple, str]:
        """The row as the hold rule of request_create leaves it, and the status the file gave."""
        file_status = status = row[R["status"]]
        if status not in HOLD_CANDIDATES:
            return row, file_status
        held_by_id = self.holding.get((row[R["country"]], row[R["request_type"]]), N)
        if held_by_id is not N:
            status = ON_HOLD
        elif status == ON_HOLD:
            self.unheld_on_hold.add(line)
            return row, file_status
        held = list(row)
        held[R["status"]], held[R["held_by_id"]] = status, held_by_id
        return tuple(held), file_status

    # --- one value or a few related ones ---------------------------------------------------

    def _reference(self, line: int, reference: str) -> None:
        references = self.references
        if not reference or len(reference) > MAX_REFERENCE or "\x00" in reference:
            self.result.add_error(line, "reference", reference, reference_problem(reference))
        elif reference in references.seen:
            first = references.first_line(reference)
            self.result.add_error(
                line, "reference", reference, f"duplicate reference: already on line {first} of this file"
            )
        else:
            references.add(reference, line)

    def _country(self, line: int, country: str) -> str:
        code = country if country in self.countries else country.upper()
        if code not in self.countries:
            reason = "unknown country; use its ISO 3166-1 alpha-2 code, e.g. HK" if country else "required"
            self.result.add_error(line, "country", country, reason)
        return code

    def _decision(self, line: int, status: str, outcome: str, decided: str) -> tuple:
        """(status, outcome, decided_on), each a valid value or reported; how they fit together
        is the decision rule's (``_decision_rule``)."""
        if not status:
            status = RECEIVED
        elif status not in STATUSES:
            status = self._choice(line, "status", status, STATUSES, "status")
        if outcome and outcome not in OUTCOMES:
            outcome = self._choice(line, "outcome", outcome, OUTCOMES, "outcome")
        if decided and decided not in self.learnt.good_dates:
            self._date(line, "decided_on", decided)
        return status, outcome, decided or N

    def _decision_rule(self, line: int, status, outcome, decided, received, exception) -> None:
        """The decision rule of ``DataRequest.clean()`` (``rules.request_decision_problems``)
        on values that are each valid: an invalid one is reported already."""
        good = self.learnt.good_dates
        if (
            status not in STATUSES
            or (outcome and outcome not in OUTCOMES)
            or (exception and exception not in PAUSE_EXCEPTIONS)
            or received not in good
            or (decided is not N and decided not in good)
        ):
            return
        problems = rules.request_decision_problems(
            status=status,
            outcome=outcome,
            decided_on=None if decided is N else datetime.date.fromisoformat(decided),
            received_on=datetime.date.fromisoformat(received),
            today=self.today,
            pause_exception=exception,
        )
        decided_text = "" if decided is N else decided
        values = {"outcome": outcome, "decided_on": decided_text, "pause_exception": exception}
        for field, messages in problems.items():
            for message in messages:
                self.result.add_error(line, field, values.get(field, ""), message)

    def _legal_process(self, line: int, legal_process: str, request_type: str) -> str:
        if legal_process not in self.legal_processes:
            legal_process = self._choice(
                line, "legal_process", legal_process, self.legal_processes, "legal process"
            )
        problem = rules.legal_process_problem(request_type, legal_process)
        if request_type in REQUEST_TYPES and problem:
            self.result.add_error(line, "legal_process", legal_process, problem)
        return legal_process

    def _acknowledged(self, line: int, acknowledged: str, received: str) -> str:
        good = self.learnt.good_dates
        if acknowledged not in good:
            self._date(line, "acknowledged_on", acknowledged)
        if acknowledged in good and received in good and acknowledged < received:
            self.result.add_error(
                line, "acknowledged_on", acknowledged, f"acknowledged before receipt (received on {received})"
            )
        return acknowledged

    def _decision_details(self, line, outcome, disclosure, reason, exception, notification, delayed_until):
        """(disclosure, outcome_reason, pause_exception, user_notification), checked."""
        add = self.result.add_error
        if disclosure and disclosure not in DISCLOSURES:
            disclosure = self._choice(line, "disclosure", disclosure, DISCLOSURES, "disclosure")
        if reason and reason not in OUTCOME_REASONS:
            reason = self._choice(line, "outcome_reason", reason, OUTCOME_REASONS, "outcome reason")
        if exception and exception not in PAUSE_EXCEPTIONS:
            exception = self._choice(line, "pause_exception", exception, PAUSE_EXCEPTIONS, "pause exception")
        if notification and notification not in USER_NOTIFICATIONS:
            notification = self._choice(
                line, "user_notification", notification, USER_NOTIFICATIONS, "user notification"
            )
        learnt = self.learnt
        if delayed_until and not (
            delayed_until in learnt.good_dates or delayed_until in learnt.good_later_dates
        ):
            self._date(line, "notification_delayed_until", delayed_until)
        if notification == DELAYED and not delayed_until:
            add(line, "notification_delayed_until", "", "give the date until which notification is delayed")
        return disclosure, reason, exception, notification

    def _notes_version_unnamed(self, line: int, internal_notes: str, version: str, record: list[str]) -> None:
        if internal_notes and "\x00" in internal_notes:
            self.result.add_error(line, "internal_notes", "", "contains a NUL character")
        if version:
            self._version(line, version)
        for position in self.header.unnamed:
            value = record[position].strip()
            if value:
                self.result.add_error(line, "", value, f"a value in column {position + 1}, which has no name")

    def _version(self, line: int, version: str) -> None:
        if not version_ok(version):
            self.result.add_error(
                line,
                VERSION_COLUMN,
                version,
                "not a version of a request (a whole number from 1, as exported)",
            )
        elif self.update:
            # Compared with its request's when the update is applied. Never learnt: so the short
            # cut leaves every row with a version to this check, which notes it here.
            self.file_versions[line] = int(version)
        else:
            self.learnt.learn_version(version)

    def _authority(self, line: int, authority: str, authority_kind: str, code: str) -> str:
        if not authority:
            if authority_kind:
                self.result.add_error(
                    line, "authority_kind", authority_kind, "an authority kind without an authority name"
                )
            return N
        known = self.authorities.known.get((authority, code))
        if known is None or (authority_kind and authority_kind != known[1]):
            known = self.authorities.find(line, authority, code, authority_kind)
        return N if known is None else known[0]

    def _unknown_user(self, line: int, username: str) -> str:
        self.result.add_error(line, "assignee", username, "no user with this username")
        return N

    def _date(self, line: int, column: str, value: str, *, required: bool = False) -> None:
        """Check a date not seen before; good ones are remembered. The dates of
        ``rules.NOT_AFTER_TODAY`` may not lie after today (a notification delay may)."""
        if not value:
            if required:
                self.result.add_error(line, column, "", "required: the date the request was received")
            return
        problem = date_problem(value)
        if problem:
            self.result.add_error(line, column, value, problem)
        elif value <= self.today_iso:
            self.learnt.good_dates.add(value)
        elif column not in rules.NOT_AFTER_TODAY:
            self.learnt.good_later_dates.add(value)
        else:
            problem = rules.date_after_today_problem(column, datetime.date.fromisoformat(value), self.today)
            self.result.add_error(line, column, value, problem)

    def _count(self, line: int, value: str) -> str:
        count, problem = count_problem(value)
        if problem:
            self.result.add_error(line, "accounts_specified", value, problem)
        else:
            self.learnt.good_counts[value] = count
        return count

    def _choice(self, line: int, column: str, value: str, allowed: frozenset[str], kind: str) -> str:
        """A choice written in another case is accepted; anything else is an error."""
        if value.lower() in allowed:
            return value.lower()
        if not value:
            self.result.add_error(line, column, "", f"required: the {kind}")
        else:
            known = ", ".join(sorted(allowed)) or "none yet"
            self.result.add_error(
                line, column, value, f"unknown {kind}; use one of: {known}{_MANAGED.get(column, '')}"
            )
        return value

    # --- records that are not rows ---------------------------------------------------------

    def _odd_record(self, line: int, record: list[str]) -> None:
        if any(value.strip() for value in record):
            self.result.rows += 1
            self.result.add_error(
                line, "", "", f"{len(record)} fields, but the header names {self.header.width} columns"
            )
        else:
            self.result.blank_lines += 1

    def _blank(self, record: list[str]) -> bool:
        """A row of empty cells (spreadsheets leave them) is skipped like an empty line."""
        if any(value.strip() for value in record):
            return False
        self.result.blank_lines += 1
        return True

    def _preview(self, line: int, record: list[str], row: tuple | None) -> None:
        """The row as it will be stored (or, if it has errors, as the file has it)."""
        shown = dict(zip(COLUMNS, map(str.strip, self.header.fields(record)), strict=True))
        if row is not None:
            for column in (
                "country",
                "request_type",
                "accounts_specified",
                "status",
                "outcome",
            ):
                shown[column] = row[R[column]]
        self.result.preview.append((line, [shown[name] for name in self.header.present]))
