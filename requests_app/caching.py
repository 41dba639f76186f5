"""The public page cache: a page is served from cache until something public changes.

``PublicPageCacheMiddleware`` sits right after whitenoise, so a cached page costs what a static
file costs plus one primary-key query: the session, authentication, CSRF and CSP middleware and
the view never run for it. It stores the finished response of a view marked with
``cache_public_page`` (the security headers included), keyed by:

* the public state token (``selectors.public_state_token``), read from the database on every
  request and changed by database triggers on every write behind the public pages, so every
  process serves fresh pages at once without sharing memory (the cache is local memory by
  default, Redis when REDIS_URL is set);
* today's date (a pause's end date can make it lapse at midnight);
* the path with its query string.
"""

import contextlib
import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from transparency.middleware import DATABASE_UNAVAILABLE, REDIS_UNAVAILABLE

from . import selectors

PAGE_TIMEOUT = 24 * 60 * 60  # stale keys age out; a new token makes a new key anyway
STORED_STATUSES = (200, 404)  # answers that are the same for everyone
MARK = "_public_page"


def cache_public_page(view):
    """Marks a view whose answers are the same for every visitor; the middleware stores them.

    The view renders inside one transaction, so a page is drawn from one consistent snapshot,
    never older than the token it is stored under."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with transaction.atomic():
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response = response.render()
        setattr(response, MARK, True)
        return response

    # The atomic block above is the view's one transaction (ATOMIC_REQUESTS would nest a
    # savepoint inside it: two more round trips).
    wrapped._non_atomic_requests = {DEFAULT_DB_ALIAS}
    return wrapped


def current_token() -> str:
    """The public state token, in one round trip.

    With CONN_HEALTH_CHECKS Django pings a reused connection (``SELECT 1``) before a request's
    first query. On a cache hit the token query is the only one, so it serves as the check: a
    connection that died since the last request (the database restarted) fails it, is closed,
    and the query runs once more on a new connection.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.connection is None or connection.in_atomic_block:
        return selectors.public_state_token()
    connection.health_check_done = True
    try:
        return selectors.public_state_token()
    except (OperationalError, InterfaceError):
        connection.close()
        return selectors.public_state_token()


def page_key(request) -> str:
    token = f"{current_token()}|{timezone.localdate()}|{request.get_full_path()}"
    return "public-page:" + hashlib.sha256(token.encode()).hexdigest()


def storable(response) -> bool:
    """Only what is the same for everyone: a marked view's 200 or 404, no cookie set, no
    dependence on the session (``Vary: Cookie``)."""
    return (
        getattr(response, MARK, False)
        and response.status_code in STORED_STATUSES
        and not response.streaming
        and not response.cookies
        and "cookie" not in response.get("Vary", "").lower()
    )


def replay(request, stored) -> HttpResponse:
    """The stored answer, or a 304 when the client already holds it (the /data/ files)."""
    status, headers, content = stored
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response.headers[name] = value
    response["X-Page-Cache"] = "hit"
    if status == 200 and ("ETag" in response or "Last-Modified" in response):
        last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
        return get_conditional_response(
            request, etag=response.get("ETag"), last_modified=last_modified, response=response
        )
    return response


class PublicPageCacheMiddleware:
    """Answers GET/HEAD from the page cache before the rest of the stack runs; stores misses."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Never cached: the desk (per user; reading the token there would be wasted) and the
        # static files (whitenoise answers them before this middleware anyway).
        self.skip = ("/" + settings.ADMIN_URL, settings.STATIC_URL)

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or request.path_info.startswith(self.skip):
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it: DisallowedHost is a 400
        try:
            key = page_key(request)
            stored = cache.get(key)
        except DATABASE_UNAVAILABLE:
            # Whether a stored page is current cannot be told: render it instead. Without the
            # database the view answers the 503 page (with every header); without Redis the
            # page is served uncached.
            return self.get_response(request)
        if stored is not None:
            return replay(request, stored)
        response = self.get_response(request)
        if storable(response):
            headers = [(k, v) for k, v in response.headers.items() if k.lower() != "x-page-cache"]
            with contextlib.suppress(*REDIS_UNAVAILABLE):
                cache.set(key, (response.status_code, headers, response.content), PAGE_TIMEOUT)
                response["X-Page-Cache"] = "miss"
        return response
