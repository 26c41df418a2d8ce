"""Calendars and the JSON API: thin callers of `listing.search_events` and `ical`."""

import hashlib
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import InvalidPage
from django.http import HttpResponse, JsonResponse
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from django.views.i18n import set_language as django_set_language
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited
from wagtail.models import Page

from . import conf, ratelimits
from .caching import content_version, may_cache
from .http_cache import shared_view
from .ical import events_calendar, feed_calendar
from .listing import make_cursor, page_number, paginate_or_correct, search_events
from .models import EventPage, ListingEntry, Organizer, Topic
from .routing import held, remember_site
from .timestamps import time_zone

# What a feed's entries not yet kept are made from (ical.stored_entries): not the descriptions, say.
CALENDAR_EVENTS = (
    EventPage.objects.only(
        *("title", "url_path", "path", "depth", "locale", "content_type", "last_published_at", "summary", "status"),
        *("format", "time_zone", "calendar_sequence", "venue", "organizer__name", "organizer__email"),
    )
    .select_related("venue", "organizer")
    .prefetch_related("sessions", "topics")
)
FEED_LIMIT = 500


def calendar_response(body, filename):
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}.ics"'
    return response


def event_calendar(request, event):
    return calendar_response(events_calendar([event], request, name=event.title), slugify(event.title) or "event")


def reused(request, kind, key, seconds, build):
    """`build()`'s response; one that succeeded is kept for `seconds` (0: never) under the content
    version, so the same question asked again is answered from the cache and an edit shows at once.

    `key` says what the response depends on: the canonical parameters (listing.EventSearch.params),
    never the raw address, so a client cannot make a new entry by adding or reordering parameters.
    Building one costs up to a second for a feed, so what one client can make the server build is
    bounded too (`build_allowed`)."""
    if not seconds or not may_cache(request):
        return build()
    source = f"{request.scheme}://{request.get_host()}{request.path}|{get_language()}|{key}"
    cache_key = f"events:{kind}:{content_version()}:" + hashlib.sha256(source.encode()).hexdigest()
    response = cache.get(cache_key)
    if response is None:
        if not build_allowed(request):
            return too_many_builds(request, kind)
        response = build()
        if response.status_code == 200:
            cache.set(cache_key, response, seconds)
    return response


def build_allowed(request):
    """Whether this client may have one more feed or API page built now: a calendar app asking
    for the same few feeds is answered from the cache and never counts; asking for new variants
    of them fast does (ratelimits.py, group "listing_build")."""
    return not is_ratelimited(
        request, group="listing_build", key="ip", rate=ratelimits.rate, method=ALL, increment=True
    )


def too_many_builds(request, kind):
    message = _(
        "Too many different searches from your address in a short time. Please wait a few minutes, then try again."
    )
    if kind == "api":
        response = JsonResponse({"errors": {"__all__": [{"message": message, "code": "rate_limited"}]}}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(ratelimits.retry_after("listing_build"))
    return response


def invalid_parameters(search):
    """A feed's answer to parameters it cannot apply: 400, with the reasons (a feed has no form to
    show them in, and a reader or calendar app must not keep polling a feed of something else)."""
    return HttpResponse(
        _("Invalid parameters: %(errors)s") % {"errors": search.errors.as_text()},
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def listing_calendar(request, queryset, name):
    """A subscribable feed of the listing: the same filters, the first FEED_LIMIT results.

    Calendar apps poll feeds every few minutes to hours, all asking for the same few addresses, and
    a feed of FEED_LIMIT events takes a good part of a second to build: so each one may be reused
    for EVENTS_FEED_CACHE_SECONDS.
    """

    search = search_events(request.GET, queryset)
    if search.errors:
        return invalid_parameters(search)

    def build():
        page, _correction = paginate_or_correct(search, 1, FEED_LIMIT, CALENDAR_EVENTS)
        return calendar_response(feed_calendar(page.object_list, request, name=name), "events")

    return reused(request, "feed", search.query_string, conf.get("EVENTS_FEED_CACHE_SECONDS"), build)


# What the API says of each event, read with the page's ids from the listing rows: no page is fetched.
API_FACTS = (
    *("page_id", "listing_id", "title", "summary", "start", "end", "city", "country", "format", "language"),
    *("status", "organizer_id", "organizer_name", "topic_ids", "price_min", "price_max", "ce_hours"),
    *("sort_start", "first_published_at", "slug", "time_zone", "currency"),
)


def slugs(model):
    """{pk: slug} of every topic or organizer, and their order (by name, as the models list them)."""
    return held(f"api:{model.__name__}", lambda: tuple(model.objects.values_list("pk", "slug")))


def events_json(rows, request):
    """Each row's event as the API gives it, from the read model alone (read_model.py keeps it)."""
    topic_slugs = slugs(Topic)
    topics, organizers = dict(topic_slugs), dict(slugs(Organizer))
    order = {pk: index for index, (pk, _slug) in enumerate(topic_slugs)}
    listings = {
        page.pk: page.get_url(request) for page in Page.objects.filter(pk__in={row["listing_id"] for row in rows})
    }
    return [
        event_json(row, request, listings[row["listing_id"]], topics, organizers, order)
        for row in rows
        if row["listing_id"] in listings
    ]


def event_json(row, request, listing_url, topics, organizers, order):
    zone = time_zone(row["time_zone"])
    # (an event is its listing's child: its address is the listing's and its slug; none for a
    # listing outside every Site)
    url = request.build_absolute_uri(f"{listing_url}{row['slug']}/") if listing_url else None
    start, end, organizer = row["start"], row["end"], row["organizer_id"]
    topic_ids = sorted((int(pk) for pk in row["topic_ids"].split() if int(pk) in topics), key=order.get)
    return {
        "id": row["page_id"],
        "title": row["title"],
        "url": url,
        "summary": row["summary"],
        "start": start.astimezone(zone).isoformat() if start else None,
        "end": end.astimezone(zone).isoformat() if end else None,
        "timezone": row["time_zone"],
        "format": row["format"],
        "status": row["status"],
        "city": row["city"],
        "country": row["country"],
        "language": row["language"],
        "price_from": str(row["price_min"]) if row["price_min"] is not None else None,
        "price_to": str(row["price_max"]) if row["price_max"] is not None else None,
        "currency": row["currency"],
        "ce_hours": str(row["ce_hours"].normalize()) if row["ce_hours"] else "0",
        "organizer": {"name": row["organizer_name"], "slug": organizers[organizer]}
        if organizer in organizers
        else None,
        "topics": [topics[pk] for pk in topic_ids],
        "ical": url and url + "ical/",
        # km from `near` (to 0.1 km), in a search near a place; else null.
        "distance_km": round(row["distance_km"], 1) if row.get("distance_km") is not None else None,
    }


@require_GET
@shared_view
def api_events(request):
    """The listing as JSON; a page of it may be reused for EVENTS_LISTING_CACHE_SECONDS, as the
    listing's are. Invalid parameters answer 400, a page past the last one 404, each with reasons."""
    remember_site(request)  # (the events' addresses are on its host)
    search = search_events(request.GET, ListingEntry.objects.filter(public=True))
    errors = search.errors.get_json_data() if search.errors else {}
    limit = conf.get("EVENTS_API_MAX_PAGE_SIZE")
    page_size = page_number(request.GET.get("page_size", str(conf.get("EVENTS_PAGE_SIZE"))))
    if page_size is None or page_size > limit:
        errors["page_size"] = [
            {"message": _("Give a whole number from 1 to %(limit)s.") % {"limit": limit}, "code": "invalid"}
        ]
    number = page_number(request.GET.get("page"))
    if number is None:
        errors["page"] = [{"message": _("Give a page number from 1."), "code": "invalid"}]
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    key = f"{search.page_query(number)}|{page_size}"
    seconds = conf.get("EVENTS_LISTING_CACHE_SECONDS")
    return reused(request, "api", key, seconds, lambda: api_response(request, search, number, page_size))


def api_response(request, search, number, page_size):
    try:
        page, correction = paginate_or_correct(search, number, page_size)
    except InvalidPage:
        message = _("There is no page %(number)s of these results.") % {"number": number}
        return JsonResponse({"errors": {"page": [{"message": message, "code": "not_found"}]}}, status=404)

    def link(query):
        if page_size != conf.get("EVENTS_PAGE_SIZE"):
            query = f"{query}&page_size={page_size}" if query else f"page_size={page_size}"
        return request.build_absolute_uri(f"{request.path}?{query}")

    rows = page.object_list.read(*API_FACTS)
    if page.has_next():
        next_link = link(search.page_query(page.next_page_number()))
    elif not page.paginator.exact and rows and (after := make_cursor(search.order, rows[-1])):
        # Past the numbered pages: the next ones by a cursor, which a new event cannot shift.
        next_link = link(urlencode([*((n, v) for n, v in search.params if n != "after"), ("after", after)]))
    else:
        next_link = None

    return JsonResponse(
        {
            "count": page.paginator.count,
            "count_is_exact": page.paginator.exact,
            # The search made, when the words asked found nothing and their correction did.
            "corrected_query": correction.query if correction else None,
            "next": next_link,
            "previous": link(search.page_query(page.previous_page_number())) if page.has_previous() else None,
            "results": events_json(rows, request),
        }
    )


# The language switcher's form is in every page (language_switcher.html). With a CSRF token in it,
# no page could be shared by a cache (the token is the visitor's own, and sets a cookie). A forged
# post can only change the language someone sees, which they change back: Django's view without
# the check (it still takes only POST, and only a `next` address on this site).
set_language = csrf_exempt(django_set_language)
