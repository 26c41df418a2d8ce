"""Never oversold: many buyers at once for a few seats, each on its own database connection."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from registrations.models import Registration, WaitlistEntry
from registrations.services.capacity import SoldOut, availability, lock_event, seats_left
from tests.concurrency import at_once
from tests.factories import make_event, make_registration
from tests.registration_helpers import attendee_data

BUYERS = 40


def rush(event, ticket, buyers=BUYERS):
    """`buyers` threads submit the registration form at the same moment."""

    def buy(i):
        data = {"ticket_type": ticket.pk, "quantity": 1, **attendee_data(1)}
        data["attendee-0-email"] = f"buyer{i}@example.com"
        response = Client().post(f"/events/{event.slug}/register/", data)
        html = response.content.decode()
        return "won" if response.status_code == 302 else "sold out" if "sold out" in html else f"{response.status_code}"

    return at_once([lambda i=i: buy(i) for i in range(buyers)])


def refused_cleanly(results, winners):
    """Exactly `winners` won; every other buyer was told "sold out", or, when the machine is so
    loaded that the wait for the event's lock passed DB_LOCK_TIMEOUT_MS, "busy, try again" (503
    with Retry-After, events/middleware.py): never a 500, never another seat."""
    return results.count("won") == winners and set(results) <= {"won", "sold out", "503"}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_forty_buyers_for_five_seats_exactly_five_win():
    event = make_event("Rush", tickets=[("Free", "0")], capacity=5)
    results = rush(event, event.ticket_types.get())
    assert refused_cleanly(results, 5), results
    assert Registration.objects.taking_seats().filter(event=event).count() == 5


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_last_seats_of_a_ticket_type_with_its_own_capacity():
    event = make_event("Rush by type", tickets=[("Early bird", "0"), ("Regular", "0")], capacity=100)
    early = event.ticket_types.get(name="Early bird")
    early.capacity = 3
    early.save()
    results = rush(event, early)
    assert refused_cleanly(results, 3), results
    assert Registration.objects.filter(ticket_type=early).count() == 3
    assert availability(event)[early.pk] == 0
    assert availability(event)[event.ticket_types.get(name="Regular").pk] == 97


@pytest.mark.django_db
def test_seats_left_counts_held_and_confirmed_but_not_released(client):
    event = make_event("Counting", tickets=[("Free", "0")], capacity=4)
    ticket = event.ticket_types.get()
    assert seats_left(event, ticket) == 4
    client.post(f"/events/{event.slug}/register/", {"ticket_type": ticket.pk, "quantity": 3, **attendee_data(3)})
    assert seats_left(event, ticket) == 1
    response = client.post(
        f"/events/{event.slug}/register/", {"ticket_type": ticket.pk, "quantity": 2, **attendee_data(2)}
    )
    assert "Only 1 seat is left" in response.content.decode()
    Registration.objects.filter(pk=Registration.objects.first().pk).update(status=Registration.Status.RELEASED)
    assert seats_left(event, ticket) == 2
    unlimited = make_event("Unlimited", tickets=[("Free", "0")])
    assert seats_left(unlimited, unlimited.ticket_types.get()) is None


@pytest.mark.django_db
def test_availability_counts_seats_taken_and_live_offers_per_ticket_type():
    event = make_event("Counting", tickets=[("Early bird", "0"), ("Regular", "0")], capacity=10)
    early, regular = event.ticket_types.get(name="Early bird"), event.ticket_types.get(name="Regular")
    early.capacity = 4
    early.save()
    for status, ticket in [("confirmed", early), ("held", early), ("released", early), ("confirmed", regular)]:
        registration = make_registration(event, status=status)
        Registration.objects.filter(pk=registration.pk).update(ticket_type=ticket)
    now = timezone.now()
    for expires, ticket in [
        (now + dt.timedelta(hours=1), early),
        (now - dt.timedelta(hours=1), early),
        (now + dt.timedelta(hours=1), regular),
        (now + dt.timedelta(hours=1), regular),
    ]:
        WaitlistEntry.objects.create(
            event=event,
            ticket_type=ticket,
            name="W",
            email="w@example.com",
            status=WaitlistEntry.Status.OFFERED,
            offer_expires_at=expires,
        )
    # early: 2 seats + 1 live offer of its 4; the event: 3 seats + 3 live offers of its 10
    assert availability(event) == {early.pk: 1, regular.pk: 4}
    assert availability(event) == {ticket.pk: seats_left(event, ticket) for ticket in (early, regular)}


def test_sold_out_says_how_many_seats_are_left():
    error = SoldOut(2)
    assert (error.seats_left, str(error)) == (2, "2 seats left")


def offer(event, ticket, expires_in=dt.timedelta(hours=1)):
    return WaitlistEntry.objects.create(
        event=event,
        ticket_type=ticket,
        name="W",
        email="w@example.com",
        status=WaitlistEntry.Status.OFFERED,
        offer_expires_at=timezone.now() + expires_in,
    )


@pytest.mark.django_db
def test_seats_left_counts_only_this_events_seats_and_live_offers():
    event = make_event("Here", tickets=[("Free", "0")], capacity=3)
    elsewhere = make_event("Elsewhere", tickets=[("Free", "0")], capacity=3)
    ticket, other_ticket = event.ticket_types.get(), elsewhere.ticket_types.get()
    make_registration(elsewhere, status="confirmed")
    offer(elsewhere, other_ticket)
    offer(event, ticket, expires_in=-dt.timedelta(minutes=1))  # lapsed: holds nothing
    assert seats_left(event, ticket) == 3
    live = offer(event, ticket)
    make_registration(event, status="held")
    assert seats_left(event, ticket) == 1
    assert seats_left(event, ticket, exclude_offer=live) == 2  # the offer being claimed is not counted against itself
    # What the register page shows the person the offer is for: that one seat too, and no more.
    assert availability(event, exclude_offer=live) == {ticket.pk: 2} and availability(event) == {ticket.pk: 1}
    assert seats_left(elsewhere, other_ticket) == 1


@pytest.mark.django_db
def test_seats_left_takes_the_tighter_of_the_event_and_ticket_type_limits():
    event = make_event("Limits", tickets=[("Early bird", "0"), ("Regular", "0")], capacity=5)
    early, regular = event.ticket_types.get(name="Early bird"), event.ticket_types.get(name="Regular")
    early.capacity = 2
    early.save()
    assert (seats_left(event, early), seats_left(event, regular)) == (2, 5)
    for _ in range(4):
        Registration.objects.filter(pk=make_registration(event).pk).update(ticket_type=regular)
    assert (seats_left(event, early), seats_left(event, regular)) == (1, 1)
    event.capacity = None
    event.save()
    assert (seats_left(event, early), seats_left(event, regular)) == (2, None)
    Registration.objects.filter(pk=make_registration(event).pk).update(ticket_type=early)
    Registration.objects.filter(pk=make_registration(event).pk).update(ticket_type=early)
    Registration.objects.filter(pk=make_registration(event).pk).update(ticket_type=early)
    assert seats_left(event, early) == 0  # oversold by hand: never negative


@pytest.mark.django_db(transaction=True)
def test_the_event_is_only_locked_inside_a_transaction():
    """Outside a transaction the lock would be released at once: a programming error, said plainly."""
    event = make_event("Locked", tickets=[("Free", "0")])
    with pytest.raises(AssertionError, match="^lock_event needs a transaction$"):
        lock_event(event.pk)


@pytest.mark.django_db
def test_availability_is_zero_when_full_never_negative_and_none_without_a_limit():
    event = make_event("Full", tickets=[("Early bird", "0"), ("Regular", "0")], capacity=2)
    early, regular = event.ticket_types.get(name="Early bird"), event.ticket_types.get(name="Regular")
    early.capacity = 1
    early.save()
    for ticket in (early, early, regular):  # one more than either limit, made by hand
        Registration.objects.filter(pk=make_registration(event).pk).update(ticket_type=ticket)
    assert availability(event) == {early.pk: 0, regular.pk: 0}
    assert availability(event) == {ticket.pk: seats_left(event, ticket) for ticket in (early, regular)}
    unlimited = make_event("Open", tickets=[("Free", "0")])
    make_registration(unlimited)
    assert availability(unlimited) == {unlimited.ticket_types.get().pk: None}


@pytest.mark.django_db
def test_a_ticket_types_own_limit_is_kept_without_an_event_limit():
    event = make_event("Typed", tickets=[("Early bird", "0")])  # no event capacity
    early = event.ticket_types.get()
    early.capacity = 2
    early.save()
    claiming = offer(event, early)
    assert seats_left(event, early) == 1
    assert seats_left(event, early, exclude_offer=claiming) == 2  # the claimed offer's own seat
    for _ in range(3):
        make_registration(event)
    assert seats_left(event, early) == 0
    assert availability(event) == {early.pk: 0}
