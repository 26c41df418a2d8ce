"""`generate_events` writes its rows in bulk (COPY on PostgreSQL, events/bulk.py), from pages it
never reads back, possibly from several processes: what it writes must still be exactly what
Wagtail, Django and publishing would write, and the tables must end with their own indexes."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from wagtail.models import Page

from events import bulk, read_model
from events.management.commands.generate_events import TABLES
from events.models import EntryTitleWord, EventPage, ListingEntry, SearchTerm, TitleWord
from tests.factories import event_index

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def generate(count, **options):
    call_command("generate_events", count=count, no_index=True, stdout=io.StringIO(), **options)


def listing_state():
    """Every listing row (with its search documents on PostgreSQL), title word and search word."""
    rows = list(ListingEntry.objects.order_by("page_id").values())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT page_id, search_document::text, title_document::text FROM events_listingentry ORDER BY page_id"
            )
            rows.append(cursor.fetchall())
    words = sorted(EntryTitleWord.objects.values_list("entry_id", "word", "end"))
    return (
        rows,
        words,
        sorted(SearchTerm.objects.values_list("term", flat=True)),
        sorted(TitleWord.objects.values_list("word", flat=True)),
    )


def assert_valid_tree(count):
    index = event_index()
    index.refresh_from_db()
    assert all(not problems for problems in Page.find_problems())  # treebeard: paths, depths, numchild
    assert index.numchild == index.get_children().count() == EventPage.objects.count() == count
    steps = sorted(int(path[-Page.steplen :], 36) for path in index.get_children().values_list("path", flat=True))
    assert steps == list(range(1, count + 1))


def test_rows_written_in_bulk_are_those_publishing_writes():
    event_index()
    generate(45, batch=20)  # several batches, the last one short
    assert_valid_tree(45)
    written = listing_state()
    assert len(written[0]) >= 45 and written[1]
    # Made again from the pages as the database holds them, by the code publishing runs.
    ListingEntry.objects.all().delete()
    SearchTerm.objects.all().delete()
    TitleWord.objects.all().delete()
    read_model.sync(EventPage.objects.values_list("pk", flat=True))
    assert listing_state() == written


def test_pages_written_in_bulk_are_those_django_writes():
    event_index()
    generate(12, batch=5)
    for page in EventPage.objects.all()[:6]:
        # Django's own full save of each row and of what belongs to the page.
        before = (
            Page.objects.filter(pk=page.pk).values().get(),
            EventPage.objects.filter(pk=page.pk).values().get(),
            list(page.sessions.values()),
            list(page.ticket_types.values()),
            sorted(page.topics.values_list("pk", flat=True)),
        )
        page.save()
        after = (
            Page.objects.filter(pk=page.pk).values().get(),
            EventPage.objects.filter(pk=page.pk).values().get(),
            list(page.sessions.values()),
            list(page.ticket_types.values()),
            sorted(page.topics.values_list("pk", flat=True)),
        )
        assert after == before


@pytest.mark.postgres_only
def test_a_large_load_ends_with_the_tables_own_indexes():
    event_index()
    tables = [model._meta.db_table for model in TABLES]
    indexes = bulk.secondary_indexes(tables)
    assert any("gin" in definition.lower() for _name, definition in indexes)  # the search document's
    generate(30, batch=7)  # more than the tables hold: their indexes are set aside meanwhile
    assert bulk.secondary_indexes(tables) == indexes


@pytest.mark.postgres_only
def test_an_error_during_a_large_load_still_leaves_the_indexes(monkeypatch):
    from events.management.commands import generate_events

    event_index()
    tables = [model._meta.db_table for model in TABLES]
    indexes = bulk.secondary_indexes(tables)

    def broken(*args, **kwargs):
        assert bulk.secondary_indexes(tables) == []  # set aside while the rows go in
        raise RuntimeError("disk full")

    monkeypatch.setattr(generate_events, "write_entries", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        generate(10)
    assert bulk.secondary_indexes(tables) == indexes


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_several_processes_share_the_listing_without_overlapping():
    event_index()
    generate(50, batch=8, processes=3)
    assert_valid_tree(50)
    assert read_model.differences() == ([], [])
    assert ListingEntry.objects.count() == 50
    titles = EventPage.objects.values_list("title", flat=True)
    assert len(set(titles)) == 50  # each step made once ("… #<step>")
    written = listing_state()
    ListingEntry.objects.all().delete()
    read_model.sync(EventPage.objects.values_list("pk", flat=True))
    assert listing_state()[:2] == written[:2]
