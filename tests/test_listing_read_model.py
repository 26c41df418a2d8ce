"""The listings read `ListingEntry` (events/read_model.py): one row per live, public event page,
kept equal to the pages through every way Wagtail changes them, so what listings, the API and the
feeds show is what is published, and nothing else."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from wagtail.actions.unpublish_page import UnpublishPageAction
from wagtail.models import PageViewRestriction

from events import read_model
from events.models import EventIndexPage, EventPage, ListingEntry
from tests.factories import OrganizerFactory, TopicFactory, VenueFactory, ensure_home, event_index, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def listed(client, query=""):
    """Titles of what the listing page and the API show for `query` (they must agree)."""
    page = [event.title for event in client.get(f"/events/?{query}").context["events_page"]]
    api = [event["title"] for event in client.get(f"/api/events/?{query}").json()["results"]]
    assert page == api
    return page


def row(event):
    return ListingEntry.objects.get(page_id=event.pk)


def test_a_published_event_is_listed_and_its_draft_is_not(client):
    event = make_event("Rupture and repair", starts_in=dt.timedelta(days=3))
    assert (row(event).title, row(event).listing_id, row(event).public) == (event.title, event_index().pk, True)
    draft = EventPage.objects.get(pk=event.pk)
    draft.title = "Secret new title"
    draft.save_revision()
    assert row(event).title == "Rupture and repair"
    assert listed(client, "q=secret") == []
    EventPage.objects.get(pk=event.pk).get_latest_revision().publish()
    assert listed(client, "q=secret") == ["Secret new title"]


def test_an_event_never_published_is_not_listed(client):
    event = make_event("Draft only", publish=False)
    assert not ListingEntry.objects.filter(page_id=event.pk).exists()
    assert listed(client) == []


def test_unpublished_or_deleted_events_leave_the_listing(client):
    kept, hidden, gone = (make_event(t, starts_in=dt.timedelta(days=n + 1)) for n, t in enumerate("ABC"))
    EventPage.objects.get(pk=hidden.pk).unpublish()
    EventPage.objects.get(pk=gone.pk).delete()
    assert listed(client) == ["A"]
    assert list(ListingEntry.objects.values_list("page_id", flat=True)) == [kept.pk]


def test_unpublishing_a_listing_takes_its_events_with_it(admin_user):
    make_event("Under the listing")
    UnpublishPageAction(event_index(), user=admin_user, include_descendants=True).execute()
    assert not ListingEntry.objects.exists()


def test_a_moved_event_is_listed_under_its_new_listing(client):
    event = make_event("Moving workshop")
    other = ensure_home().add_child(instance=EventIndexPage(title="Other events", slug="other"))
    other.save_revision().publish()
    EventPage.objects.get(pk=event.pk).move(other, pos="last-child")
    assert row(event).listing_id == other.pk
    assert [e.title for e in client.get("/other/").context["events_page"]] == ["Moving workshop"]
    assert client.get("/events/").context["events_page"].paginator.count == 0


@pytest.mark.parametrize("on", ["event", "listing"])
def test_a_private_event_is_not_listed_until_its_restriction_is_lifted(client, on):
    event = make_event("Members only")
    make_event("Open to all", starts_in=dt.timedelta(days=9))
    page = event if on == "event" else event_index()
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    assert "Members only" not in [e["title"] for e in client.get("/api/events/").json()["results"]]
    assert row(event).public is False
    restriction.delete()
    assert row(event).public is True
    assert listed(client) == ["Members only", "Open to all"]


def test_a_private_event_stays_private_when_a_restriction_above_it_is_lifted():
    event = make_event("Members only")
    own = PageViewRestriction.objects.create(page=event, restriction_type=PageViewRestriction.LOGIN)
    above = PageViewRestriction.objects.create(page=event_index(), restriction_type=PageViewRestriction.LOGIN)
    above.delete()
    assert row(event).public is False
    own.delete()
    assert row(event).public is True


def test_edits_of_venue_organizer_and_topic_reach_the_listing(client):
    venue = VenueFactory(name="Harbour Hall", city="Lisbon", country="PT", time_zone="Europe/Lisbon")
    organizer = OrganizerFactory(name="Grief Institute")
    topic = TopicFactory(name="Mentalization")
    make_event("Workshop", venue=venue, organizer=organizer, topics=[topic])
    venue.name, venue.city = "Dock Hall", "Porto"
    venue.save()
    organizer.name = "Loss Academy"
    organizer.save()
    topic.name = "Reflective functioning"
    topic.save()
    for query in ("city=porto", "q=dock", "q=academy", "q=reflective"):
        assert listed(client, query) == ["Workshop"], query
    for query in ("city=lisbon", "q=harbour", "q=institute", "q=mentalization"):
        assert listed(client, query) == [], query


def test_a_deleted_topic_is_no_longer_searched(client):
    topic = TopicFactory(name="Mentalization")
    make_event("Workshop", topics=[topic])
    assert listed(client, "q=mentalization") == ["Workshop"]
    topic.delete()
    assert listed(client, "q=mentalization") == []


def test_rebuild_makes_the_same_rows_and_repair_finds_what_differs():
    events = [make_event(f"Workshop {n}", starts_in=dt.timedelta(days=n + 1)) for n in range(3)]
    before = list(ListingEntry.objects.order_by("page_id").values())
    call_command("rebuild_listing", stdout=io.StringIO())
    assert list(ListingEntry.objects.order_by("page_id").values()) == before
    # Rows lost or left behind (pages written without Wagtail): found and fixed.
    ListingEntry.objects.filter(page_id=events[0].pk).delete()
    EventPage.objects.filter(pk=events[1].pk).update(live=False)
    assert read_model.differences() == ([events[0].pk], [events[1].pk])
    out = io.StringIO()
    call_command("rebuild_listing", "--missing", stdout=out)
    assert "1 added, 1 removed" in out.getvalue()
    assert set(ListingEntry.objects.values_list("page_id", flat=True)) == {events[0].pk, events[2].pk}


def test_generated_events_are_listed(client):
    event_index()
    call_command("generate_events", count=30, no_index=True, stdout=io.StringIO())
    assert ListingEntry.objects.count() == EventPage.objects.live().count() == 30
    assert read_model.differences() == ([], [])


@pytest.mark.postgres_only
def test_a_sync_writes_each_row_once_with_its_search_document():
    """Written with its search document in one statement: an insert then an update would leave a
    dead copy of every row, which a listing's scan of the table reads through until VACUUM."""
    from django.db import connection

    event = make_event("Written once", starts_in=dt.timedelta(days=3))
    table = f"'{ListingEntry._meta.db_table}'::regclass"
    with connection.cursor() as cursor:
        read_model.sync([event.pk])  # (an existing row: the upsert updates it)
        ListingEntry.objects.filter(page_id=event.pk).delete()
        cursor.execute(f"SELECT pg_stat_get_xact_tuples_updated({table}), pg_stat_get_xact_tuples_inserted({table})")
        before = cursor.fetchone()
        read_model.sync([event.pk])
        cursor.execute(f"SELECT pg_stat_get_xact_tuples_updated({table}), pg_stat_get_xact_tuples_inserted({table})")
        updated, inserted = (after - earlier for after, earlier in zip(cursor.fetchone(), before, strict=True))
    assert (updated, inserted) == (0, 1)
    assert ListingEntry.objects.filter(page_id=event.pk, search_document="written").exists()


@pytest.mark.postgres_only
def test_a_row_written_from_its_values_has_the_document_its_columns_give():
    """read_model writes each row's documents from its values (search.EntryDocument); an organizer's
    rename rewrites them from the columns (search.document(), title_document()): both must index the
    same words."""
    from events.search import document, title_document

    event = make_event(
        "Grief, loss and repair",
        summary="Seminars on mourning.",
        topics=[TopicFactory(name="Bereavement")],
        venue=VenueFactory(name="Conway Hall", city="London"),
        language="es",
    )
    written, title = row(event).search_document, row(event).title_document
    ListingEntry.objects.filter(page_id=event.pk).update(search_document=document(), title_document=title_document())
    assert (row(event).search_document, row(event).title_document) == (written, title)
    assert re.search(r"'grief':1A", written) and re.search(r"'conway':\d+C", written), written
    assert title == "'and':3 'grief':1 'loss':2 'rep':4", title  # the title's words alone, stemmed in Spanish


CARD_COLUMNS = ("slug", "time_zone", "currency", "sold_out", "last_published_at")


def card_facts(event):
    """What the row copies of the page and venue for cards, pins and the API: as the row has it, and
    as the page has it now."""
    page = EventPage.objects.select_related("venue").get(pk=event.pk)
    in_row = ListingEntry.objects.values_list(*CARD_COLUMNS, "venue_name").get(page_id=event.pk)
    return in_row, (*(getattr(page, name) for name in CARD_COLUMNS), page.venue.name if page.venue else "")


def test_what_cards_show_of_the_page_and_venue_follows_every_change(client):
    from tests.registration_helpers import register

    event = make_event("Workshop", venue=VenueFactory(name="Harbour Hall"), tickets=[("Standard", "0")], capacity=1)
    in_row, on_page = card_facts(event)
    assert in_row == on_page and in_row[-1] == "Harbour Hall"
    page = EventPage.objects.get(pk=event.pk)
    page.slug, page.time_zone, page.currency = "new-address", "Asia/Tokyo", "JPY"
    page.save_revision().publish()
    in_row, on_page = card_facts(event)
    assert in_row == on_page and in_row[:3] == ("new-address", "Asia/Tokyo", "JPY")
    venue = page.venue
    venue.name = "Dock Hall"
    venue.save()
    in_row, on_page = card_facts(event)
    assert in_row == on_page and in_row[-1] == "Dock Hall"
    assert register(client, EventPage.objects.get(pk=event.pk)).status_code == 302  # the only seat
    in_row, on_page = card_facts(event)
    assert in_row == on_page and in_row[3] is True
    assert "new-address" in client.get("/api/events/").json()["results"][0]["url"]
