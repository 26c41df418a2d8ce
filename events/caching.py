"""One version number for everything cached from published events: listing counts and fragments,
calendar feeds, event page fragments. Every save or delete of an event, organizer, topic or venue
changes it (signals.py), so an edit shows at once instead of when the cache expires."""

import time

from django.core.cache import cache

VERSION_KEY = "events:content-version"


def content_version():
    """Part of the key of every cached piece. It starts from the clock, so a flushed cache never
    brings back a number that was used before."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def content_changed():
    """Make every cached piece stale."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not in the cache (yet, or any more)
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)
