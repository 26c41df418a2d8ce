"""Maps: the listing's map of its results, the event page's pin and the venue editor's map.

Drawn by Leaflet in the visitor's browser, from the copies in static/events/vendor/ (`make
vendor`): the site serves every script itself, and only the map tiles come from elsewhere, from the
tile server of EVENTS_MAP_TILE_URL (None: no maps). A site's Content-Security-Policy must then allow
that server's host for images: `tile_source()` says which (config/security.py adds it).

A map is an enhancement, never the only way to a fact: the list of results and the venue's address
stay on the page, with or without scripts, and the map's data comes from what the page already
fetched (the listing's cards carry their venue's coordinates: listing.LISTED), inside the same
cached fragment, so a map adds no query.
"""

from urllib.parse import urlsplit

from django.templatetags.static import static
from django.utils import formats, timezone
from django.utils.dateformat import format as date_format

from . import conf


def tile_url():
    """The tile URL template, or None when maps are off."""
    return conf.get("EVENTS_MAP_TILE_URL") or None


def tile_source():
    """The Content-Security-Policy source of the tile server ("https://tile.openstreetmap.org"),
    "https://*.example.com" when its host names a subdomain per tile ({s}), or None when maps are
    off or the tiles come from this site (a relative URL, covered by 'self')."""
    url = tile_url()
    if not url:
        return None
    address = urlsplit(url)
    if not address.scheme or not address.netloc:
        return None
    labels = address.netloc.split(".")
    if "{" in labels[0]:  # "{s}.tile.example.com": any subdomain of tile.example.com
        labels[0] = "*"
    return f"{address.scheme}://{'.'.join(labels)}"


def options():
    """What the map script needs besides its markers: tiles, attribution and Leaflet's own marker
    images (named one by one, as Leaflet cannot find them under hashed static file names)."""
    return {
        "tiles": tile_url(),
        "attribution": conf.get("EVENTS_MAP_ATTRIBUTION") or "",
        "icon": static("events/vendor/leaflet/images/marker-icon.png"),
        "icon2x": static("events/vendor/leaflet/images/marker-icon-2x.png"),
        "shadow": static("events/vendor/leaflet/images/marker-shadow.png"),
    }


def located(event):
    """The event's venue when the event takes place there and the venue has coordinates."""
    venue = event.venue if event.venue_id and event.format != "online" else None
    if venue is None or venue.latitude is None or venue.longitude is None:
        return None
    return venue


def marker(event, url):
    """One event's pin: where, and what its popup says (title linked to `url`, date, place), or
    None when the event is not on a map. Plain data: the script writes it as text, never HTML."""
    venue = located(event)
    if venue is None:
        return None
    date = ""
    if event.start:
        date = date_format(timezone.localtime(event.start, event.zone), formats.get_format("DATE_FORMAT"))
    return {
        "lat": float(venue.latitude),
        "lng": float(venue.longitude),
        "title": event.title,
        "url": url,
        "date": date,
        "place": f"{venue.name}, {venue.city}",
    }


def markers(events, request=None):
    """The pins of `events` (those with coordinates), in their order."""
    pins = (marker(event, event.get_url(request)) for event in events)
    return [pin for pin in pins if pin is not None]


def venue_pins(venue):
    """The event page's one pin, at its venue (no popup: the address is written above it)."""
    if venue is None or venue.latitude is None or venue.longitude is None:
        return []
    return [{"lat": float(venue.latitude), "lng": float(venue.longitude), "title": venue.name}]
