"""Sold out: people join the waitlist; a freed seat is offered to the next in line, held for them
for a limited time, and claimed through the emailed link."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from registrations.models import Registration, WaitlistEntry
from registrations.services import cancellation, waitlist
from registrations.services.capacity import seats_left
from tests.factories import make_event
from tests.registration_helpers import attendee_data, register

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


def test_joining_the_waitlist(client, full_event):
    response = join(client, full_event, "Wen", "wen@example.com")
    assert response.status_code == 200 and "You are on the waitlist" in response.content.decode()
    join(client, full_event, "Wen", "wen@example.com")  # twice: still one entry
    assert WaitlistEntry.objects.filter(email="wen@example.com").count() == 1


def test_bad_waitlist_input_is_refused(client, full_event):
    response = client.post(f"/events/{full_event.slug}/waitlist/", {"ticket_type": "x", "name": "", "email": "nope"})
    assert response.status_code == 200 and "Enter a valid email address." in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_a_freed_seat_is_offered_to_the_first_in_line_and_claimed(
    client, full_event, mailoutbox, django_capture_on_commit_callbacks
):
    join(client, full_event, "First", "first@example.com")
    join(client, full_event, "Second", "second@example.com")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancellation.cancel_registrations(Registration.objects.all(), reason="test")
    first = WaitlistEntry.objects.get(email="first@example.com")
    assert first.status == WaitlistEntry.Status.OFFERED
    assert WaitlistEntry.objects.get(email="second@example.com").status == WaitlistEntry.Status.WAITING
    offer = next(m for m in mailoutbox if "first@example.com" in m.to)
    link = re.search(r"/waitlist/claim/[\w-]+/", offer.body).group(0)
    # The seat is held for the offer: a stranger cannot take it.
    ticket = full_event.ticket_types.get()
    assert seats_left(full_event, ticket) == 0
    assert "sold out" in register(client, full_event).content.decode()
    page = client.get(link)
    assert page.status_code == 200 and "held for you from the waitlist" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, {"ticket_type": ticket.pk, "quantity": 1, **attendee_data(1)})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == WaitlistEntry.Status.CLAIMED
    assert Registration.objects.confirmed().count() == 1
    assert client.get(link).status_code == 410  # used up


def test_an_offer_lapses_and_passes_to_the_next(client, full_event, django_capture_on_commit_callbacks):
    join(client, full_event, "First", "first@example.com")
    join(client, full_event, "Second", "second@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        cancellation.cancel_registrations(Registration.objects.all(), reason="test")
    first = WaitlistEntry.objects.get(email="first@example.com")
    later = timezone.now() + dt.timedelta(hours=25)
    waitlist.offer_free_seats(full_event.pk, now=later)
    first.refresh_from_db()
    assert first.status == WaitlistEntry.Status.LAPSED
    assert WaitlistEntry.objects.get(email="second@example.com").status == WaitlistEntry.Status.OFFERED
    assert client.get(f"/waitlist/claim/{first.token}/").status_code == 410
    assert client.get("/waitlist/claim/not-a-real-token/").status_code == 404
