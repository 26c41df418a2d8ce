"""schema.org Event data for search engines' event results."""

from django.utils.html import strip_tags

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
            "streetAddress": venue.address,
            "addressLocality": venue.city,
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
        "offers": [
            {
                "@type": "Offer",
                "name": ticket.name,
                "price": str(ticket.price),
                "priceCurrency": event.currency,
                "url": url,
                "availability": SCHEMA + "InStock",
                **({"validFrom": ticket.sales_start.isoformat()} if ticket.sales_start else {}),
            }
            for ticket in event.ticket_types.all()
        ],
    }
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
