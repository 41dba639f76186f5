"""Site-wide hardening: bad bytes in a URL are a 400, a database outage is a 503.

* ``RejectNulMiddleware``: a NUL character in the path, the query string or a cookie is a 400.
* ``BodySizeLimitMiddleware``: a request body larger than the largest upload the desk takes is
  a 413, refused from its Content-Length before any of it is read or stored.
* ``DatabaseUnavailableMiddleware`` and ``server_error`` (the ``handler500``): while the database
  is unreachable every request answers 503 "temporarily unavailable" — never a traceback, never
  a bare 500 — and answers normally again as soon as it is back, without a restart. While Redis
  (the cache, when ``REDIS_URL`` is set) is unreachable, the public pages and files are served
  uncached (requests_app/caching.py); anything else that needs it answers 503.
"""

from __future__ import annotations

import logging
import sys
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views import defaults

logger = logging.getLogger(__name__)

try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # redis is a runtime dependency; without it there is no Redis to lose
    REDIS_UNAVAILABLE: tuple = ()
    REDIS_ERRORS: tuple = ()
else:
    REDIS_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
    REDIS_ERRORS = (RedisError,)  # also a full (maxmemory) or read-only Redis

# A backing service that is down or unreachable, as opposed to a bug (ProgrammingError, DataError,
# a Redis command error stay 500s).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, *REDIS_UNAVAILABLE)
RETRY_AFTER_SECONDS = 30
TEMPLATE_NAME = "503.html"


class NulCharacterInRequest(SuspiciousOperation):
    """A NUL character in the path, query string or a cookie (logged as django.security.*)."""


class RejectNulMiddleware:
    """400 for a NUL character in the path, the query string or a cookie.

    PostgreSQL text cannot contain NUL, so a lookup with one raises DataError: a 500, on
    PostgreSQL only. A quoted session cookie ``"abcdefgh\\000"`` did that on the desk, and so
    would any view that looks a path segment or a parameter up unchecked. Forms already refuse
    NUL (Django's ProhibitNullCharactersValidator); URLs and cookies do not.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            "\x00" in request.path_info
            or "\x00" in unquote(request.META.get("QUERY_STRING", ""))
            or any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items())
        ):
            # Answered as Django answers every SuspiciousOperation: the 400 page, and a log line.
            raise NulCharacterInRequest("NUL character in the path, query string or a cookie")
        return self.get_response(request)


def service_unavailable(request) -> HttpResponse:
    """The 503 answer: JSON for the JSON API (scripts parse it), the static page otherwise.

    The page is rendered without a request, so no context processor, session or user lookup can
    reach for the database again."""
    if request is not None and request.path.endswith(".json"):
        response = JsonResponse(
            {"error": "temporarily unavailable", "retry_after_seconds": RETRY_AFTER_SECONDS}, status=503
        )
    else:
        response = HttpResponse(loader.render_to_string(TEMPLATE_NAME), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Browsers and proxies must not keep the outage page once the database is back.
    add_never_cache_headers(response)
    return response


def _log(request, exception: BaseException) -> None:
    # One line, no traceback: during an outage every request fails the same way.
    first_line = (str(exception).strip().splitlines() or [""])[0]
    logger.error(
        "Backing service unavailable, answered 503 to %s: %s: %s",
        getattr(request, "path", "?"),
        type(exception).__name__,
        first_line,
    )


class DatabaseUnavailableMiddleware:
    """A database connection failure raised by a view becomes the 503 page.

    While PostgreSQL is down (restarting, failing over, out of connections) every view that
    touches it raises ``OperationalError`` or ``InterfaceError`` (with ``ATOMIC_REQUESTS`` already
    when the view's transaction opens). Nothing needs restarting afterwards: with
    ``CONN_HEALTH_CHECKS`` each worker drops its broken connection and opens a new one on its next
    request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            _log(request, exception)
            return service_unavailable(request)
        return None


def server_error(request, template_name: str = defaults.ERROR_500_TEMPLATE_NAME):
    """``handler500``: a database failure raised outside a view (in another middleware, e.g. while
    saving a session) still answers 503; anything else is the ordinary 500 page."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_UNAVAILABLE):
        _log(request, exception)
        return service_unavailable(request)
    return defaults.server_error(request, template_name)


# Room for the upload form's other fields and the multipart framing around the file.
FORM_OVERHEAD_BYTES = 1024 * 1024


class BodySizeLimitMiddleware:
    """Refuses a body over ``REQUEST_IMPORT_MAX_UPLOAD_MB`` (plus the form around it) from its
    declared length. Django would otherwise stream all of it to a temporary file (the CSRF check
    reads the form) before the import page could say no, so any desk user could fill the disk."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cap_mb = settings.REQUEST_IMPORT_MAX_UPLOAD_MB
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > cap_mb * 1024 * 1024 + FORM_OVERHEAD_BYTES:
            return HttpResponse(
                f"This upload is {length / (1024 * 1024):.1f} MB; the desk takes files up to {cap_mb} MB. "
                "Import larger files on the server with: python manage.py import_requests FILE.csv\n",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

