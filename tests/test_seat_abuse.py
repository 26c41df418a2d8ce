"""What it costs to block an event's seats (the rules: services/checkout.py for unpaid holds,
services/waitlist.py for the waitlist). Unpaid holds are bounded per buyer address and per client
address; the waitlist takes no seat for an address that never confirmed."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from registrations.models import Registration, WaitlistEntry
from registrations.services import cancellation, fulfilment, waitlist
from registrations.services.capacity import seats_left
from tests.factories import make_event, make_registration
from tests.registration_helpers import attendee_data

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def post_order(client, event, quantity, n, **attendee):
    data = {"ticket_type": event.ticket_types.get().pk, "quantity": quantity, **attendee_data(quantity)}
    data["attendee-0-email"] = attendee.get("email", f"buyer{n}@example.com")
    return client.post(f"/events/{event.slug}/register/", data)


def held():
    return Registration.objects.filter(status=Registration.Status.HELD).count()


def test_n_requests_from_one_client_hold_at_most_ten_seats_for_thirty_minutes(stripe_emulator):
    """The cost of an attack: N = 25 posts from one client, each for 10 seats under a new address,
    hold M = 10 seats (REGISTRATIONS_MAX_HELD_SEATS_PER_CLIENT) for T = 30 minutes
    (REGISTRATIONS_HOLD_MINUTES); then the seats are everyone's again."""
    event = make_event("Paid forum", tickets=[("Standard", "50.00")], capacity=100)
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    answers = [post_order(attacker, event, 10, n) for n in range(25)]
    assert [a.status_code for a in answers].count(303) == 1  # the first went on to pay
    refused = answers[1].content.decode()
    assert "At most 10 seats of this event can wait for payment at once, and 10 already do." in refused
    assert held() == 10 and seats_left(event, event.ticket_types.get()) == 90
    # Someone else still registers.
    assert post_order(Client(REMOTE_ADDR="198.51.100.2"), event, 2, 99).status_code == 303
    # After the hold's 30 minutes the sweeper gives the attacker's seats back.
    fulfilment.sweep_overdue_holds(now=timezone.now() + dt.timedelta(minutes=31))
    assert held() == 0 and seats_left(event, event.ticket_types.get()) == 100


def test_one_buyer_address_holds_at_most_ten_seats_from_any_client(stripe_emulator):
    event = make_event("Paid forum", tickets=[("Standard", "50.00")], capacity=100)
    assert post_order(Client(REMOTE_ADDR="203.0.113.1"), event, 6, 0, email="same@example.com").status_code == 303
    refused = post_order(Client(REMOTE_ADDR="203.0.113.2"), event, 6, 1, email="SAME@example.com")
    assert refused.status_code == 200 and "can wait for payment at once, and 6 already do" in refused.content.decode()
    assert post_order(Client(REMOTE_ADDR="203.0.113.3"), event, 4, 2, email="same@example.com").status_code == 303
    assert held() == 10


def test_made_up_waitlist_addresses_block_no_seat(mailoutbox):
    """N = 30 sign-ups under addresses nobody confirms, then a seat frees up: M = 0 seats are taken
    by them (only confirmed entries are offered one), and they are dropped after 48 hours."""
    event = make_event("Full forum", tickets=[("Free", "0")], capacity=1)
    seat = make_registration(event, price="0")
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    ticket = event.ticket_types.get()
    for n in range(30):
        attacker.post(
            f"/events/{event.slug}/waitlist/", {"ticket_type": ticket.pk, "name": "X", "email": f"x{n}@example.com"}
        )
    assert WaitlistEntry.objects.filter(status=WaitlistEntry.Status.UNCONFIRMED).count() == 30
    cancellation.cancel_registrations([seat], reason="test")
    assert not WaitlistEntry.objects.filter(status=WaitlistEntry.Status.OFFERED).exists()
    assert seats_left(event, ticket) == 1
    page = Client().get(f"/events/{event.slug}/register/").content.decode()
    assert "Sold out" not in page
    waitlist.offer_free_seats(event.pk, now=timezone.now() + dt.timedelta(hours=49))
    assert not WaitlistEntry.objects.filter(status__in=WaitlistEntry.IN_LINE).exists()
