"""Listing, API and feed cost the same number of SQL queries whatever the number of events."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import OrganizerFactory, TopicFactory, VenueFactory, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def no_caches(settings):
    """The work itself is counted, not a cache's answer."""
    settings.EVENTS_LISTING_CACHE_SECONDS = settings.EVENTS_FEED_CACHE_SECONDS = settings.EVENTS_PAGE_CACHE_SECONDS = 0


URLS = ["/events/", "/events/?q=workshop&topic=t1", "/api/events/?page_size=50", "/events/ical/", "/"]


def add_events(n, offset):
    topics = [TopicFactory(name="T1", slug="t1"), TopicFactory(name="T2", slug="t2")]
    venue = VenueFactory(latitude=Decimal("51.5"), longitude=Decimal("-0.12"))  # on the listing's map
    for i in range(n):
        make_event(
            f"Workshop {offset + i}",
            venue=venue if i % 2 else None,
            organizer=OrganizerFactory(name=f"Org {i % 7}", slug=f"org-{i % 7}"),
            starts_in=dt.timedelta(days=1 + offset + i),
            topics=topics[: 1 + i % 2],
            tickets=[("A", "10"), ("B", "0")],
            featured=i % 3 == 0,
        )


def queries(client, url):
    client.get(url)  # warm caches that are filled once per process (site root paths)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


def test_listing_api_and_feed_query_count_does_not_grow_with_events(client):
    add_events(5, 0)
    few = {url: queries(client, url) for url in URLS}
    add_events(45, 5)
    many = {url: queries(client, url) for url in URLS}
    for url in URLS:
        assert few[url][0] == many[url][0], f"{url}: {few[url][0]} queries for 5 events, {many[url][0]} for 50"
    assert len(many["/api/events/?page_size=50"][1].json()["results"]) == 50
    assert many["/events/ical/"][1].content.count(b"BEGIN:VEVENT") == 50
    assert len(many["/events/"][1].context["events_page"]) == 20
    # The map's pins, one per card at the venue, came with the cards' query.
    at_venue = sum(1 for event in many["/events/"][1].context["events_page"] if event.venue_id)
    assert at_venue and many["/events/"][1].content.count(b'"lat": 51.5') == at_venue


def test_event_page_query_count_does_not_grow_with_sessions_and_tickets(client):
    small = make_event("Small", sessions=None, tickets=[("A", "1")])
    start = small.start + dt.timedelta(days=3)
    sessions = [(start + dt.timedelta(days=d), start + dt.timedelta(days=d, hours=2)) for d in range(6)]
    big = make_event(
        "Big", sessions=sessions, tickets=[(f"T{i}", str(i)) for i in range(6)], topics=[TopicFactory(), TopicFactory()]
    )
    assert queries(client, small.url)[0] == queries(client, big.url)[0]


def test_a_broad_search_by_relevance_costs_the_same_whatever_it_matches(client, settings):
    """More matches than are counted: title matches first, then the others (listing.PageEvents),
    each part read up to its page whatever the number of matches."""
    settings.EVENTS_COUNT_LIMIT = 4
    urls = [
        "/events/?q=workshop",
        "/api/events/?q=workshop&page_size=1&page=3",
        "/api/events/?q=org&page_size=2&page=2",
    ]
    add_events(6, 0)
    few = {url: queries(client, url)[0] for url in urls}
    add_events(45, 6)
    many = {url: queries(client, url) for url in urls}
    assert few == {url: count for url, (count, _response) in many.items()}
    assert many[urls[1]][1].json()["results"][0]["title"] == "Workshop 2"
    assert many[urls[1]][1].json()["count_is_exact"] is False
