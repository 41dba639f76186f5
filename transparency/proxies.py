"""The client's address, as seen through the configured number of trusted reverse proxies.

Each proxy in front of the app appends the address it received the request from to
``X-Forwarded-For``; whatever stands further left was written by the client and proves nothing.
With ``TRUSTED_PROXY_COUNT = N`` the client is therefore the N-th entry from the right; with 0
(no proxy) the header is ignored and the connection's address is the client's. django-ipware's
``proxy_count`` counts differently (it wants exactly N+1 entries and gives up otherwise, so a
client adding one spoofed entry changes the answer), hence this small function for django-axes.
"""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str | None:
    """The address login throttling keys on (``AXES_CLIENT_IP_CALLABLE``)."""
    remote = request.META.get("REMOTE_ADDR")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < trusted:
        # The request did not pass through every configured proxy: nothing in the header is
        # trustworthy, so the connection's address stands.
        return remote
    return hops[-trusted]
