"""Rate limits on the public actions that write: registering, joining a waitlist, applying as an
organizer, subscribing to new events by email, asking for a sign-in link, and the door's check-in;
and on what one client can make the server build for it (calendar feeds and API pages not in the
cache, views.reused; autocomplete, suggest.py; the venue editor's address lookup, venue_editor.py).
One decorator for all of them (django-ratelimit, counted in Django's cache), so a burst from one
address is refused before anything is changed.

Only posts count: reading a form never does. Rates come from the RATELIMITS setting
({group: "count/period"}), with the defaults below; RATELIMIT_ENABLE = False turns every limit off
(the load benchmark and the test suite post hundreds of times from one address). A refused request
raises django-ratelimit's `Ratelimited` (a PermissionDenied: 403 by default), which the library's
middleware hands to RATELIMIT_VIEW = "events.middleware.ratelimited": 429 and Retry-After.

`registrations` uses this module too (it may import `events`, never the other way round).
"""

from django.conf import settings
from django_ratelimit.core import _get_ip
from django_ratelimit.decorators import ratelimit

DEFAULT_RATES = {
    # Per address. A registration form re-rendered with errors counts as an attempt too.
    "register": "20/10m",
    "waitlist_join": "10/10m",
    "organizer_apply": "5/h",
    # Per address: asking to be emailed new events (subscription_views.py).
    "subscribe": "10/h",
    # Per address: asking for a "My events" sign-in link (registrations' my_events.py); each
    # address it is asked for gets at most a few an hour besides (services/sign_in.py).
    "sign_in": "10/h",
    # Per door account (per address when not logged in): staff scanning fast reach about one a second.
    "checkin_redeem": "120/m",
    # Per address: feeds and API pages built because they were not in the cache (a feed of 500
    # events takes about half a second). Calendar apps polling the same feeds hit the cache.
    "listing_build": "60/10m",
    # Per address: autocomplete, asked at each pause in typing (suggest.py); a few a second at most.
    "suggest": "300/5m",
    # Per editor: the venue editor's "Look up from address" (venue_editor.py). Nominatim's public
    # service allows one request a second from a whole site.
    "geocode": "20/m",
}
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def retry_after(group):
    """Seconds until a refused client of `group` may try again (at most one period)."""
    count, period = rate(group, None).split("/")
    number, unit = period[:-1] or "1", period[-1]
    return int(number) * PERIODS[unit]


def rate(group, request):
    rates = getattr(settings, "RATELIMITS", {})
    return rates.get(group, DEFAULT_RATES.get(group))


def limit_posts(group, key="ip"):
    """Refuse posts to the decorated view beyond the group's rate, counted per `key` ("ip" or
    "user_or_ip", as django-ratelimit names them)."""
    return ratelimit(group=group, key=key, rate=rate, method="POST")


def client_address(request):
    """The client's address as the limits count it (RATELIMIT_IP_META_KEY: the proxy header when
    configured; IPv6 by its /64 network), for limits kept in the database (registrations' holds)."""
    return _get_ip(request)
