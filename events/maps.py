"""Maps: the listing's map of its results, the event page's pin and the venue editor's map.

Drawn by Leaflet in the visitor's browser, from the copies in static/events/vendor/ (`make
vendor`): the site serves every script itself, and only the map tiles come from elsewhere, from the
tile server of EVENTS_MAP_TILE_URL (None: no maps). A site's Content-Security-Policy must then allow
that server's host for images: `tile_source()` says which (config/security.py adds it).

A map is an enhancement, never the only way to a fact: the list of results and the venue's address
stay on the page, with or without scripts, and the map's data comes from what the page already
fetched (the listing rows its cards are found by carry their coordinates: listing.CARD_FACTS),
inside the same cached fragment, so a map adds no query.
"""

import functools
from urllib.parse import urlsplit

from django.templatetags.static import static
from django.utils import formats, timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import get_language

from . import conf
from .timestamps import time_zone


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


def marker(row, listing_url, date_style):
    """One event's pin from its listing row (listing.CARD_FACTS): where, and what its popup says
    (title linked to its page, date in `date_style`, place), or None when the event is not on a map
    (online only, or its venue has no coordinates). Plain data: the script writes it as text, never HTML."""
    if row["latitude"] is None or row["longitude"] is None:
        return None
    date = ""
    if row["start"]:
        day = timezone.localtime(row["start"], time_zone(row["time_zone"])).date()
        date = day_text(day, date_style, get_language())
    return {
        "lat": row["latitude"],
        "lng": row["longitude"],
        "title": row["title"],
        "url": f"{listing_url}{row['slug']}/",  # an event's page is below its listing's
        "date": date,
        "place": f"{row['venue_name']}, {row['city']}",
    }


@functools.lru_cache(maxsize=4096)
def day_text(day, date_style, language):
    """`day` written in `date_style` (a date-only format) in the active `language` (part of the key:
    month names are translated): a page's pins share a few days, and Django's formatting is slow."""
    return date_format(day, date_style)


def markers(events, listing_url):
    """The pins of a listing page's `events` (listing.PageEvents) with coordinates, in their order,
    from the rows its cards are found by: a map fetches nothing more, even when every card is kept."""
    date_style = formats.get_format("DATE_FORMAT")  # (the active language's; looked up once)
    pins = (marker(row, listing_url, date_style) for row in events.rows)
    return [pin for pin in pins if pin is not None]


def venue_pins(venue):
    """The event page's one pin, at its venue (no popup: the address is written above it)."""
    if venue is None or venue.latitude is None or venue.longitude is None:
        return []
    return [{"lat": float(venue.latitude), "lng": float(venue.longitude), "title": venue.name}]
