"""An event page's sessions and ticket types (EventPage.SHOWN_WITH): routed to, they come in the
page's own query as JSON (events/children.py), turned back into the instances the ORM gives, field by
field and of the same types, in the editor's order; a visit asks for them in no query of their own."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import EventPage, EventSession, TicketType
from tests.factories import make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    """Each visit works the page out, as for an event of the long tail."""
    settings.EVENTS_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def event():
    start = timezone.now().replace(microsecond=123456) + dt.timedelta(days=9)
    event = make_event(
        "Children",
        sessions=[(start, start + dt.timedelta(hours=3)), (start + dt.timedelta(days=1), start + dt.timedelta(days=1, hours=2))],
        tickets=[("Standard", "12.50"), ("Student", "0"), ("Member", "7.05")],
    )  # fmt: skip
    standard, student, member = event.ticket_types.order_by("pk")
    TicketType.objects.filter(pk=standard.pk).update(
        description="Café — “quoted”, a \\ and a \" too", capacity=40, sales_start=start - dt.timedelta(days=3),
        group_size=5, group_price=Decimal("10.10"), tax_rate=Decimal("7.70"), for_ce_credit=False, sort_order=1,
    )  # fmt: skip
    TicketType.objects.filter(pk=student.pk).update(sort_order=2)
    TicketType.objects.filter(pk=member.pk).update(code_only=True, sort_order=-1)  # first, though made last
    first, second = event.sessions.order_by("pk")
    EventSession.objects.filter(pk=first.pk).update(sort_order=9, title="Day 1")  # now after the second
    EventSession.objects.filter(pk=second.pk).update(sort_order=0)
    return event


def routed(event):
    """The page as routing finds it (EventIndexPage.child), and the SQL of finding it (its venue and
    organizer already kept, as after the first visit to any of their events)."""
    event.get_parent().specific.child(EventPage, event.slug)
    with CaptureQueriesContext(connection) as captured:
        page = event.get_parent().specific.child(EventPage, event.slug)
    return page, [query["sql"] for query in captured]


def as_stored(child):
    """Each field's name, type and value as text (12.5 and 12.50 differ, as a naive and an aware time do)."""
    values = [(field.attname, field.value_from_object(child)) for field in child._meta.concrete_fields]
    return [(name, type(value), str(value)) for name, value in values]


@pytest.mark.parametrize("relation", EventPage.SHOWN_WITH)
def test_the_children_equal_the_orm_s_field_by_field_in_the_editor_s_order(event, relation):
    page, sql = routed(event)
    assert len(sql) == 1
    with CaptureQueriesContext(connection) as captured:
        kept = list(getattr(page, relation).all())
    assert captured.captured_queries == []
    fresh = list(getattr(EventPage.objects.get(pk=event.pk), relation).all())
    assert [as_stored(child) for child in kept] == [as_stored(child) for child in fresh]
    assert len(kept) >= 2 and all(child.page is page for child in kept)


def test_the_order_is_the_editor_s_and_the_values_exact(event):
    page, _sql = routed(event)
    assert [ticket.name for ticket in page.ticket_types.all()] == ["Member", "Standard", "Student"]
    assert [str(ticket.price) for ticket in page.ticket_types.all()] == ["7.05", "12.50", "0.00"]
    assert [session.title for session in page.sessions.all()] == ["", "Day 1"]
    assert all(timezone.is_aware(session.start) for session in page.sessions.all())


def test_an_event_without_ticket_types_has_none(event):
    TicketType.objects.filter(page=event).delete()
    page, _sql = routed(event)
    assert list(page.ticket_types.all()) == []
    assert len(page.sessions.all()) == 2


def test_a_visit_asks_for_them_only_in_the_page_s_query_and_shows_them(client, event):
    client.get(event.url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(event.url)
    html = response.content.decode()
    children = [q["sql"] for q in captured if '"events_tickettype"' in q["sql"] or '"events_eventsession"' in q["sql"]]
    assert len(children) == 1 and '"wagtailcore_page"' in children[0]
    assert re.search(r"Standard: [^<]*12\.50", html) and "Member" not in html  # (sold only with a code)
    assert "Day 1" in html


def test_an_edited_price_shows_at_the_next_visit(client, event):
    client.get(event.url)
    page = EventPage.objects.get(pk=event.pk)
    tickets = list(page.ticket_types.all())
    next(ticket for ticket in tickets if ticket.name == "Standard").price = Decimal("15.00")
    page.ticket_types = tickets
    page.save_revision().publish()
    assert re.search(r"Standard: [^<]*15\.00", client.get(event.url).content.decode())


def test_the_venue_and_organizer_are_kept_by_id_and_an_edit_shows_at_once(client):
    from tests.factories import OrganizerFactory, VenueFactory

    venue, organizer = VenueFactory(name="Harbour Hall"), OrganizerFactory(name="Grief Institute")
    first = make_event("First", slug="first", venue=venue, organizer=organizer)
    second = make_event("Second", slug="second", venue=venue, organizer=organizer)
    listing = first.get_parent().specific
    page, sql = routed(first)
    assert (page.venue.name, page.organizer.name) == ("Harbour Hall", "Grief Institute")
    with CaptureQueriesContext(connection) as captured:
        other = listing.child(EventPage, second.slug)
        assert (other.venue.name, other.organizer.name) == ("Harbour Hall", "Grief Institute")
    assert len(captured) == 1  # the page's own query: its venue and organizer were kept
    assert other.venue is not page.venue  # each its own copy: nothing one request sets reaches another
    venue.name, organizer.name = "Dock Hall", "Loss Academy"
    venue.save()
    organizer.save()
    response = client.get(second.url)
    assert "Dock Hall" in response.content.decode() and "Loss Academy" in response.content.decode()


def test_the_routed_page_equals_the_orm_s_field_by_field(event):
    body = [{"type": "heading", "value": "Día 1"}, {"type": "paragraph", "value": "<p>“Alliance”</p>"}]
    EventPage.objects.filter(pk=event.pk).update(body=body, ce_hours=Decimal("6.5"))
    page, _sql = routed(event)
    stored = EventPage.objects.get(pk=event.pk)
    assert type(page) is EventPage
    assert as_stored(page) == as_stored(stored)
    assert [(block.block_type, str(block.value)) for block in page.body] == [
        (block.block_type, str(block.value)) for block in stored.body
    ]
    assert page.body[0].value == "Día 1"


def test_the_page_query_is_written_once_a_process_and_only_the_slug_changes(monkeypatch):
    """Compiling the routing query anew at each visit cost as much as the query itself."""
    from django.db.models.sql.compiler import SQLCompiler

    first, second = make_event("First", slug="first"), make_event("Second", slug="second")
    listing = first.get_parent().specific
    assert listing.child(EventPage, first.slug).pk == first.pk
    compiled, as_sql = [], SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(self.query.model) or as_sql(self, *a, **k)
    )
    with CaptureQueriesContext(connection) as captured:
        assert listing.child(EventPage, second.slug).pk == second.pk
        assert listing.child(EventPage, "no-such-event") is None
    assert EventPage not in compiled
    first_sql, last_sql = captured[0]["sql"], captured[-1]["sql"]
    assert first_sql.replace("'second'", "'no-such-event'") == last_sql  # one SQL, the slug a parameter


def test_a_moved_listing_still_finds_its_events(client):
    from events.models import EventIndexPage

    event = make_event("Travelling", slug="travelling")
    listing = EventIndexPage.objects.get()
    assert client.get("/events/travelling/").status_code == 200
    parent = listing.get_parent().add_child(instance=EventIndexPage(title="Archive", slug="archive"))
    EventIndexPage.objects.get(pk=listing.pk).move(parent, pos="last-child")
    assert client.get("/archive/events/travelling/").status_code == 200
    assert client.get("/archive/events/travelling/").context["page"].pk == event.pk
