"""schema.org Event data for search engines' event results (Google's "Event" structured data)."""

from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.module_loading import import_string
from wagtail import hooks

from . import conf

SCHEMA = "https://schema.org/"
STATUS = {"scheduled": "EventScheduled", "postponed": "EventPostponed", "cancelled": "EventCancelled"}
MODE = {
    "in_person": "OfflineEventAttendanceMode",
    "online": "OnlineEventAttendanceMode",
    "hybrid": "MixedEventAttendanceMode",
}


def place(venue):
    data = {
        "@type": "Place",
        "name": venue.name,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": ", ".join(line.strip() for line in venue.address.splitlines() if line.strip()),
            "addressLocality": venue.city,
            **({"addressRegion": venue.region} if venue.region else {}),
            "postalCode": venue.postal_code,
            "addressCountry": venue.country.code,
        },
    }
    if venue.latitude is not None:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(venue.latitude),
            "longitude": float(venue.longitude),
        }
    return data


def seats_left(event):
    """{ticket type pk: seats left or None} from the app that sells seats, or {}: the function the
    EVENTS_SEATS_LEFT setting names, else the first registered for the `event_seats_left` Wagtail
    hook (registrations registers its own: this app never imports it)."""
    path = conf.get("EVENTS_SEATS_LEFT")
    if path:
        return import_string(path)(event)
    for function in hooks.get_hooks("event_seats_left"):
        return function(event)
    return {}


def offers(event, url, now=None):
    """An Offer per ticket that can still be bought, or will be: none once registration has closed,
    the event is over, postponed or cancelled (Google would show them as buyable). A ticket with no
    seats left is SoldOut; one not on sale yet carries validFrom, when it goes on sale."""
    now = now or timezone.now()
    event = event.canonical  # a translated page sells its event's tickets
    closes = event.registration_closes or event.start
    if event.status != event.Status.SCHEDULED or (closes and closes <= now) or (event.end and event.end <= now):
        return []
    left = seats_left(event)
    found = []
    for ticket in event.public_ticket_types:
        if ticket.sales_end and ticket.sales_end <= now:
            continue
        opens = max(filter(None, [event.registration_opens, ticket.sales_start]), default=None)
        found.append(
            {
                "@type": "Offer",
                "name": ticket.name,
                "price": str(ticket.price),
                "priceCurrency": event.currency,
                "url": url,
                "availability": SCHEMA + ("SoldOut" if left.get(ticket.pk) == 0 else "InStock"),
                **({"validFrom": opens.isoformat()} if opens else {}),
            }
        )
    return found


def event_json_ld(event, request):
    url = event.absolute_url(request)
    locations = []
    if event.venue_id and event.format != event.Format.ONLINE:
        locations.append(place(event.venue))
    if event.is_online:
        locations.append({"@type": "VirtualLocation", "url": url})
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": strip_tags(event.summary),
        "url": url,
        "eventStatus": SCHEMA + STATUS[event.status],
        "eventAttendanceMode": SCHEMA + MODE[event.format],
        "inLanguage": event.language,
        "location": locations[0] if len(locations) == 1 else locations,
    }
    on_offer = offers(event, url)
    if on_offer:
        data["offers"] = on_offer
    if event.start:
        data["startDate"] = event.start.astimezone(event.zone).isoformat()
        data["endDate"] = event.end.astimezone(event.zone).isoformat()
    if event.organizer_id:
        data["organizer"] = {
            "@type": "Organization",
            "name": event.organizer.name,
            "url": event.organizer.website or url,
        }
    presenters = [block.value["name"] for block in event.presenters]
    if presenters:
        data["performer"] = [{"@type": "Person", "name": name} for name in presenters]
    if event.featured_image_id:
        data["image"] = [request.build_absolute_uri(event.featured_image.get_rendition("fill-1200x675").url)]
    return data
