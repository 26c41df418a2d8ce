"""Events near a place: `near=<lat>,<lng>&radius=<km>` on the listing, the JSON API and the feeds,
by great-circle distance, nearest first when asked, with each event's distance (events/nearby.py)."""

import datetime as dt
import math
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from events import nearby
from events.models import EventPage, ListingEntry
from tests.calendar_checks import parse_valid_calendar
from tests.factories import VenueFactory, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

LONDON = (51.5074, -0.1278)
PARIS = (48.8566, 2.3522)
READING = (51.4543, -0.9781)  # about 59 km west of London
WATFORD = (51.6565, -0.3903)  # about 24 km north-west of London


def venue_at(latitude, longitude, **fields):
    return VenueFactory(latitude=Decimal(str(latitude)), longitude=Decimal(str(longitude)), **fields)


def event_at(title, place, **fields):
    return make_event(title, venue=venue_at(*place), **fields)


def near(point):
    return f"{point[0]},{point[1]}"


def api(client, **params):
    response = client.get("/api/events/?" + urlencode(params))
    assert response.status_code == 200, response.content
    return response.json()


def api_titles(client, **params):
    return [event["title"] for event in api(client, **params)["results"]]


def api_error(client, **params):
    response = client.get("/api/events/?" + urlencode(params))
    assert response.status_code == 400, response.content
    return response.json()["errors"]


@pytest.fixture
def around_london():
    """Watford (24 km), Reading (59 km) and Paris (344 km) from London."""
    return {
        "watford": event_at("Watford seminar", WATFORD, starts_in=dt.timedelta(days=30)),
        "reading": event_at("Reading seminar", READING, starts_in=dt.timedelta(days=10)),
        "paris": event_at("Paris seminar", PARIS, starts_in=dt.timedelta(days=20)),
    }


# Distances


def test_london_to_paris_is_about_344_km_by_the_database(client, around_london):
    (paris,) = [e for e in api(client, near=near(LONDON), radius=400)["results"] if e["title"] == "Paris seminar"]
    assert paris["distance_km"] == pytest.approx(343.6, abs=1.0)


@pytest.mark.parametrize(
    "a,b,km",
    [
        (LONDON, PARIS, 343.6),
        ((40.7128, -74.0060), (42.3601, -71.0589), 306.1),  # New York - Boston
        ((-33.8688, 151.2093), (-37.8136, 144.9631), 713.8),  # Sydney - Melbourne
    ],
)
def test_the_database_and_python_agree_on_known_distances(a, b, km):
    event_at("There", b)
    point = nearby.Point(*a)
    row = ListingEntry.objects.annotate(d=nearby.distance_km(point)).get()
    assert row.d == pytest.approx(km, abs=1.0)
    assert nearby.great_circle_km(point, nearby.Point(*b)) == pytest.approx(row.d, abs=1e-6)


def test_a_radius_lists_what_is_within_it_and_nothing_beyond(client, around_london):
    point = nearby.Point(*LONDON)
    reading_km = nearby.great_circle_km(point, nearby.Point(*READING))
    inside = api_titles(client, near=near(LONDON), radius=f"{reading_km + 0.01:.2f}")
    outside = api_titles(client, near=near(LONDON), radius=f"{reading_km - 0.01:.2f}")
    assert sorted(inside) == ["Reading seminar", "Watford seminar"]
    assert outside == ["Watford seminar"]


def test_without_a_radius_the_default_applies(client, around_london, settings):
    settings.EVENTS_LISTING_CACHE_SECONDS = 0  # (the cache is keyed by what is asked, not by settings)
    assert api_titles(client, near=near(LONDON)) == ["Watford seminar"]  # 50 km
    settings.EVENTS_NEAR_RADIUS_KM = 100
    assert api_titles(client, near=near(LONDON)) == ["Reading seminar", "Watford seminar"]  # soonest first


def test_sort_by_distance_lists_the_nearest_first_with_the_distance(client, around_london):
    data = api(client, near=near(LONDON), radius=500, sort="distance")
    assert [e["title"] for e in data["results"]] == ["Watford seminar", "Reading seminar", "Paris seminar"]
    distances = [e["distance_km"] for e in data["results"]]
    assert distances == sorted(distances) and distances[0] == pytest.approx(24, abs=1)


def test_without_near_there_is_no_distance(client, around_london):
    assert {e["distance_km"] for e in api(client)["results"]} == {None}


# What has no place


def test_online_only_events_and_venues_without_coordinates_are_near_nowhere(client):
    event_at("Hybrid in London", LONDON, format=EventPage.Format.HYBRID)
    event_at("Online, venue named", LONDON, format=EventPage.Format.ONLINE)
    make_event("Online only")
    make_event("Unplaced venue", venue=VenueFactory())
    assert api_titles(client, near=near(LONDON)) == ["Hybrid in London"]
    # Asked for events one can attend online, near a place: the hybrid one.
    assert api_titles(client, near=near(LONDON), format="online") == ["Hybrid in London"]
    assert len(api_titles(client)) == 4  # without near= all are listed


# Where a naive box would fail


def test_at_high_latitude_the_box_is_wide_enough(client):
    tromso = (69.6492, 18.9553)
    event_at("East along the parallel", (69.6492, 21.0))  # 79 km: 2 degrees of longitude
    assert api_titles(client, near=near(tromso), radius=100) == ["East along the parallel"]
    assert api_titles(client, near=near(tromso), radius=70) == []


def test_across_a_pole_every_longitude_is_searched(client):
    event_at("Over the pole", (89.5, 179.0))
    data = api(client, near="89.5,-1", radius=150)  # 1 degree of latitude away, through the pole
    assert [e["title"] for e in data["results"]] == ["Over the pole"]
    assert data["results"][0]["distance_km"] == pytest.approx(111.2, abs=0.5)


@pytest.mark.parametrize("here,there", [((-17.7, 179.9), (-17.7, -179.9)), ((-17.7, -179.9), (-17.7, 179.9))])
def test_across_the_antimeridian_nearby_events_are_found(client, here, there):
    event_at("Across the date line", there)
    event_at("Far to the west", (here[0], here[1] - math.copysign(3, here[1])))  # 3 degrees: 318 km
    data = api(client, near=near(here), radius=50)
    assert [e["title"] for e in data["results"]] == ["Across the date line"]
    assert data["results"][0]["distance_km"] == pytest.approx(21.2, abs=0.5)


# The page and the feeds


def test_the_listing_shows_each_cards_distance(client, around_london):
    response = client.get("/events/?" + urlencode({"near": near(LONDON), "radius": 100, "sort": "distance"}))
    soup = BeautifulSoup(response.content, "html.parser")
    cards = soup.select(".event-card")
    assert [card.h3.get_text(strip=True) for card in cards] == ["Watford seminar", "Reading seminar"]
    assert [card.select_one(".distance").get_text() for card in cards] == ["25 km away", "59 km away"]


def test_the_distance_is_written_the_language_way(client):
    event_at("Close by", (51.5074, -0.08))  # 3.3 km
    response = client.get("/events/?" + urlencode({"near": near(LONDON)}), HTTP_ACCEPT_LANGUAGE="es")
    distance = BeautifulSoup(response.content, "html.parser").select_one(".distance").get_text()
    assert distance.startswith("a 3,3 km")


def test_the_form_keeps_the_place_and_radius(client, around_london):
    response = client.get("/events/?" + urlencode({"near": near(LONDON), "radius": "30"}))
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one('input[name="near"]')["value"] == "51.5074,-0.1278"
    assert soup.select_one('input[name="radius"]')["value"] == "30"
    assert soup.select_one("fieldset[data-near] legend").get_text() == "Near"
    assert soup.select_one("button[data-locate]").get_text() == "Use my location"


def test_the_calendar_and_news_feeds_list_only_what_is_near(client, around_london):
    calendar = parse_valid_calendar(
        client.get("/events/ical/?" + urlencode({"near": near(LONDON), "radius": 100})).content
    )
    assert sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT")) == ["Reading seminar", "Watford seminar"]
    atom = client.get("/events/feed/?" + urlencode({"near": near(PARIS), "radius": "10"})).content.decode()
    assert "Paris seminar" in atom and "Watford seminar" not in atom
    assert "<title>Events — near you</title>" in atom


# Keeping coordinates up to date


def test_moving_a_venue_moves_its_events(client, around_london):
    venue = EventPage.objects.get(pk=around_london["paris"].pk).venue
    venue.latitude, venue.longitude = Decimal("51.5"), Decimal("-0.12")
    venue.save()
    assert api_titles(client, near=near(LONDON), radius=5) == ["Paris seminar"]
    venue.latitude = venue.longitude = None
    venue.save()
    assert api_titles(client, near=near(LONDON), radius=5) == []


def test_rebuilding_the_read_model_keeps_coordinates(around_london):
    from django.core.management import call_command

    ListingEntry.objects.update(latitude=None, longitude=None)
    call_command("rebuild_listing", verbosity=0)
    entry = ListingEntry.objects.get(page=around_london["paris"])
    assert (entry.latitude, entry.longitude) == PARIS


def test_the_migration_copies_coordinates_of_events_listed_before_it(around_london):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("events.migrations.0018_listing_coordinates")
    ListingEntry.objects.update(latitude=None, longitude=None)
    migration.copy_venue_coordinates(apps, None)
    entry = ListingEntry.objects.get(page=around_london["paris"])
    assert (entry.latitude, entry.longitude) == PARIS


def test_generated_events_are_placed_around_real_cities():
    import io

    from django.core.management import call_command

    from events.management.commands.generate_events import PLACES
    from tests.factories import event_index

    event_index()
    call_command("generate_events", count=60, no_index=True, stdout=io.StringIO())
    cities = [nearby.Point(lat, lng) for *_, lat, lng in PLACES]
    placed = ListingEntry.objects.exclude(format=EventPage.Format.ONLINE)
    assert placed.count() and not placed.filter(latitude=None).exists()
    assert not ListingEntry.objects.filter(format=EventPage.Format.ONLINE, latitude__isnull=False).exists()
    for entry in placed:
        here = nearby.Point(entry.latitude, entry.longitude)
        assert min(nearby.great_circle_km(here, city) for city in cities) < 40
    assert len({(e.latitude, e.longitude) for e in placed}) > len(PLACES)  # several venues per city


# Bad input


@pytest.mark.parametrize(
    "value,reason",
    [
        ("51.5", "latitude,longitude"),
        ("51.5,-0.1,3", "latitude,longitude"),
        ("london", "latitude,longitude"),
        ("nan,0", "latitude,longitude"),
        ("inf,0", "latitude,longitude"),
        ("1e1,0", "latitude,longitude"),
        ("١,٢", "latitude,longitude"),
        ("91,0", "-90 to 90"),
        ("-90.0001,0", "-90 to 90"),
        ("0,180.5", "-180 to 180"),
        ("0,-181", "-180 to 180"),
    ],
)
def test_a_place_that_is_not_one_is_refused_with_the_reason(client, around_london, value, reason):
    (error,) = api_error(client, near=value)["near"]
    assert reason in error["message"]
    for feed in ("ical", "feed", "rss"):
        response = client.get(f"/events/{feed}/?" + urlencode({"near": value}))
        assert response.status_code == 400 and reason in response.content.decode()
    page = client.get("/events/?" + urlencode({"near": value}))
    assert page.status_code == 200
    assert reason in BeautifulSoup(page.content, "html.parser").select_one(".form-errors").get_text()


def test_many_decimals_and_spaces_are_fine(client, around_london):
    assert api_titles(client, near=" 51.50740000001 , -0.12780000001 ", radius=30) == ["Watford seminar"]


@pytest.mark.parametrize("radius", ["0", "-5", "500.5", "1e9", "NaN", "Infinity", "ten"])
def test_a_radius_that_is_not_a_distance_is_refused(client, around_london, radius):
    assert "radius" in api_error(client, near=near(LONDON), radius=radius)


def test_a_radius_or_distance_sort_needs_a_place(client, around_london):
    assert "place" in api_error(client, radius=10)["radius"][0]["message"]
    assert "place" in api_error(client, sort="distance")["sort"][0]["message"]
    page = client.get("/events/?sort=distance")
    errors = BeautifulSoup(page.content, "html.parser").select_one(".form-errors").get_text()
    assert "Sorting by distance needs a place" in errors


def test_a_cursor_cannot_walk_results_by_distance(client, around_london):
    cursor = "s:2026-01-01T00:00:00+00:00~1"
    (error,) = api_error(client, near=near(LONDON), sort="distance", after=cursor)["after"]
    assert "page number" in error["message"]


def test_results_by_distance_are_walked_by_page_number(client, around_london):
    first = api(client, near=near(LONDON), radius=500, sort="distance", page_size=2)
    assert [e["title"] for e in first["results"]] == ["Watford seminar", "Reading seminar"]
    second = client.get(first["next"]).json()
    assert [e["title"] for e in second["results"]] == ["Paris seminar"] and second["next"] is None


def test_the_place_is_kept_in_links_one_way(client, around_london):
    data = api(client, near="51.50740,-0.12780", radius="500.0", sort="distance", page_size=1)
    assert "near=51.5074%2C-0.1278" in data["next"] and "radius=500&" in data["next"]


# Whatever is typed


@pytest.fixture
def placed_events():
    """(Made once for all the examples of a test.)"""
    event_at("London seminar", LONDON)
    event_at("Fiji seminar", (-17.7, 179.9))
    make_event("Online seminar")


COORDINATE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(-200, 200, places=8).map(str),
    st.integers(-1000, 1000).map(str),
)
NEAR = st.one_of(
    st.tuples(COORDINATE, COORDINATE).map(",".join),
    st.text(max_size=30),
    st.sampled_from(["", ",", "90,180", "-90,-180", "90,0", "0,180", " 1 , 2 ", "1,,2", "1;2", "9" * 400]),
)
RADIUS = st.one_of(
    st.none(),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
    st.text(max_size=10),
    st.sampled_from(["0", "0.000001", "500", "1e-9999", "9" * 500]),
)
SORT = st.one_of(st.none(), st.sampled_from(["distance", "soonest", "newest", "relevance", "nearest", ""]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(near_=st.one_of(st.none(), NEAR), radius=RADIUS, sort=SORT, extra=st.sampled_from(["", "q=seminar", "past=1"]))
@example(near_="90,180", radius="500", sort="distance", extra="")
@example(near_="-17.7,-179.99", radius="500", sort="distance", extra="q=seminar")
def test_no_place_radius_or_sort_makes_a_server_error(client, placed_events, near_, radius, sort, extra):
    params = {k: v for k, v in (("near", near_), ("radius", radius), ("sort", sort)) if v is not None}
    query = urlencode(params) + ("&" + extra if extra else "")
    assert client.get("/events/?" + query).status_code == 200
    api_response = client.get("/api/events/?" + query)
    assert api_response.status_code in (200, 400)
    if api_response.status_code == 200:
        for event in api_response.json()["results"]:
            assert event["distance_km"] is None or 0 <= event["distance_km"] <= 500
    for feed in ("ical", "feed", "rss"):
        assert client.get(f"/events/{feed}/?" + query).status_code in (200, 400)


@settings(max_examples=200, deadline=None)
@given(
    latitude=st.floats(-90, 90),
    longitude=st.floats(-180, 180),
    bearing=st.floats(0, 360),
    km=st.floats(0, 499),
)
def test_the_box_never_leaves_out_a_place_within_the_radius(latitude, longitude, bearing, km):
    """A point `km` away in any direction, from anywhere, is inside the box of a radius a little larger."""
    start = nearby.Point(latitude, longitude)
    phi, lam, theta, delta = (
        math.radians(latitude),
        math.radians(longitude),
        math.radians(bearing),
        km / nearby.EARTH_RADIUS_KM,
    )
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi), math.cos(delta) - math.sin(phi) * math.sin(phi2)
    )
    end = {"latitude": math.degrees(phi2), "longitude": (math.degrees(lam2) + 540) % 360 - 180}
    box = nearby.bounding_box(start, km + 0.001)
    assert matches(box, end), (start, end, box)


def matches(q, row):
    """Whether `row` (a dict) satisfies `q`, made only of AND/OR of field__gte/__lte conditions."""
    results = []
    for child in q.children:
        if isinstance(child, tuple):
            name, value = child
            field, lookup = name.rsplit("__", 1)
            results.append(row[field] >= value if lookup == "gte" else row[field] <= value)
        else:
            results.append(matches(child, row))
    return any(results) if q.connector == "OR" else all(results)


# Cost


def test_a_near_search_costs_the_same_queries_with_more_events(client, settings):
    settings.EVENTS_LISTING_CACHE_SECONDS = settings.EVENTS_FEED_CACHE_SECONDS = 0
    venue = venue_at(*WATFORD)
    urls = [
        "/events/?" + urlencode({"near": near(LONDON), "sort": "distance"}),
        "/api/events/?" + urlencode({"near": near(LONDON), "sort": "distance", "page_size": 50}),
        "/events/ical/?" + urlencode({"near": near(LONDON)}),
    ]

    def add(n, offset):
        for i in range(n):
            make_event(f"Near {offset + i}", venue=venue, starts_in=dt.timedelta(days=1 + offset + i))

    def counts():
        result = {}
        for url in urls:
            client.get(url)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            result[url] = len(captured)
        return result

    add(3, 0)
    few = counts()
    add(25, 3)
    assert counts() == few
    assert len(api(client, near=near(LONDON), page_size=50)["results"]) == 28
