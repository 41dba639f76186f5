"""The public page cache: a page is served from cache until something public changes.

The key holds a token read from the database (latest publication, published pause decisions)
and today's date (a pause's end date can make it lapse at midnight). Every process computes the
token itself, so a publication made through one app server is shown by all of them at once, with
or without a shared cache (local memory by default, Redis when REDIS_URL is set).
"""

import hashlib
from functools import wraps

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import HttpResponse
from django.utils import timezone

from . import selectors

PAGE_TIMEOUT = 24 * 60 * 60  # stale keys age out; a new token makes a new key anyway


def cache_public_page(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        token = f"{selectors.public_state_token()}|{timezone.localdate()}|{request.get_full_path()}"
        key = "public-page:" + hashlib.sha256(token.encode()).hexdigest()
        hit = cache.get(key)
        if hit is not None:
            status, content_type, content = hit
            response = HttpResponse(content, status=status, content_type=content_type)
            response["X-Page-Cache"] = "hit"
            return response
        with transaction.atomic():  # a miss renders from one consistent snapshot
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response = response.render()
        # Only pages that are the same for everyone are stored: successful GETs and 404s.
        if response.status_code in (200, 404) and not response.streaming:
            cache.set(key, (response.status_code, response["Content-Type"], response.content), PAGE_TIMEOUT)
        response["X-Page-Cache"] = "miss"
        return response

    # A hit reads only the token: no BEGIN/COMMIT around it (ATOMIC_REQUESTS would add two round
    # trips to every cached page); a miss opens its own transaction above.
    wrapped._non_atomic_requests = {DEFAULT_DB_ALIAS}
    return wrapped
