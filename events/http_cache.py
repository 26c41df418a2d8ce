"""HTTP caching of the public pages, so that a CDN or Varnish in front can serve them.

What every visitor sees alike is marked shareable where it is made (`shared_view`, `shared_route`):
event pages, listings with any query, the listing's feeds (`ical/`, `feed/`, `rss/`), an event's
calendar, the JSON API, and a site's pages that show events (`ShowsEvents`). `EdgeCacheMiddleware`
then decides per response, with the same rule as the server-side caches (caching.may_cache: never a
preview) plus what only the response knows:

- shared: `Cache-Control: public, max-age=EVENTS_HTTP_MAX_AGE, s-maxage=EVENTS_HTTP_S_MAXAGE`, with
  `Vary: Cookie` (the language cookie, and a signed-in visitor's session) beside LocaleMiddleware's
  `Vary: Accept-Language`. The edge is told what to key on, and purged on edits (purge.py), so
  s-maxage can be long; max-age is short, as browsers are never purged.
- personal, though the view marked it shareable: a signed-in visitor (the Wagtail userbar), a
  response setting a cookie (a CSRF token, a session, messages read), messages shown, another
  status than 200, a method other than GET or HEAD: `private, no-cache`. A preview: `no-store`.
- anything else (registrations, forms, tickets, check-in) that did not say: `private, no-cache`,
  so no cache in between keeps a response nobody declared public.

Validators: Django's ConditionalGetMiddleware, placed before this one in MIDDLEWARE, adds an ETag
from the final body and answers `If-None-Match` / `If-Modified-Since` with 304; a shared page
holds nothing that differs between two visitors, so its ETag is stable.

What changes without an edit stays out of the shared HTML: the Register box's seats and whether
registration is open come from a live fragment the page fetches (events/static/events/live-fragments.js).
"""

import functools

from django.utils.cache import patch_cache_control, patch_vary_headers

from . import conf
from .caching import is_private

SHARED = "_events_shared"


def share(response):
    """Mark `response` as the same for every visitor (the middleware still checks the request)."""
    setattr(response, SHARED, True)
    return response


def shared_view(view):
    """A view whose answers are the same for every visitor of an address (the API, feeds)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return share(view(request, *args, **kwargs))

    return wrapper


def shared_route(route):
    """A route of a page, shared unless the page has view restrictions (a private page is served
    only to those who may see it: never from a shared cache)."""

    @functools.wraps(route)
    def wrapper(page, request, *args, **kwargs):
        response = route(page, request, *args, **kwargs)
        return response if page.get_view_restrictions().exists() else share(response)

    return wrapper


class ShowsEvents:
    """For a site's own page model that shows events from every listing (a home page's next events,
    say): its page is shared as a listing is (unless it has view restrictions), and purged with the
    listings whenever an event or what names it changes (purge.py). List it before Page:
    `class HomePage(ShowsEvents, Page)`."""

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        return response if self.get_view_restrictions().exists() else share(response)


def enabled():
    return bool(conf.get("EVENTS_HTTP_S_MAXAGE"))


def shareable(request, response):
    """Whether `response`, marked shared by its view, may be given to others from a shared cache."""
    if not getattr(response, SHARED, False) or not enabled():
        return False
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.cookies:
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    messages = getattr(request, "_messages", None)
    return not (messages is not None and messages.used)


def cache_headers(request, response):
    """Set the response's Cache-Control (and Vary) as the module docstring says."""
    if is_private(request):
        patch_cache_control(response, private=True, no_store=True)
    elif shareable(request, response):
        patch_cache_control(
            response,
            public=True,
            max_age=conf.get("EVENTS_HTTP_MAX_AGE") or 0,
            s_maxage=conf.get("EVENTS_HTTP_S_MAXAGE"),
        )
        patch_vary_headers(response, ("Cookie",))
    elif getattr(response, SHARED, False) or not response.has_header("Cache-Control"):
        patch_cache_control(response, private=True, no_cache=True)
    return response


class EdgeCacheMiddleware:
    """Cache-Control on every response (http_cache.py). Place it before SessionMiddleware,
    LocaleMiddleware, CsrfViewMiddleware and MessageMiddleware, so that it sees their cookies and
    Vary, and after ConditionalGetMiddleware, so that no-store responses get no ETag."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return cache_headers(request, self.get_response(request))
