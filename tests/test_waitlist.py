"""Sold out: people join the waitlist for what is sold out and confirm their address; a freed seat
is offered to the next confirmed person in line, held for them for a limited time, and claimed
through the emailed link."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from registrations.models import Order, Registration, WaitlistEntry
from registrations.services import cancellation, waitlist
from registrations.services.capacity import seats_left
from tests.factories import make_event
from tests.registration_helpers import attendee_data, checkout_session_id, register

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def full_event(client, django_capture_on_commit_callbacks):
    event = make_event("Full forum", tickets=[("Free", "0")], capacity=1, start=timezone.now() + dt.timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert register(client, event).status_code == 302
    return event


def join(client, event, name, email):
    return client.post(
        f"/events/{event.slug}/waitlist/", {"ticket_type": event.ticket_types.get().pk, "name": name, "email": email}
    )


def link(mailoutbox, email, kind):
    message = next(m for m in reversed(mailoutbox) if email in m.to and f"/waitlist/{kind}/" in m.body)
    return re.search(rf"/waitlist/{kind}/[\w-]+/", message.body).group(0)


def join_and_confirm(client, event, name, email, mailoutbox, capture):
    with capture(execute=True):
        join(client, event, name, email)
    with capture(execute=True):
        assert client.post(link(mailoutbox, email, "confirm")).status_code == 200
    return WaitlistEntry.objects.get(email=email)


def free_the_seat(capture):
    with capture(execute=True):
        cancellation.cancel_registrations(Registration.objects.confirmed(), reason="test")


def test_joining_a_sold_out_ticket_asks_to_confirm_the_address(
    client, full_event, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = join(client, full_event, "Wen", "wen@example.com")
        join(client, full_event, "Wen", "WEN@example.com")  # twice: still one entry, one email
    html = response.content.decode()
    assert response.status_code == 200 and "Check your email" in html and "wen@example.com" in html
    entry = WaitlistEntry.objects.get()
    assert entry.status == WaitlistEntry.Status.UNCONFIRMED
    assert len(mailoutbox) == 1 and "Confirm your place" in mailoutbox[0].subject


def test_joining_the_waitlist_is_refused_while_seats_are_free(client):
    event = make_event("Roomy", tickets=[("Free", "0")], capacity=5)
    response = join(client, event, "Wen", "wen@example.com")
    assert "not sold out: you can register now" in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_bad_waitlist_input_is_refused(client, full_event):
    response = client.post(f"/events/{full_event.slug}/waitlist/", {"ticket_type": "x", "name": "", "email": "nope"})
    assert response.status_code == 200 and "Enter a valid email address." in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_opening_the_confirmation_link_confirms_nothing_its_button_does(
    client, full_event, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        join(client, full_event, "Wen", "wen@example.com")
    url = link(mailoutbox, "wen@example.com", "confirm")
    page = client.get(url)  # what a mail scanner does
    assert page.status_code == 200 and "Confirm my place" in page.content.decode()
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.UNCONFIRMED
    response = client.post(url)
    assert "You are on the waitlist" in response.content.decode()
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.WAITING


def test_only_confirmed_entries_are_offered_a_seat(client, full_event, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        join(client, full_event, "Fake", "fake@example.com")  # first in line, never confirms
    second = join_and_confirm(
        client, full_event, "Real", "real@example.com", mailoutbox, django_capture_on_commit_callbacks
    )
    free_the_seat(django_capture_on_commit_callbacks)
    second.refresh_from_db()
    assert second.status == WaitlistEntry.Status.OFFERED
    assert WaitlistEntry.objects.get(email="fake@example.com").status == WaitlistEntry.Status.UNCONFIRMED


def test_unconfirmed_sign_ups_expire(client, full_event, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        join(client, full_event, "Late", "late@example.com")
    url = link(mailoutbox, "late@example.com", "confirm")
    waitlist.offer_free_seats(full_event.pk, now=timezone.now() + dt.timedelta(hours=49))
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.LEFT
    assert "has expired" in client.post(url).content.decode()
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.LEFT


def test_a_waitlist_offer_can_be_claimed(client, full_event, mailoutbox, django_capture_on_commit_callbacks):
    first = join_and_confirm(
        client, full_event, "First", "first@example.com", mailoutbox, django_capture_on_commit_callbacks
    )
    join_and_confirm(client, full_event, "Second", "second@example.com", mailoutbox, django_capture_on_commit_callbacks)
    free_the_seat(django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert first.status == WaitlistEntry.Status.OFFERED
    assert WaitlistEntry.objects.get(email="second@example.com").status == WaitlistEntry.Status.WAITING
    url = link(mailoutbox, "first@example.com", "claim")
    # The seat is held for the offer: a stranger cannot take it.
    ticket = full_event.ticket_types.get()
    assert seats_left(full_event, ticket) == 0
    assert "Sold out" in client.get(f"/events/{full_event.slug}/register/").content.decode()
    # Its claimant sees it free, with their name and address filled in.
    page = client.get(url).content.decode()
    assert "held for you from the waitlist" in page and "sold out" not in page.lower()
    radio = re.search(r'<input type="radio" name="ticket_type"[^>]*>', page).group(0)
    assert "disabled" not in radio and "checked" in radio
    assert 'value="First"' in page and 'value="first@example.com"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"ticket_type": ticket.pk, "quantity": 1, **attendee_data(1)})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == WaitlistEntry.Status.CLAIMED
    assert Registration.objects.confirmed().count() == 1
    assert client.get(url).status_code == 410  # used up


@pytest.mark.django_db(transaction=True)
def test_a_paid_waitlist_offer_can_be_claimed_through_stripe(client, stripe_emulator, mailoutbox):
    event = make_event("Paid forum", tickets=[("Standard", "80.00")], capacity=1)
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    join(client, event, "First", "first@example.com")
    client.post(link(mailoutbox, "first@example.com", "confirm"))
    cancellation.cancel_registrations(Registration.objects.confirmed(), reason="test")
    assert stripe_emulator.drain(timeout=10)
    entry = WaitlistEntry.objects.get()
    assert entry.status == WaitlistEntry.Status.OFFERED
    url = link(mailoutbox, "first@example.com", "claim")
    ticket = event.ticket_types.get()
    response = client.post(url, {"ticket_type": ticket.pk, "quantity": 1, **attendee_data(1)})
    claimed_session = checkout_session_id(response)
    stripe_emulator.pay(claimed_session)
    assert stripe_emulator.drain(timeout=10)
    order = Order.objects.get(stripe_checkout_session_id=claimed_session)
    assert order.status == Order.Status.PAID and order.total == 80
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.CLAIMED
    assert Registration.objects.confirmed().count() == 1


def test_an_offer_lapses_and_passes_to_the_next(client, full_event, mailoutbox, django_capture_on_commit_callbacks):
    first = join_and_confirm(
        client, full_event, "First", "first@example.com", mailoutbox, django_capture_on_commit_callbacks
    )
    join_and_confirm(client, full_event, "Second", "second@example.com", mailoutbox, django_capture_on_commit_callbacks)
    free_the_seat(django_capture_on_commit_callbacks)
    later = timezone.now() + dt.timedelta(hours=25)
    waitlist.offer_free_seats(full_event.pk, now=later)
    first.refresh_from_db()
    assert first.status == WaitlistEntry.Status.LAPSED
    assert WaitlistEntry.objects.get(email="second@example.com").status == WaitlistEntry.Status.OFFERED
    assert client.get(f"/waitlist/claim/{first.token}/").status_code == 410
    assert client.get("/waitlist/claim/not-a-real-token/").status_code == 404


@pytest.mark.parametrize(
    "starts_in, closes_in, held_for",
    [
        (dt.timedelta(days=30), None, dt.timedelta(hours=24)),  # far off: the longest window
        (dt.timedelta(hours=20), None, dt.timedelta(hours=5)),  # a quarter of the time left
        (dt.timedelta(hours=2), None, dt.timedelta(hours=1)),  # never below the minimum...
        (dt.timedelta(minutes=40), None, dt.timedelta(minutes=40)),  # ...nor past the close
        (dt.timedelta(days=30), dt.timedelta(hours=8), dt.timedelta(hours=2)),  # the close, not the start
    ],
)
def test_offers_shrink_as_the_event_nears_and_never_outlast_registration(starts_in, closes_in, held_for):
    now = timezone.now()
    event = make_event(
        "Soon", start=now + starts_in, registration_closes=now + closes_in if closes_in else None, publish=False
    )
    assert waitlist.offer_deadline(event, now) == now + held_for
    assert waitlist.offer_deadline(event, now + starts_in) is None
