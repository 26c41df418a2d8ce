"""A search by relevance with more matches than are counted (EVENTS_COUNT_LIMIT, "1,000+") lists the
events with every word in their title first, then the others, each soonest first (listing.paginate,
search.title_first): every page, in the listing and the API, on SQLite and PostgreSQL, holds what
that order gives, including pages across the two parts and pages past the title matches. A search
counted exactly is still ranked (tests/test_listing_relevance.py, test_search_quality.py)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.listing import TitleFirst
from events.models import ListingEntry
from tests.factories import OrganizerFactory, TopicFactory, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

DAY = dt.timedelta(days=1)


@pytest.fixture
def grief_events(settings):
    """7 events titled with "grief", 6 holding it elsewhere, 2 without it; starts interleaved, and
    the best-placed words (several times, in the title and summary) on the latest events."""
    settings.EVENTS_COUNT_LIMIT = 12  # 13 match: a broad search
    topic = TopicFactory(name="Grief work", slug="grief-work")
    institute = OrganizerFactory(name="Grief Institute", slug="grief-institute")
    in_title, others = [], []
    for n in range(7):
        title = f"Grief seminar {n}"
        make_event(title, starts_in=(20 - 2 * n) * DAY, summary="Grief, grief and loss." if n < 2 else "Loss.")
        in_title.append((20 - 2 * n, title))
    elsewhere = [
        ("Loss in summary", {"summary": "On grief."}),
        ("Tagged", {"topics": [topic], "summary": "Loss."}),
        ("By the institute", {"organizer": institute, "summary": "Loss."}),
        ("Objectives", {"learning_objectives": [("objective", "Name grief in adolescents")], "summary": "Loss."}),
        ("Summary twice", {"summary": "Grief after grief."}),
        ("Summary again", {"summary": "Complicated grief."}),
    ]
    for n, (title, facts) in enumerate(elsewhere):
        make_event(title, starts_in=(3 + 3 * n) * DAY, **facts)
        others.append((3 + 3 * n, title))
    make_event("Couples work", starts_in=1 * DAY)
    make_event("Trauma day", starts_in=5 * DAY, summary="Not a match.")
    return [title for _day, title in sorted(in_title)] + [title for _day, title in sorted(others)]


def api_titles(client, query, page_size, page):
    response = client.get(f"/api/events/?{query}&page_size={page_size}&page={page}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count_is_exact"] is False
    return [event["title"] for event in body["results"]]


@pytest.mark.parametrize("page_size", [1, 2, 3, 5, 7, 12])
@pytest.mark.parametrize("limit", [12, 6])  # each part read whole; more title matches than are counted
def test_every_page_of_a_broad_search_lists_title_matches_then_the_others_soonest_first(
    client, settings, grief_events, page_size, limit
):
    settings.EVENTS_COUNT_LIMIT = limit
    expected = grief_events[:limit]  # its pages go as far as the count
    shown = []
    pages = -(-limit // page_size)
    for number in range(1, pages + 1):
        page = api_titles(client, "q=grief", page_size, number)
        assert page == expected[(number - 1) * page_size : number * page_size], (page_size, number)
        shown += page
    assert shown == expected
    assert client.get(f"/api/events/?q=grief&page_size={page_size}&page={pages + 1}").status_code == 404


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_other_matches_more_than_are_counted_follow_the_title_matches_soonest_first(client, settings, page_size):
    """A part with more matches than are counted is read in the listing's order, the others here."""
    settings.EVENTS_COUNT_LIMIT = 4  # 9 match
    for n, day in enumerate((9, 4)):
        make_event(f"Grief seminar {n}", starts_in=day * DAY)
    for n, day in enumerate((8, 2, 6, 7, 9, 1, 3)):  # the soonest made last: no first rows will do
        make_event(f"Loss {n}", starts_in=day * DAY, summary="On grief.")
    expected = ["Grief seminar 1", "Grief seminar 0", "Loss 5", "Loss 1"]
    shown = []
    for number in range(1, -(-4 // page_size) + 1):
        shown += api_titles(client, "q=grief", page_size, number)
    assert shown == expected


def test_the_listing_pages_show_the_same_order(client, settings, grief_events):
    settings.EVENTS_PAGE_SIZE = 5
    for number in (1, 2, 3):  # inside the title matches, across to the others, only others
        response = client.get(f"/events/?q=grief&page={number}")
        assert response.status_code == 200
        assert [event.title for event in response.context["events_page"]] == grief_events[:12][(number - 1) * 5 :][:5]
    assert "12+ events" in response.content.decode()


def test_the_feed_of_a_broad_search_holds_the_events_its_listing_shows_in_that_order(client, grief_events):
    """A calendar feed reads its entries' facts as the listing reads its page, not ranking every match."""
    response = client.get("/events/ical/?q=grief")
    assert response.status_code == 200
    assert re.findall(r"^SUMMARY:(.*)\r$", response.content.decode(), re.MULTILINE) == grief_events[:12]


def test_a_feed_of_a_search_counted_exactly_is_ranked_as_its_listing(client, settings, grief_events):
    settings.EVENTS_COUNT_LIMIT = 13
    listed = [event["title"] for event in client.get("/api/events/?q=grief&page_size=13").json()["results"]]
    feed = client.get("/events/ical/?q=grief").content.decode()
    assert re.findall(r"^SUMMARY:(.*)\r$", feed, re.MULTILINE) == listed
    assert listed[:7] != grief_events[:7]  # (ranked, not title matches soonest first)


def test_every_word_must_be_in_the_title_to_come_first(client, settings, grief_events):
    settings.EVENTS_COUNT_LIMIT = 8  # 9 match
    make_event("Seminar on loss", starts_in=2 * DAY, summary="Grief.")  # the soonest, one word in its title
    make_event("Grief seminar at dawn", starts_in=30 * DAY)
    found = api_titles(client, "q=grief+seminar", 8, 1)
    assert found == [f"Grief seminar {n}" for n in reversed(range(7))] + ["Grief seminar at dawn"]


def test_a_broad_search_keeps_its_filters_and_its_sort(client, grief_events):
    found = api_titles(client, "q=grief&format=online", 12, 1)  # (every event here is online)
    assert found == grief_events[:12]
    sorted_by_date = client.get("/api/events/?q=grief&sort=soonest&page_size=3").json()["results"]
    assert [event["title"] for event in sorted_by_date] == ["Loss in summary", "Tagged", "Grief seminar 6"]


def test_a_search_counted_exactly_is_still_ranked(client, settings, grief_events):
    settings.EVENTS_COUNT_LIMIT = 13
    response = client.get("/api/events/?q=grief&page_size=13").json()
    assert response["count_is_exact"] is True
    titles = [event["title"] for event in response["results"]]
    # Ranked: the titles holding the word most often first, not the soonest title match.
    assert titles[:2] == ["Grief seminar 1", "Grief seminar 0"] or titles[:2] == ["Grief seminar 0", "Grief seminar 1"]
    assert titles[:2] != grief_events[:2]


@pytest.mark.parametrize("limit", [4, 7])  # more rows than are counted; all of them counted
def test_a_part_is_read_soonest_first_whatever_order_the_database_finds_its_rows_in(settings, limit):
    settings.EVENTS_COUNT_LIMIT = limit
    days = (8, 2, 6, 7, 9, 1, 3)  # the soonest made last
    pages = [make_event(f"Loss {n}", starts_in=day * DAY) for n, day in enumerate(days)]
    part = ListingEntry.objects.filter(page_id__in=[page.pk for page in pages])  # found by page id
    soonest = [page.pk for _day, page in sorted(zip(days, pages, strict=True), key=lambda pair: pair[0])]
    for start in (0, 3, 6):
        parts = TitleFirst(part, ListingEntry.objects.none(), start, start + 3)
        rows = parts.read(0, ["page_id"])
        assert [row["page_id"] for row in rows] == soonest[start : start + 3], start
        assert parts.found() == min(7, limit + 1)


@pytest.mark.parametrize("limit", [5, 6, 7, 8, 12, 13, 14, 20])  # 7 title matches, 13 in all
def test_a_search_by_relevance_is_counted_by_its_two_parts(client, settings, grief_events, limit):
    settings.EVENTS_COUNT_LIMIT = limit
    body = client.get("/api/events/?q=grief&page_size=50").json()
    assert (body["count"], body["count_is_exact"]) == (min(13, limit), 13 <= limit)
    listing = client.get("/events/?q=grief").context["events_page"].paginator
    assert (listing.count, listing.exact) == (min(13, limit), 13 <= limit)


@pytest.mark.parametrize("limit, heads", [(6, 1), (12, 2)])  # more title matches than are counted; fewer
def test_a_search_by_relevance_is_counted_by_the_heads_its_pages_read(client, settings, grief_events, limit, heads):
    """No count of its own: the title matches' head, and the others' only when those are counted whole."""
    settings.EVENTS_COUNT_LIMIT = limit
    settings.EVENTS_LISTING_CACHE_SECONDS = 0
    client.get("/api/events/?q=grief")  # (what is read once per process)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/events/?q=grief").json()["count_is_exact"] is False
    sqls = [query["sql"] for query in captured]
    counts = [sql for sql in sqls if "COUNT(" in sql.upper()]
    assert len(counts) == heads
    assert all(
        sql.startswith('WITH head (sort_start, page_id) AS (SELECT "events_listingentry"."sort_start"')
        for sql in counts
    )


@pytest.mark.parametrize("page_size, others_read", [(5, 12 + 1 - 7), (10, 12 + 1)])
def test_the_others_head_stops_at_what_the_count_needs_when_the_page_shows_none_of_them(
    client, settings, grief_events, page_size, others_read
):
    """7 title matches: a first page of 5 shows none of the others, which are counted only as far as
    the limit's count needs (6 of them); a page of 10 shows 3 of them, so their head is read whole."""
    settings.EVENTS_LISTING_CACHE_SECONDS = 0
    client.get("/api/events/?q=grief")  # (what is read once per process)
    with CaptureQueriesContext(connection) as captured:
        found = api_titles(client, "q=grief", page_size, 1)
    assert found == grief_events[:page_size]
    heads = [query["sql"] for query in captured if "COUNT(" in query["sql"].upper()]
    assert len(heads) == 2
    assert f"LIMIT {others_read})" in heads[1], heads[1]
    assert client.get(f"/api/events/?q=grief&page_size={page_size}").json()["count"] == 12
