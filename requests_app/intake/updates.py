"""``--update``: rows whose reference is already stored change that request through the workflow
services (with history), never by writing the table directly."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .. import rules, services
from ..models import DataRequest
from .columns import ATTRIBUTE, COMPLETED, VERSION_COLUMN, R, S, typed
from .results import ImportResult

_DECISION = ("outcome", "decided_on", "outcome_reason", "disclosure", "pause_exception")


class Updates:
    def __init__(self, result: ImportResult, *, actor, present: list[str], file_versions: dict[int, int]):
        self.result, self.actor, self.present, self.file_versions = result, actor, present, file_versions

    def apply(self, rows: list[tuple]) -> None:
        """Apply (line, row, status in the file) to the stored requests, counting each outcome."""
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            by_reference = DataRequest.objects.select_related("held_by").in_bulk(
                [row[0] for _, row, _ in chunk], field_name="reference"
            )
            for line, row, file_status in chunk:
                try:
                    changed = self._update_one(
                        by_reference[row[0]], row, file_status, self.file_versions.get(line)
                    )
                except ValidationError as error:
                    self._report_refusal(line, row[0], error)
                    continue
                if changed:
                    self.result.updated += 1
                else:
                    self.result.unchanged += 1

    def _update_one(self, request: DataRequest, row: tuple, file_status: str, version: int | None) -> bool:
        """Apply the file's values to an existing request; False if they are already its own.

        A file that gives the version it was exported at changes only a request still at that
        version: a colleague's later edit is refused, never overwritten by the older values."""
        wanted = {}
        for column in self.present:
            if column not in ("authority_kind", VERSION_COLUMN):
                position = R[ATTRIBUTE[column]]
                wanted[column] = typed(position, row[position])
        if "status" in wanted:
            wanted["status"] = file_status
        if all(current(request, column) == value for column, value in wanted.items()):
            return False
        if version is not None and version != request.version:
            raise ValidationError(
                {
                    VERSION_COLUMN: (
                        "changed in the database after this file was "
                        f"exported (the file has version {version}, the database {request.version}); "
                        f"export it again and make the changes there"
                    )
                },
                code="stale",
            )
        request = self._move(request, wanted.pop("status", request.status), wanted)
        # Compared again after the move: starting a review fills in acknowledged_on and the
        # assignee when they are empty, and the file has the last word on both.
        changes = {
            ATTRIBUTE[column]: value for column, value in wanted.items() if current(request, column) != value
        }
        final = rules.workflow_fields_in(changes)  # the one list of what only the workflow changes
        if final:
            raise ValidationError(
                f"{request.reference} is '{request.get_status_display()}' in the database and the file "
                f"changes its {', '.join(final)}: a decision is final and import does not rewrite it.",
                code="decision_final",
            )
        if changes:
            services.request_update(request=request, actor=self.actor, **changes)
        return True

    def _move(self, request: DataRequest, status: str, wanted: dict) -> DataRequest:
        """The request moved to ``status`` by the workflow's own steps (a decision taken from
        ``wanted``)."""
        actor = self.actor
        if status == request.status:
            return request
        if status == COMPLETED:
            if request.status == S.RECEIVED:
                # The workflow decides only reviewed requests: take the same two steps.
                request = services.request_start_review(request=request, actor=actor)
            decision = {name: wanted.pop(name, current(request, name)) for name in _DECISION}
            return services.request_complete(request=request, actor=actor, **decision)
        if status == S.IN_REVIEW:
            return services.request_start_review(request=request, actor=actor)
        if status == S.WITHDRAWN:
            return services.request_withdraw(request=request, actor=actor)
        services.request_transition_check(request=request, status=status)
        return request

    def _report_refusal(self, line: int, reference: str, error: ValidationError) -> None:
        columns = {attribute: column for column, attribute in ATTRIBUTE.items()}
        if hasattr(error, "error_dict"):
            for attribute, messages in error.message_dict.items():
                for message in messages:
                    self.result.add_error(
                        line, columns.get(attribute, attribute), "", f"{reference}: {message}"
                    )
        else:
            for message in error.messages:
                self.result.add_error(line, "", reference, message)


def current(request: DataRequest, column: str):
    """The request's value for a file column, as the file writes it."""
    if column == "country":
        return request.country.code
    return getattr(request, ATTRIBUTE[column])
