"""Participation without an account, shared by the portal (dataset votes, comments, data
requests, the DCAT export) and the public strategy (measure votes).

A voter is a random browser id in a signed cookie; only its keyed hash is stored.
Rate limits count attempts per client address, or per e-mail address that an anonymous
request sends mail to, in Django's cache (per process with LocMem, shared with
Redis/Memcached). Model-free: no app is imported here.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

# „Finde ich wichtig“ votes per client address (settings may override it).
VOTE_LIMIT = settings.PORTAL_VOTE_LIMIT
VOTER_COOKIE = "sd_voter"
VOTER_SALT = "portal.voter"
VOTER_COOKIE_MAX_AGE = 365 * 86400


def client_ip(request) -> str:
    """The client's address; behind PROXY_COUNT trusted proxies, from X-Forwarded-For."""
    proxies = settings.AXES_IPWARE_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def hashed(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def rate_limited(scope: str, key: str, *, limit: int, period: int) -> bool:
    """Count one attempt of `key` in `scope`; True once more than `limit` attempts fell
    into the current window of `period` seconds."""
    window = int(timezone.now().timestamp()) // period
    cache_key = f"portal:rl:{scope}:{hashed(key)[:32]}:{window}"
    cache.add(cache_key, 0, timeout=period)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period)
        count = 1
    return count > limit


def request_rate_limited(request, scope: str, limit: tuple[int, int]) -> bool:
    """rate_limited() for the request's client address; `limit` is (attempts, seconds)."""
    return rate_limited(scope, client_ip(request), limit=limit[0], period=limit[1])


def address_rate_limited(scope: str, address: str, limit: tuple[int, int]) -> bool:
    """rate_limited() for an e-mail address, whatever its case; `limit` is (attempts, seconds).
    Only the keyed hash of the address reaches the cache."""
    return rate_limited(scope, address.strip().casefold(), limit=limit[0], period=limit[1])


def voter_id(request) -> str | None:
    """The browser's voter id from its signed cookie, or None."""
    return request.get_signed_cookie(VOTER_COOKIE, default=None, salt=VOTER_SALT)


def remember_voter(response, request, voter: str):
    """Set (or renew) the signed voter cookie on the response; returns the response."""
    response.set_signed_cookie(
        VOTER_COOKIE, voter, salt=VOTER_SALT, max_age=VOTER_COOKIE_MAX_AGE, httponly=True, samesite="Lax",
        secure=request.is_secure(),
    )  # fmt: skip
    return response
