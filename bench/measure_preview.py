"""How long the admin's import preview takes for a file of a given size (REQUEST_IMPORT_MAX_UPLOAD_MB).

The preview (``intake.import_requests(..., dry_run=True)``) runs inside a web request, so it
must answer well within the worker timeout (gunicorn: 30 s). This generates a realistic file
(bench_import.generate: 12 columns, ~40 countries, ~600 authorities) of about each size given in
megabytes, and times, on the database DATABASE_URL names (migrated first, request tables not
emptied):

1. the dry run alone, as the admin calls it;
2. the whole admin request: a logged-in superuser POSTs the file to the Import CSV page
   (multipart parsing, storing the upload, the dry run, rendering).

    DATABASE_URL=sqlite:////tmp/measure.sqlite3 python bench/measure_preview.py 10 20 40
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/transparency_uploads python bench/measure_preview.py 20

Not run by ``make bench`` (no ``bench_`` prefix): it prints seconds, not a ratio.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "transparency.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "x" * 30)

BYTES_PER_ROW = 110  # bench_import.generate's average line, measured


def main(sizes_mb: list[float]) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        from bench_import import ensure_database

        ensure_database(url)
    elif not url:
        raise SystemExit("set DATABASE_URL (sqlite:////tmp/... or postgres://.../your_own_db)")
    import django

    django.setup()
    from bench_import import ensure_lists, generate
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from requests_app import intake
    from requests_app.models import ImportRun

    call_command("migrate", verbosity=0)
    ensure_lists()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_SSL_REDIRECT = False
    # No collectstatic here: plain static URLs for the admin's pages.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.REQUEST_IMPORT_MAX_UPLOAD_MB = 10_000  # measuring, not refusing
    User = get_user_model()
    user = User.objects.filter(username="measure-preview").first() or User.objects.create_superuser(
        "measure-preview", "measure@example.org", "measure-preview-password"
    )
    client = Client()
    client.force_login(user)
    out = Path(tempfile.mkdtemp(prefix="measure-preview-"))
    settings.REQUEST_IMPORT_UPLOAD_DIR = str(out / "uploads")
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[1]}")
    for size_mb in sizes_mb:
        rows = int(size_mb * 1e6 / BYTES_PER_ROW)
        path = out / f"requests_{rows}.csv"
        generate(path, rows)
        megabytes = path.stat().st_size / 1e6
        started = time.perf_counter()
        with path.open("rb") as source:
            result = intake.import_requests(
                source, file_name=path.name, dry_run=True, origin=ImportRun.Source.ADMIN, preview_rows=10
            )
        dry_run = time.perf_counter() - started
        assert result.ok and result.rows == rows, result.summary()
        started = time.perf_counter()
        with path.open("rb") as source:
            response = client.post(reverse("admin:requests_app_datarequest_import"), {"file": source})
        whole = time.perf_counter() - started
        assert response.status_code == 200 and response.context["token"], response.status_code
        print(
            f"{megabytes:6.1f} MB, {rows:>9,} rows: dry run {dry_run:5.2f} s; "
            f"whole admin request {whole:5.2f} s"
        )
        path.unlink()
        for stored in Path(settings.REQUEST_IMPORT_UPLOAD_DIR).glob("*.csv"):
            stored.unlink()


if __name__ == "__main__":
    main([float(arg) for arg in sys.argv[1:]] or [20.0])
