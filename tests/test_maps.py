"""The maps (events/maps.py): the listing's map holds this page's results that have a place on a
map, and only those; a title cannot break out of the map's data; the event page pins its venue;
EVENTS_MAP_TILE_URL = None takes every map away; the Content-Security-Policy allows the tile
server's host for images, and nothing else."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import dateformat, timezone

from events import maps
from events.models import EventPage
from tests.factories import VenueFactory, make_event

pytestmark = pytest.mark.django_db

LONDON = {"latitude": Decimal("51.519400"), "longitude": Decimal("-0.119600")}


def map_data(response, name="results-map-pins"):
    """The pins a page hands its map script, or None when it has no map."""
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(found.group(1)) if found else None


@pytest.fixture
def events():
    located = make_event("Alliance in London", venue=VenueFactory(name="Wellcome Hall", **LONDON))
    unlocated = make_event("Grief seminar", venue=VenueFactory(name="Somewhere Hall"))
    online = make_event("Online only", venue=VenueFactory(**LONDON), format=EventPage.Format.ONLINE)
    return located, unlocated, online


def test_the_listing_map_holds_only_the_results_whose_venue_has_coordinates(client, events):
    located, _unlocated, _online = events
    response = client.get("/events/")
    assert [pin["title"] for pin in map_data(response)] == ["Alliance in London"]
    (pin,) = map_data(response)
    assert (pin["lat"], pin["lng"]) == (51.5194, -0.1196)
    assert pin["url"] == located.url
    assert pin["place"] == "Wellcome Hall, London"
    assert pin["date"] == dateformat.format(timezone.localtime(located.start, located.zone), "N j, Y")
    # Leaflet, from the site itself, and the list of results stays.
    assert b"/static/events/vendor/leaflet/leaflet.js" in response.content
    assert b"leaflet.markercluster.js" in response.content
    assert response.content.count(b'class="event-card') == 3


def test_the_listing_map_holds_only_the_results_of_its_page(client, settings):
    settings.EVENTS_PAGE_SIZE = 1
    venue = VenueFactory(**LONDON)
    make_event("First", venue=venue)
    make_event("Second", venue=venue, starts_in=dt.timedelta(days=30))
    assert [pin["title"] for pin in map_data(client.get("/events/"))] == ["First"]
    assert [pin["title"] for pin in map_data(client.get("/events/?page=2"))] == ["Second"]


def test_no_map_when_no_result_has_coordinates(client):
    make_event("Grief seminar", venue=VenueFactory())
    make_event("Online only")
    response = client.get("/events/")
    assert map_data(response) is None
    assert b"leaflet" not in response.content
    assert b"Show map" not in response.content
    assert response.content.count(b'class="event-card') == 2


def test_a_title_cannot_break_out_of_the_map_data(client):
    title = '</script><script>alert("x")</script> & <!-- café'
    make_event(title, venue=VenueFactory(**LONDON))
    response = client.get("/events/")
    assert [pin["title"] for pin in map_data(response)] == [title]
    assert b"<script>alert" not in response.content
    assert b"<!--" not in response.content.split(b'id="results-map-pins"')[1].split(b"</script>")[0]


def test_the_event_page_pins_its_venue_under_the_address(client, events):
    located, unlocated, online = events
    response = client.get(located.url)
    assert map_data(response, "venue-map-pins") == [{"lat": 51.5194, "lng": -0.1196, "title": "Wellcome Hall"}]
    html = response.content.decode()
    assert html.index("<address>") < html.index('data-pins="venue-map-pins"')
    assert "/static/events/vendor/leaflet/leaflet.js" in html
    assert "markercluster" not in html  # one pin: no clustering to load
    for event in (unlocated, online):
        page = client.get(event.url)
        assert map_data(page, "venue-map-pins") is None
        assert b"leaflet" not in page.content


def test_no_map_anywhere_when_the_tile_url_is_none(client, events, settings):
    settings.EVENTS_MAP_TILE_URL = None
    located = events[0]
    listing, page = client.get("/events/"), client.get(located.url)
    for response in (listing, page):
        assert b"leaflet" not in response.content
        assert map_data(response) is None and map_data(response, "venue-map-pins") is None
    assert listing.content.count(b'class="event-card') == 3
    assert b"Wellcome Hall" in page.content  # the address stays


def test_the_map_comes_from_the_cached_results_too(client, events, settings):
    settings.EVENTS_LISTING_CACHE_SECONDS = 60
    first = map_data(client.get("/events/"))
    EventPage.objects.filter(title="Alliance in London").update(title="Changed behind the cache's back")
    assert map_data(client.get("/events/")) == first


def policy(response):
    return dict(
        (part.split()[0], part.split()[1:]) for part in response["Content-Security-Policy"].split(";") if part.strip()
    )


def test_the_policy_allows_the_tile_host_for_images_only(client, events):
    parts = policy(client.get("/events/"))
    assert parts["img-src"] == ["'self'", "data:", "https://tile.openstreetmap.org"]
    others = {directive: sources for directive, sources in parts.items() if directive != "img-src"}
    assert not any("openstreetmap" in source for sources in others.values() for source in sources), others


@pytest.mark.parametrize(
    "url, source",
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tiles.example.com:8443/{z}/{x}/{y}.png", "https://*.tiles.example.com:8443"),
        ("/tiles/{z}/{x}/{y}.png", None),  # this site's own: 'self' has it
        (None, None),
        ("", None),
    ],
)
def test_the_tile_host_comes_from_the_setting(client, events, url, source):
    with override_settings(EVENTS_MAP_TILE_URL=url):
        assert maps.tile_source() == source
        parts = policy(client.get("/events/"))
    assert parts["img-src"] == ["'self'", "data:", *([source] if source else [])]


def test_a_pins_date_is_its_local_day_in_the_active_language():
    """Pins' dates are memoized per day, style and language (maps.day_text): a day written in one
    language is never handed to another, and the day is the event's own, not UTC's."""
    from django.utils import translation

    from events import maps

    row = {
        "latitude": 40.7, "longitude": -74.0, "title": "Late talk", "slug": "late-talk", "city": "New York",
        "venue_name": "Hall", "time_zone": "America/New_York",
        "start": dt.datetime(2031, 3, 1, 3, 30, tzinfo=dt.UTC),  # 22:30 on 28 February in New York
    }  # fmt: skip
    with translation.override("en"):
        english = maps.marker(row, "/events/", "j F Y")
    with translation.override("es"):
        spanish = maps.marker(row, "/events/", "j F Y")
    with translation.override("en"):
        assert maps.marker(row, "/events/", "j F Y") == english
    assert english["date"] == "28 February 2031"
    assert spanish["date"] == "28 febrero 2031"
    assert english["url"] == "/events/late-talk/"
