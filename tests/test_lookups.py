"""events.lookups.OneOf: the rows whose column is one of the ids, the ids sent to PostgreSQL as one
array whatever their number (each a placeholder of its own cost a feed of 500 events a fifth of
its CPU)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.lookups import OneOf
from events.models import EventPage, ListingEntry
from tests.factories import make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def events():
    return [make_event(f"Workshop {n}") for n in range(3)]


def test_the_rows_of_the_ids_given_and_no_others(events):
    first, _second, third = events
    chosen = ListingEntry.objects.filter(OneOf("page_id", [third.pk, first.pk, 10**9]))
    assert sorted(chosen.values_list("page_id", flat=True)) == sorted([first.pk, third.pk])
    assert list(EventPage.objects.filter(OneOf("pk", {first.pk})).values_list("title", flat=True)) == ["Workshop 0"]
    # Excluded, combined with other conditions, and with no ids at all.
    assert ListingEntry.objects.exclude(OneOf("page_id", [first.pk])).count() == 2
    with CaptureQueriesContext(connection) as queries:
        assert not ListingEntry.objects.filter(OneOf("page_id", []))
    assert not queries.captured_queries  # no ids: nothing asked, as with `__in=[]`
    assert ListingEntry.objects.exclude(OneOf("page_id", [])).count() == 3


def test_ids_that_are_not_integers_are_refused_before_any_query(events):
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValueError):
        ListingEntry.objects.filter(OneOf("page_id", ["1; DROP TABLE events_listingentry"]))
    assert not queries.captured_queries


def test_postgresql_gets_one_array_whatever_the_number_of_ids(events):
    ids = [event.pk for event in events]
    texts = []
    for many in (ids, ids * 200):
        with CaptureQueriesContext(connection) as queries:
            assert ListingEntry.objects.filter(OneOf("page_id", many)).count() == 3
        texts.append(queries.captured_queries[0]["sql"])
    if connection.vendor == "postgresql":
        assert "= ANY(" in texts[0] and " IN (" not in texts[0]
        assert texts[0].split("ANY(")[0] == texts[1].split("ANY(")[0]  # the same statement before the array
    else:  # SQLite has no arrays
        assert texts[1].count(",") - texts[0].count(",") == 3 * 199
