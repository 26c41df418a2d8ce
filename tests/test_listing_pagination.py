"""Counts and pages of a broad search: exact up to EVENTS_COUNT_LIMIT, then "N+"; page numbers up
to the limit; the JSON API walks past it by a cursor that returns every event once, in order,
even with equal start times and events published during the walk."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import VenueFactory, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def capped(settings):
    settings.EVENTS_COUNT_LIMIT = 3
    settings.EVENTS_LISTING_CACHE_SECONDS = 0


@pytest.fixture
def seven_events():
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    # Two pairs start at the same moment: the cursor must tell them apart.
    starts = [start, start, start + dt.timedelta(days=1), start + dt.timedelta(days=1)]
    starts += [start + dt.timedelta(days=d) for d in (2, 3, 4)]
    return [make_event(f"Event {n}", start=when).pk for n, when in enumerate(starts)]


def walk(client, url):
    """Every page of an API walk: (ids in order, the pages' bodies)."""
    ids, bodies = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        bodies.append(body)
        ids += [event["id"] for event in body["results"]]
        url = body["next"]
    return ids, bodies


def test_the_api_walks_past_the_count_limit_with_a_cursor(client, capped, seven_events):
    ids, bodies = walk(client, "/api/events/?page_size=2")
    assert ids == seven_events
    first = bodies[0]
    assert (first["count"], first["count_is_exact"]) == (3, False)
    assert "page=2" in first["next"]
    assert "after=s%3A" in bodies[1]["next"]  # the numbered pages end at the limit
    assert bodies[-1]["count_is_exact"] and bodies[-1]["next"] is None


def test_the_newest_first_walk_returns_each_event_once(client, capped, seven_events):
    ids, _ = walk(client, "/api/events/?sort=newest&page_size=2")
    assert ids == list(reversed(seven_events))


def test_events_published_during_a_walk_neither_repeat_nor_shift_it(client, capped, seven_events):
    first = client.get("/api/events/?page_size=3").json()
    assert first["next"] and "after=" in first["next"]
    make_event("Sooner than the cursor", starts_in=dt.timedelta(days=1))
    later = make_event("Later than all", starts_in=dt.timedelta(days=30))
    ids, _ = walk(client, first["next"])
    assert [e["id"] for e in first["results"]] + ids == [*seven_events, later.pk]


def test_filters_stay_with_the_cursor(client, capped, seven_events):
    hybrid = make_event(
        "In Lisbon", start=timezone.now() + dt.timedelta(days=30), format="hybrid", venue=VenueFactory()
    )
    make_event("In person only", starts_in=dt.timedelta(days=4), venue=VenueFactory())
    ids, bodies = walk(client, "/api/events/?format=online&page_size=2")
    assert ids == [*seven_events, hybrid.pk]  # the hybrid one is listed too (it can be attended online)...
    assert all("format=online" in body["next"] for body in bodies[:-1])
    ids, _ = walk(client, "/api/events/?format=hybrid&page_size=2")
    assert len(ids) == 1  # ...but not when only hybrid ones are asked for


@pytest.mark.parametrize(
    "after",
    [
        "junk",
        "s:2026-01-01T00:00:00~x",
        "s:2026-01-01T00:00:00~5",  # no time zone
        "x:2026-01-01T00:00:00+00:00~5",
        "s:not-a-date+00:00~5",
        "s:2026-01-01T00:00:00+00:00~0",
        "s:2026-01-01T00:00:00+00:00~" + "9" * 40,
        "s:9999-12-31T23:59:59-14:00~1",  # past what the database's dates hold once in UTC
    ],
)
def test_a_bad_cursor_is_refused_with_a_reason(client, seven_events, after):
    response = client.get("/api/events/", {"after": after})
    assert response.status_code == 400
    assert "after" in response.json()["errors"]


@pytest.mark.parametrize("query", ["sort=newest", "q=event"])
def test_a_cursor_for_another_order_is_refused(client, seven_events, query):
    after = "s:2026-01-01T00:00:00+00:00~5"
    response = client.get(f"/api/events/?{query}&after={after.replace('+', '%2B')}")
    assert response.status_code == 400
    assert "another order" in response.json()["errors"]["after"][0]["message"]


def test_the_listing_says_n_plus_and_stops_its_pages_at_the_limit(client, capped, settings, seven_events):
    settings.EVENTS_PAGE_SIZE = 2
    first = client.get("/events/")
    assert "3+ events" in first.text and "Page 1</span>" in first.text and "Page 1 of" not in first.text
    last = client.get("/events/?page=2")
    assert [e.pk for e in last.context["events_page"]] == seven_events[2:3]
    assert "Only the first 3 are shown" in last.text and 'rel="next"' not in last.text
    assert client.get("/events/?page=3").status_code == 404


def test_a_count_within_the_limit_is_exact(client, settings, seven_events):
    settings.EVENTS_COUNT_LIMIT = 7
    response = client.get("/events/")
    # (the count's own line: "7+" alone is also in times such as "…:37+00:00")
    assert '<h2 class="result-count">7 events</h2>' in response.text and "7+ events" not in response.text
    api = client.get("/api/events/?page_size=5").json()
    assert (api["count"], api["count_is_exact"]) == (7, True) and "page=2" in api["next"]
