"""The public page cache: a page is served from cache until something public changes.

``PublicPageCacheMiddleware`` sits right after whitenoise, so a cached page costs what a static
file costs plus one primary-key query: the session, authentication, CSRF and CSP middleware and
the view never run for it. It stores the finished response of a view marked with
``cache_public_page`` (the security headers included), keyed by:

* the public state token (``selectors.public_state_token``), read from the database on every
  request and changed by database triggers (``public_state.py``) on every write that can change
  a public page, so every process serves fresh pages at once without sharing memory (the cache is
  local memory by default, Redis when REDIS_URL is set);
* today's date (a pause's end date can make it lapse at midnight);
* the page's language, read from the path as LocaleMiddleware reads it (``languages.py``): a
  header or cookie never changes it, so ``Accept-Language`` cannot fetch another language's page;
* the scheme and host (a page's hreflang alternates and a feed's links and entry ids are
  absolute URLs, so no host is served another's);
* the path and the view's own parameters in a canonical order. Parameters a view ignores
  (tracking tags, ``?&&``) are left out of the key, so junk URLs cannot multiply entries; a URL
  with a parameter that a strict view (``/data/``) refuses is not cached at all;
"""

import contextlib
import hashlib
from functools import lru_cache, wraps
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from transparency.middleware import REDIS_ERRORS

from . import languages, selectors

PAGE_TIMEOUT = 24 * 60 * 60  # stale keys age out; a new token makes a new key anyway
STORED_STATUSES = (200, 404)  # answers that are the same for everyone
FORMAT = 3  # of the key and the stored tuple: a change to either must change this
MARK = "_public_page"
CACHE_UNUSABLE = (DatabaseError, InterfaceError, *REDIS_ERRORS)


def cache_public_page(params=(), *, strict: bool = False):
    """Marks a view whose answers are the same for every visitor; the middleware stores them.

    ``params``: the query parameters the view reads (the rest are left out of the cache key);
    ``strict``: the view refuses other parameters (a 400), so such URLs bypass the cache. The
    view renders in one read-only snapshot (REPEATABLE READ on PostgreSQL), so a page is never
    a mix of two states, nor older than the token it is stored under."""
    params = frozenset(params)

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            connection = transaction.get_connection()
            snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
            with transaction.atomic():
                if snapshot:  # SQLite's transactions are serializable already
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                response = view(request, *args, **kwargs)
                if hasattr(response, "render"):
                    response = response.render()
            setattr(response, MARK, True)
            return response

        # The atomic block above is the view's one transaction (ATOMIC_REQUESTS would open it
        # first, and it must begin with SET TRANSACTION).
        wrapped._non_atomic_requests = {DEFAULT_DB_ALIAS}
        wrapped.public_page_params = (params, strict)
        return wrapped

    return decorator


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


@lru_cache(maxsize=1024)
def page_params(path_info: str) -> tuple[frozenset, bool] | None:
    """The marked view's (params, strict) for a path, None for any other path.
    Memoised: the URLconf is fixed while a process runs, and the hit path is counted in
    microseconds. Resolved in the path's own language (the pages' language prefix is the active
    language's)."""
    try:
        with translation.override(languages.path_language(path_info)):
            view = resolve(path_info).func
    except Resolver404:
        return None
    return getattr(view, "public_page_params", None)


def canonical_path(request) -> str | None:
    """The path and the view's own parameters in a fixed order; None if not cacheable."""
    found = page_params(request.path_info)
    if found is None:
        return None
    params, strict = found
    if strict and not set(request.GET) <= params:
        return None  # the view answers 400 with the reason
    query = urlencode([(k, v) for k in sorted(params & set(request.GET)) for v in request.GET.getlist(k)])
    path = f"{request.path}?{query}" if query else request.path
    return path


def page_key(request, path: str) -> str:
    """The cache key of the page at ``path`` (from ``canonical_path``) for this request."""
    language = languages.path_language(request.path_info)
    origin = f"{request.scheme}://{request.get_host()}"
    token = f"{FORMAT}|{current_token()}|{timezone.localdate()}|{language}|{origin}|{path}"
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

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it: DisallowedHost is a 400
        path = canonical_path(request)
        if path is None:
            return self.get_response(request)
        try:
            key = page_key(request, path)
            stored = cache.get(key)
        except CACHE_UNUSABLE:
            # Whether a stored page is current cannot be told (the database is down or not yet
            # migrated, Redis is down or refuses): render it instead. Without the database the
            # view answers the 503 page, with every header.
            return self.get_response(request)
        if stored is not None:
            return replay(request, stored)
        response = self.get_response(request)
        if storable(response):
            headers = [(k, v) for k, v in response.headers.items() if k.lower() != "x-page-cache"]
            with contextlib.suppress(*REDIS_ERRORS):  # full, read-only or gone: serve uncached
                cache.set(key, (response.status_code, headers, response.content), PAGE_TIMEOUT)
                response["X-Page-Cache"] = "miss"
        return response
