"""Bulk intake in the admin: upload a CSV, preview it, import it on confirmation; export the same format.

Mixed into ``DataRequestAdmin`` (admin/requests.py) so that the desk finds it on the requests list. The
upload is checked by ``intake.import_requests`` as a dry run (the rows and every error are
shown); confirming runs the real import of the same file, all or nothing. Reviewers and
Publishers (who may add requests) can import; Auditors, who change nothing, cannot.
"""

from __future__ import annotations

import csv
import re
import secrets
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import intake
from ..models import ImportRun
from .forms import ImportUploadForm
from .history import HistoryIsReadOnly

PREVIEW_ROWS = 10
_SESSION_KEY = "request_imports"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
_STALE_AFTER_SECONDS = 24 * 3600
# A check or an import on this page gives up after this long (gunicorn kills a worker at 30 s):
# most files under the cap take a few seconds, but one whose rows all take the importer's slow
# path (e.g. a new authority on every row, or updates) can take far longer.
CHECK_SECONDS = 20
# The deadline is looked at once a batch; updates go through the services at ~15 ms a row, so
# their batches are kept small enough (~3 s) for the check to come before the worker's timeout.
UPDATE_BATCH_ROWS = 200
_TOO_SLOW = _(
    "Checking %(name)s took more than %(seconds)s s, too long for a web page; nothing was imported. "
    "Import it on the server with: python manage.py import_requests FILE.csv (add --dry-run to check it)"
)


class _TooSlow(Exception):
    pass


def _deadline(seconds: float):
    """A progress callback for import_requests that stops it (it rolls back) after ``seconds``."""
    started = time.monotonic()

    def progress(rows: int, _elapsed: float) -> None:
        if time.monotonic() - started > seconds:
            raise _TooSlow(rows)

    return progress


def _batching(update: bool) -> dict:
    return {"batch_size": UPDATE_BATCH_ROWS} if update else {}


def upload_dir() -> Path:
    """Where uploads wait between preview and confirmation (REQUEST_IMPORT_UPLOAD_DIR)."""
    directory = Path(
        getattr(settings, "REQUEST_IMPORT_UPLOAD_DIR", None)
        or Path(tempfile.gettempdir()) / "transparency-imports"
    )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _remove_stale_uploads(directory: Path) -> None:
    """Remove uploads left waiting for a confirmation for more than a day (one directory listing:
    cheap enough for every visit to the import page)."""
    cutoff = time.time() - _STALE_AFTER_SECONDS
    for stale in directory.glob("*.csv"):
        try:
            if stale.stat().st_mtime < cutoff:
                stale.unlink()
        except OSError:
            pass


class RequestImportExportMixin:
    """Adds the import page and the 'Export as CSV' action to the DataRequest admin."""

    def get_urls(self):
        urls = super().get_urls()
        opts = self.model._meta
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            ),
            *urls,
        ]

    def _import_page(self, request, **context):
        return TemplateResponse(
            request,
            "admin/requests_app/import_requests.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Import requests from CSV"),
                "opts": self.model._meta,
                "columns": intake.COLUMNS,
                "required_columns": intake.REQUIRED_COLUMNS,
                **context,
            },
        )

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        # Whatever happens next (a visit, an upload, a confirmation), uploads nobody confirmed
        # within a day go.
        directory = upload_dir()
        _remove_stale_uploads(directory)
        if request.method == "POST" and "confirm" in request.POST:
            return self._import_confirmed(request)
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method != "POST" or not form.is_valid():
            return self._import_page(request, form=form)
        update = form.cleaned_data["update"]
        if update and not self.has_change_permission(request):
            raise PermissionDenied
        upload = form.cleaned_data["file"]
        token = secrets.token_urlsafe(24)
        stored = directory / f"{token}.csv"
        kept = False
        try:
            with stored.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            with stored.open("rb") as source:
                result = intake.import_requests(
                    source,
                    file_name=upload.name,
                    update=update,
                    dry_run=True,
                    actor=request.user,
                    origin=ImportRun.Source.ADMIN,
                    preview_rows=PREVIEW_ROWS,
                    progress=_deadline(CHECK_SECONDS),
                    **_batching(update),
                )
            if result.ok:
                pending = request.session.get(_SESSION_KEY, {})
                pending[token] = {"name": upload.name, "update": update}
                request.session[_SESSION_KEY] = pending
                kept = True
        except _TooSlow:
            self.message_user(
                request, _TOO_SLOW % {"name": upload.name, "seconds": CHECK_SECONDS}, messages.ERROR
            )
            return self._import_page(request, form=ImportUploadForm())
        finally:
            # Only a file waiting for its confirmation stays: not one with errors, nor one whose
            # check failed (an exception, a full disk, the worker's timeout).
            if not kept:
                stored.unlink(missing_ok=True)
        return self._import_page(
            request, form=ImportUploadForm(), result=result, token=token if result.ok else ""
        )

    def _import_confirmed(self, request):
        token = request.POST.get("token", "")
        pending = request.session.get(_SESSION_KEY, {})
        details = pending.get(token) if _TOKEN.fullmatch(token) else None
        stored = upload_dir() / f"{token}.csv"
        if details is None or not stored.exists():
            self.message_user(
                request,
                gettext("That upload has expired or was already imported; upload it again."),
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:requests_app_datarequest_import"))
        try:
            if details["update"] and not self.has_change_permission(request):
                raise PermissionDenied
            with stored.open("rb") as source:
                result = intake.import_requests(
                    source,
                    file_name=details["name"],
                    update=details["update"],
                    actor=request.user,
                    origin=ImportRun.Source.ADMIN,
                    preview_rows=PREVIEW_ROWS,
                    progress=_deadline(CHECK_SECONDS),
                    **_batching(details["update"]),
                )
        except _TooSlow:
            self.message_user(
                request, _TOO_SLOW % {"name": details["name"], "seconds": CHECK_SECONDS}, messages.ERROR
            )
            return self._import_page(request, form=ImportUploadForm())
        finally:
            # One attempt per upload, whatever its outcome (imported, refused, failed): a
            # refused file is corrected and uploaded again.
            stored.unlink(missing_ok=True)
            del pending[token]
            request.session[_SESSION_KEY] = pending
        if not result.written:
            # The database changed since the preview (e.g. a colleague added a reference).
            return self._import_page(request, form=ImportUploadForm(), result=result, token="")
        self.message_user(request, result.summary(), messages.SUCCESS)
        changelist = reverse("admin:requests_app_datarequest_changelist")
        return HttpResponseRedirect(f"{changelist}?import_run__exact={result.run.pk}")

    @admin.action(description=_("Export selected as CSV (the import format)"), permissions=["view"])
    def export_as_csv(self, request, queryset):
        response = StreamingHttpResponse(_csv_stream(queryset), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="requests-{stamp}.csv"'
        return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_stream(queryset):
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield "\ufeff"  # lets spreadsheet programs recognise UTF-8; the importer accepts it
    for row in intake.export_rows(queryset.select_related(None)):
        yield writer.writerow(row)


@admin.register(ImportRun)
class ImportRunAdmin(HistoryIsReadOnly, admin.ModelAdmin):
    """Read-only: the record of every completed import."""

    list_display = [
        "started_at",
        "file_name",
        "source",
        "user",
        "rows",
        "created",
        "updated",
        "requests_link",
    ]
    list_filter = ["source", "update_existing"]
    search_fields = ["file_name", "file_sha256"]
    date_hierarchy = "started_at"
    readonly_fields = [field.name for field in ImportRun._meta.fields] + ["requests_link"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("requests created"))
    def requests_link(self, obj):
        url = reverse("admin:requests_app_datarequest_changelist") + f"?import_run__exact={obj.pk}"
        return format_html(
            '<a href="{}">{}</a>', url, gettext("%(count)s request(s)") % {"count": obj.created}
        )
