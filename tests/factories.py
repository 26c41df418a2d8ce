"""Test data: snippets through factory_boy, pages through the page tree as an editor would."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import factory
from django.utils import timezone

from events.models import (
    EntryTitleWord,
    EventIndexPage,
    EventPage,
    EventSession,
    ListingEntry,
    Organizer,
    SearchTerm,
    TicketType,
    TitleWord,
    Topic,
    Venue,
)
from home.models import ensure_home


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class OrganizerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organizer
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organizer {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    email = factory.LazyAttribute(lambda o: f"{o.slug}@example.com")


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    name = factory.Sequence(lambda n: f"Hall {n}")
    city = "London"
    country = "GB"
    address = "1 Example Street"
    time_zone = "Europe/London"


def event_index():
    home = ensure_home()
    index = EventIndexPage.objects.child_of(home).first()
    if index is None:
        index = home.add_child(instance=EventIndexPage(title="Events", slug="events"))
        index.save_revision().publish()
    return index


def local(zone, year, month, day, hour=9, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone))


def make_event(
    title="Workshop",
    *,
    starts_in=None,
    start=None,
    hours=3,
    sessions=None,
    tickets=(("Standard", "0"),),
    topics=(),
    venue=None,
    publish=True,
    parent=None,
    **fields,
):
    """An event page under the listing (or `parent`). `starts_in` is a timedelta from now; or give `start`,
    or `sessions` as (start, end) pairs."""
    fields.setdefault("time_zone", venue.time_zone if venue else "UTC")
    fields.setdefault("format", EventPage.Format.IN_PERSON if venue else EventPage.Format.ONLINE)
    fields.setdefault("organizer", OrganizerFactory())
    fields.setdefault("summary", f"About {title}.")
    if sessions is None:
        start = start or timezone.now() + (starts_in or dt.timedelta(days=7))
        sessions = [(start, start + dt.timedelta(hours=hours))]
    page = EventPage(title=title, venue=venue, **fields)
    page.sessions = [EventSession(start=s, end=e) for s, e in sessions]
    page.ticket_types = [TicketType(name=name, price=Decimal(price)) for name, price in tickets]
    page.topics = list(topics)
    (parent or event_index()).add_child(instance=page)
    if publish:
        page.save_revision().publish()
    else:
        page.live = False
        page.save_revision()
        page.save(update_fields=["live"])
    return page


def edited(event, **changes):
    """The live event as an editor would change it (not saved yet): fields, and `sessions` as
    {index: (start, end)}. Save a revision and publish it to make the change."""
    page = EventPage.objects.get(pk=event.pk)
    sessions = list(page.sessions.all())
    for index, (start, end) in changes.pop("sessions", {}).items():
        sessions[index].start, sessions[index].end = start, end
    page.sessions = sessions
    for name, value in changes.items():
        setattr(page, name, value)
    return page


def make_waitlist_entry(event, offered):
    """Wen on the waitlist for the event's first ticket: offered a seat until 1 June 2031 (1 p.m. in
    London), or signed up and not yet confirmed."""
    from registrations.models import WaitlistEntry

    return WaitlistEntry.objects.create(
        event=event,
        ticket_type=event.ticket_types.first(),
        name="Wen Waiting",
        email="wen@example.com",
        status=WaitlistEntry.Status.OFFERED if offered else WaitlistEntry.Status.UNCONFIRMED,
        offer_expires_at=dt.datetime(2031, 6, 1, 12, tzinfo=dt.UTC) if offered else None,
    )


def delete_all_events():
    """Remove what a module-scoped fixture committed, so other tests start clean: the events, and
    what they taught the site (the words that misspelt searches are corrected to and that
    autocomplete finds titles by), which no event deletion removes."""
    for index in EventIndexPage.objects.all():
        index.delete()
    for model in (Organizer, Topic, Venue, SearchTerm, TitleWord):
        model.objects.all().delete()
    left = {model.__name__ for model in (EventPage, ListingEntry, EntryTitleWord) if model.objects.exists()}
    assert not left, f"rows left behind for the next tests: {left}"


def make_registration(
    event, name="Ana Pérez", email="ana@example.com", status="confirmed", language="en", price="120.00", buyer=None
):
    """A seat in a paid order, made directly (for tests of what happens after registering);
    `buyer` is (name, email) when someone else bought it."""
    from registrations.models import Order, Registration

    order = Order.objects.create(
        event=event,
        buyer_name=buyer[0] if buyer else name,
        buyer_email=buyer[1] if buyer else email,
        total=Decimal(price),
        currency=event.currency,
        status=Order.Status.PAID,
        language=language,
    )
    return Registration.objects.create(
        order=order,
        event=event,
        ticket_type=event.ticket_types.first(),
        name=name,
        email=email,
        price=Decimal(price),
        status=status,
    )
