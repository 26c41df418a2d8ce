"""listing.read_by_ids: a page's listing rows read by their ids through a query written once a process
(RowsByIds), the same rows, values and order as the ORM's `values()` gives."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.listing import CARD_FACTS, read_by_ids
from events.models import ListingEntry
from tests.factories import make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def events():
    return [
        make_event("Grief seminar", tickets=(("Standard", "45.50"), ("Student", "12")), ce_hours=Decimal("3.5")),
        make_event("Trauma workshop", starts_in=dt.timedelta(days=30)),
        make_event("Alliance day", tickets=(("Standard", "0"),)),
    ]


def orm_rows(ids, fields):
    rows = {row["page_id"]: row for row in ListingEntry.objects.filter(page_id__in=ids).values(*fields)}
    return [rows[pk] for pk in ids if pk in rows]


def test_the_rows_of_the_ids_in_their_order_as_the_orm_reads_them(events):
    first, second, third = (event.pk for event in events)
    entries = ListingEntry.objects.all()
    # A number of ids the query was not written for yet, each time (SQLite writes one per number).
    for ids in ([second], [third, first, 10**9], [first, third], [third, second, first]):
        rows = read_by_ids(entries, ids, CARD_FACTS)
        assert rows == orm_rows(ids, CARD_FACTS)
        assert [row["page_id"] for row in rows] == [pk for pk in ids if pk != 10**9]
    grief = read_by_ids(entries, [first], CARD_FACTS)[0]
    # Converted as the ORM converts them (SQLite stores dates and decimals as text).
    assert grief["price_min"] == Decimal("12") and grief["price_max"] == Decimal("45.50")
    assert grief["start"].tzinfo is not None and grief["end"] > grief["start"]
    assert grief["last_published_at"] is not None and grief["ce_hours"] == Decimal("3.5")
    assert read_by_ids(entries, [second], ["page_id", "title"]) == [{"page_id": second, "title": "Trauma workshop"}]
    assert read_by_ids(entries, [], CARD_FACTS) == []


def test_the_same_statement_whatever_the_ids(events):
    """On PostgreSQL, the ids go as one array: every page asks the same statement (which psycopg
    then prepares); elsewhere, one statement for each number of ids."""
    entries = ListingEntry.objects.all()
    texts = []
    for ids in ([events[0].pk, events[1].pk], [events[2].pk, events[0].pk]):
        with CaptureQueriesContext(connection) as queries:
            read_by_ids(entries, ids, CARD_FACTS)
        (query,) = queries.captured_queries
        texts.append(query["sql"].split(" WHERE ")[0] if connection.vendor != "postgresql" else query["sql"])
    if connection.vendor == "postgresql":
        assert "= ANY(" in texts[0]
        assert texts[0].split("ANY(")[0] == texts[1].split("ANY(")[0]
    assert texts[0].split(" WHERE ")[0] == texts[1].split(" WHERE ")[0]


def test_rows_that_carry_a_distance_are_read_with_it(events):
    """A search near a place annotates its rows with their distance: read from the search itself
    (its page, a slice, gave the ids)."""
    from django.db.models import Value

    near = ListingEntry.objects.annotate(distance_km=Value(2.5)).order_by("page_id")
    ids = [events[1].pk, events[0].pk]
    for results in (near, near[:2]):
        rows = read_by_ids(results, ids, ["page_id", "distance_km"])
        assert rows == [{"page_id": ids[0], "distance_km": 2.5}, {"page_id": ids[1], "distance_km": 2.5}]
    # Annotations the fields do not ask for (a ranking) leave the rows to the query written once.
    ranked = ListingEntry.objects.annotate(rank=Value(1))[:2]
    with CaptureQueriesContext(connection) as queries:
        assert read_by_ids(ranked, ids, ["page_id"]) == [{"page_id": ids[0]}, {"page_id": ids[1]}]
    assert "rank" not in queries.captured_queries[0]["sql"].lower()
