"""One version number for everything cached from published pages: listing counts and fragments,
calendar feeds, event page fragments, the pages and sites found by address (routing.py). Every save
or delete of a page, site, view restriction, organizer, topic or venue changes it (signals.py), so
an edit shows at once instead of when the cache expires.

What is cached is what every visitor sees of the published pages. A request that shows something
else (Wagtail's previews: preview, view draft, a revision, a workflow task's preview, all made by
`make_preview_request`) neither reads nor writes any cached piece: `may_cache` says so, and every
cached piece asks it (the `public_cache` template tag, the listing's counts, feeds and the API,
routing). Its keys are the same as the live page's, so reading one would show the live page.
"""

import contextvars
import time

from django.core.cache import cache

VERSION_KEY = "events:content-version"
# When published content last changed (time.time()), for the replica router (routers.py).
CHANGED_AT_KEY = "events:content-changed-at"

# The version a request read first, kept for the rest of it (ContentVersionMiddleware).
request_version = contextvars.ContextVar("events_content_version", default=None)
# True while a request that must not use the public caches (a preview) is served.
private_request = contextvars.ContextVar("events_private_request", default=False)


def is_private(request):
    """Whether `request` shows something other than the published pages: Wagtail marks its
    previews (`is_dummy` from the start of the request, `is_preview` once served)."""
    return bool(getattr(request, "is_preview", False) or getattr(request, "is_dummy", False))


def may_cache(request=None):
    """Whether cached pieces may be read and written for `request` (or the request being served)."""
    return not (private_request.get() or (request is not None and is_private(request)))


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
    cache.set(CHANGED_AT_KEY, time.time(), timeout=None)


def changed_within(seconds):
    """Whether published content changed (in any process) in the last `seconds`: asked of the
    cache once per request (ContentVersionMiddleware), as the version is."""
    pinned = request_version.get()
    if pinned is not None and "changed_at" in pinned:
        changed_at = pinned["changed_at"]
    else:
        changed_at = cache.get(CHANGED_AT_KEY) or 0
        if pinned is not None:
            pinned["changed_at"] = changed_at
    return time.time() - changed_at < seconds


class ContentVersionMiddleware:
    """One content version for a whole request: read when first needed, not again for each cached
    piece, and the same for every piece of one page. It also marks a preview as private for
    everything that serves it (`may_cache`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_version.set({})
        private = private_request.set(is_private(request))
        try:
            return self.get_response(request)
        finally:
            private_request.reset(private)
            request_version.reset(token)
