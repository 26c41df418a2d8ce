"""A venue's coordinates from its address, for the venue editor's "Look up from address" button.

The server asks a Nominatim-compatible search service (EVENTS_GEOCODER_URL: OpenStreetMap's own,
or one the site runs) and the editor checks the pin before saving: a lookup never saves anything.
Nominatim's usage policy asks for an identifying User-Agent and at most one request a second, so
the button's view is rate-limited (ratelimits.py, "geocode") and each lookup is one request with
a timeout (EVENTS_GEOCODER_TIMEOUT), never retried.
"""

import http.client
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib.metadata import PackageNotFoundError, version
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.utils.translation import gettext as _

from . import conf
from .addresses import address_lines

SIX_PLACES = Decimal("0.000001")  # Venue.latitude and longitude keep six decimals (about 10 cm)


class GeocodingFailed(Exception):
    """The service could not be asked, or did not answer usefully: `str()` says so to the editor."""


class NothingFound(GeocodingFailed):
    pass


@dataclass
class Place:
    latitude: Decimal
    longitude: Decimal
    name: str  # how the service names what it found, for the editor to check


def user_agent():
    try:
        release = version("wagtail-event-registrations")
    except PackageNotFoundError:  # run from a checkout
        release = "dev"
    return f"wagtail-event-registrations/{release} (venue geocoding; {conf.fallback_root_url()})"


def coordinate(value, limit):
    """A coordinate from the service's answer, rounded as the venue keeps it; ValueError if it is none."""
    try:
        number = Decimal(str(value)).quantize(SIX_PLACES)
    except (InvalidOperation, TypeError) as error:
        raise ValueError(value) from error
    if not number.is_finite() or abs(number) > limit:
        raise ValueError(value)
    return number


def geocode(venue):
    """The place of `venue`'s address (a Venue, saved or not) by EVENTS_GEOCODER_URL's /search."""
    base = conf.get("EVENTS_GEOCODER_URL")
    if not base:
        raise GeocodingFailed(_("No geocoding service is set up (EVENTS_GEOCODER_URL)."))
    lines = address_lines(venue)
    query = {"q": ", ".join(lines), "format": "jsonv2", "limit": 1, "addressdetails": 0}
    if venue.country:
        query["countrycodes"] = venue.country.code.lower()
    request = Request(
        f"{base.rstrip('/')}/search?{urlencode(query)}",
        headers={"User-Agent": user_agent(), "Accept": "application/json"},
    )
    unavailable = _("The geocoding service did not answer. Try again later, or enter the coordinates yourself.")
    try:
        with urlopen(request, timeout=conf.get("EVENTS_GEOCODER_TIMEOUT")) as response:
            body = response.read(1_000_000)
    except (HTTPError, URLError, TimeoutError, OSError, http.client.HTTPException, ValueError) as error:
        raise GeocodingFailed(unavailable) from error
    try:
        results = json.loads(body)
    except ValueError as error:
        raise GeocodingFailed(unavailable) from error
    if not isinstance(results, list) or not results:
        raise NothingFound(_("No place was found for this address. Check it, or place the pin on the map."))
    first = results[0]
    try:
        return Place(
            latitude=coordinate(first["lat"], 90),
            longitude=coordinate(first["lon"], 180),
            name=str(first.get("display_name") or ""),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise GeocodingFailed(unavailable) from error
