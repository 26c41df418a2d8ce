"""One version number for everything cached from published pages: listing counts and fragments,
calendar feeds, event page fragments, the pages and sites found by address (routing.py). Every save
or delete of a page, site, view restriction, organizer, topic or venue changes it (signals.py), so
an edit shows at once instead of when the cache expires."""

import contextvars
import time

from django.core.cache import cache

VERSION_KEY = "events:content-version"

# The version a request read first, kept for the rest of it (ContentVersionMiddleware).
request_version = contextvars.ContextVar("events_content_version", default=None)


def content_version():
    """Part of the key of every cached piece. It starts from the clock, so a flushed cache never
    brings back a number that was used before."""
    pinned = request_version.get()
    if pinned:
        return pinned["version"]
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    if pinned is not None:
        pinned["version"] = version
    return version


def content_changed():
    """Make every cached piece stale."""
    if pinned := request_version.get():
        pinned.clear()  # what this request caches from now on is of the new version
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not in the cache (yet, or any more)
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


class ContentVersionMiddleware:
    """One content version for a whole request: read when first needed, not again for each cached
    piece, and the same for every piece of one page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_version.set({})
        try:
            return self.get_response(request)
        finally:
            request_version.reset(token)
