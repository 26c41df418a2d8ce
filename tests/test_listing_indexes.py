"""Which index a listing's search reads on PostgreSQL, with enough events (generate_events, as the
bench makes them) for the planner to choose as it does at scale."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.http import QueryDict

from events.listing import search_events
from events.models import EventIndexPage
from events.search import title_first
from tests.factories import event_index

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]


def indexes_read(queryset):
    """The names of the indexes PostgreSQL's plan for `queryset` reads."""
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    found, nodes = set(), [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        found.add(node.get("Index Name"))
        nodes.extend(node.get("Plans", []))
    return found - {None}


def generated_listing():
    """A listing of 5,000 generated events, as the bench makes them, with the planner's statistics."""
    event_index()
    call_command("generate_events", count=5000, no_index=True, stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events_listingentry")
    return EventIndexPage.objects.get()


def test_free_events_are_read_from_the_index_of_free_events_and_others_from_the_listing_s():
    listing = generated_listing()
    for query in ("price=free", "price=free&topic=cbt"):
        search = search_events(QueryDict(query), listing.events())
        assert indexes_read(search.results[:20]) == {"events_entry_free_idx"}, query
        # The count, too, reads free events' entries alone (with 5,000 events the planner may take the
        # price index for it; at 100,000 it takes the free events' one, docs/performance.md).
        assert indexes_read(search.matches[:1001]) <= {"events_entry_free_idx", "events_entry_price_idx"}, query
        assert search.results[:20].count() > 0
    for query in ("", "price=paid", "topic=cbt"):
        search = search_events(QueryDict(query), listing.events())
        assert indexes_read(search.results[:20]) == {"events_entry_listing_idx"}, query


def test_a_text_search_of_upcoming_events_reads_the_search_indexes_of_events_not_over():
    listing = generated_listing()
    assert listing.events().filter(ended=True).exists()  # (generated events include long-past ones)
    upcoming = {"events_entry_title_upcoming_gin", "events_entry_search_upcoming_gin"}
    for query, indexes in (
        ("q=trauma", upcoming),
        ("q=trauma&past=1", {"events_entry_title_gin", "events_entry_search_gin"}),
    ):
        search = search_events(QueryDict(query), listing.events())
        in_title, others = title_first(search.filterset.qs, search.query)
        read = indexes_read(in_title[:1001]) | indexes_read(others[:1001]) | indexes_read(search.matches[:1001])
        assert read & {*upcoming, "events_entry_title_gin", "events_entry_search_gin"} == indexes, query
        assert in_title.exists(), query
