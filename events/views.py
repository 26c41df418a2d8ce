"""Calendars and the JSON API: thin callers of `listing.search_events` and `ical`."""

import hashlib

from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import conf
from .caching import content_version, may_cache
from .ical import events_calendar
from .listing import paginate, search_events
from .models import EventPage

CALENDAR_RELATED = ("sessions", "venue", "organizer", "topics")
FEED_LIMIT = 500


def calendar_response(body, filename):
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}.ics"'
    return response


def event_calendar(request, event):
    return calendar_response(events_calendar([event], request, name=event.title), slugify(event.title) or "event")


def reused(request, kind, seconds, build):
    """`build()`'s response; one that succeeded is kept for `seconds` (0: never) under the content
    version, so the same address asked again is answered from the cache and an edit shows at once."""
    if not seconds or not may_cache(request):
        return build()
    source = f"{request.build_absolute_uri()}|{get_language()}"
    key = f"events:{kind}:{content_version()}:" + hashlib.sha256(source.encode()).hexdigest()
    response = cache.get(key)
    if response is None:
        response = build()
        if response.status_code == 200:
            cache.set(key, response, seconds)
    return response


def listing_calendar(request, queryset, name):
    """A subscribable feed of the listing: the same filters, the first FEED_LIMIT results.

    Calendar apps poll feeds every few minutes to hours, all asking for the same few addresses, and
    a feed of FEED_LIMIT events takes a good part of a second to build: so each one may be reused
    for EVENTS_FEED_CACHE_SECONDS.
    """

    def build():
        search = search_events(request.GET, queryset)
        if search.errors:
            return HttpResponse(
                _("Invalid parameters: %(errors)s") % {"errors": search.errors.as_text()},
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        page = paginate(search.results, 1, FEED_LIMIT, related=CALENDAR_RELATED)
        return calendar_response(events_calendar(page.object_list, request, name=name), "events")

    return reused(request, "feed", conf.get("EVENTS_FEED_CACHE_SECONDS"), build)


def event_json(event, request):
    zone = event.zone
    return {
        "id": event.pk,
        "title": event.title,
        "url": event.absolute_url(request),
        "summary": event.summary,
        "start": event.start.astimezone(zone).isoformat() if event.start else None,
        "end": event.end.astimezone(zone).isoformat() if event.end else None,
        "timezone": event.time_zone,
        "format": event.format,
        "status": event.status,
        "city": event.city,
        "country": event.country,
        "language": event.language,
        "price_from": str(event.price_min) if event.price_min is not None else None,
        "price_to": str(event.price_max) if event.price_max is not None else None,
        "currency": event.currency,
        "ce_hours": str(event.ce_hours.normalize()) if event.ce_hours else "0",
        "organizer": {"name": event.organizer.name, "slug": event.organizer.slug} if event.organizer_id else None,
        "topics": [topic.slug for topic in event.topics.all()],
        "ical": event.absolute_url(request) + "ical/",
    }


@require_GET
def api_events(request):
    """The listing as JSON; a page of it may be reused for EVENTS_LISTING_CACHE_SECONDS, as the
    listing's are."""
    return reused(request, "api", conf.get("EVENTS_LISTING_CACHE_SECONDS"), lambda: api_response(request))


def api_response(request):
    search = search_events(request.GET, EventPage.objects.live().public())
    errors = search.errors.get_json_data() if search.errors else {}
    page_size = conf.get("EVENTS_PAGE_SIZE")
    if "page_size" in request.GET:
        raw = request.GET["page_size"]
        limit = conf.get("EVENTS_API_MAX_PAGE_SIZE")
        if raw.isdigit() and 1 <= int(raw) <= limit:
            page_size = int(raw)
        else:
            errors["page_size"] = [
                {"message": _("Give a whole number from 1 to %(limit)s.") % {"limit": limit}, "code": "invalid"}
            ]
    raw_page = request.GET.get("page", "1")
    if not raw_page.isdigit() or int(raw_page) < 1:
        errors["page"] = [{"message": _("Give a page number from 1."), "code": "invalid"}]
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    page = paginate(search.results, raw_page, page_size)

    def link(number):
        query = request.GET.copy()
        query["page"] = number
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return JsonResponse(
        {
            "count": page.paginator.count,
            "next": link(page.next_page_number()) if page.has_next() else None,
            "previous": link(page.previous_page_number()) if page.has_previous() else None,
            "results": [event_json(event, request) for event in page.object_list],
        }
    )
