"""Attendees cancel within the event's policy (paid seats refunded through Stripe); organizers
cancel orders and whole events."""

import datetime as dt

import pytest
from django.utils import timezone

from events.models import EventPage
from registrations.models import Order, Refund, Registration
from registrations.services import cancellation
from tests.factories import make_event
from tests.registration_helpers import checkout_session_id, latest_order, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def paid_order(client, stripe_emulator, event, quantity=1):
    session_id = checkout_session_id(register(client, event, quantity=quantity))
    stripe_emulator.pay(session_id)
    client.get(f"/checkout/success/?session_id={session_id}")
    order = latest_order()
    assert order.status == Order.Status.PAID
    return order


def test_attendee_cancels_within_policy_and_is_refunded(client, stripe_emulator, mailoutbox):
    event = make_event(
        "Paid",
        tickets=[("Standard", "80")],
        currency="GBP",
        start=timezone.now() + dt.timedelta(days=30),
        cancellation_deadline_days=7,
    )
    order = paid_order(client, stripe_emulator, event, quantity=2)
    first, second = order.registrations.all()
    ticket_page = client.get(f"/tickets/{first.ticket_secret}/").content.decode()
    assert "Cancel my registration" in ticket_page
    response = client.post(f"/tickets/{first.ticket_secret}/cancel/", {"confirm": "yes"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == Registration.Status.CANCELLED and first.invite_sequence == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID  # the other seat stays
    refund = order.refunds.get()
    assert (refund.amount, refund.status) == (80, Refund.Status.SUCCEEDED)
    assert [r["amount"] for r in stripe_emulator.refunds.values()] == [8000]
    assert second.status == Registration.Status.CONFIRMED
    # Cancelling again changes nothing.
    client.post(f"/tickets/{first.ticket_secret}/cancel/", {"confirm": "yes"})
    assert order.refunds.count() == 1


def test_attendee_cannot_cancel_after_the_deadline(client, stripe_emulator):
    event = make_event(
        "Soon", tickets=[("Standard", "80")], start=timezone.now() + dt.timedelta(days=3), cancellation_deadline_days=7
    )
    registration = paid_order(client, stripe_emulator, event).registrations.get()
    assert "Cancel my registration" not in client.get(f"/tickets/{registration.ticket_secret}/").content.decode()
    client.post(f"/tickets/{registration.ticket_secret}/cancel/", {"confirm": "yes"})
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED and not Refund.objects.exists()


def test_cancelling_the_event_refunds_everyone(client, stripe_emulator, mailoutbox):
    event = make_event("Doomed", tickets=[("Standard", "25")], currency="USD")
    orders = [paid_order(client, stripe_emulator, event) for _ in range(2)]
    assert cancellation.cancel_event(EventPage.objects.get(pk=event.pk)) == 2
    assert EventPage.objects.get(pk=event.pk).status == EventPage.Status.CANCELLED
    for order in orders:
        order.refresh_from_db()
        assert order.status == Order.Status.CANCELLED
        assert order.refunds.get().status == Refund.Status.SUCCEEDED
    assert not Registration.objects.confirmed().exists()
    assert sorted(r["amount"] for r in stripe_emulator.refunds.values()) == [2500, 2500]


def test_a_refund_made_in_the_stripe_dashboard_is_recorded(client, stripe_emulator):
    event = make_event("Dashboard", tickets=[("Standard", "1500")], currency="JPY")
    order = paid_order(client, stripe_emulator, event)
    assert stripe_emulator.sessions[order.stripe_checkout_session_id]["amount_total"] == 1500  # yen, not cents
    stripe_emulator.dashboard_refund(order.stripe_payment_intent_id, amount=500)
    assert stripe_emulator.drain(timeout=10)
    refund = order.refunds.get()
    assert (refund.amount, refund.status, refund.reason) == (
        500,
        Refund.Status.SUCCEEDED,
        "made in the Stripe dashboard",
    )
    assert order.log_entries.filter(action="refund_recorded").exists()


# The attendee's own cancellation: asked first, and told what happens to their money


def test_cancelling_a_ticket_asks_first_and_a_post_without_the_answer_cancels_nothing(client):
    event = make_event("Free talk", start=timezone.now() + dt.timedelta(days=30), cancellation_deadline_days=1)
    response = register(client, event)
    seat = latest_order().registrations.get()
    cancel_url = f"/tickets/{seat.ticket_secret}/cancel/"
    assert f'href="{cancel_url}"' in client.get(f"/tickets/{seat.ticket_secret}/").content.decode()
    question = client.get(cancel_url).content.decode()
    assert "Cancel your registration?" in question and "Free talk" in question
    assert "Yes, cancel" in question and "Keep my ticket" in question
    assert response.status_code == 302
    assert client.post(cancel_url).status_code == 200  # no answer: the question again
    seat.refresh_from_db()
    assert seat.status == Registration.Status.CONFIRMED


def test_a_cancelled_free_ticket_mentions_no_refund(client):
    event = make_event("Free talk", start=timezone.now() + dt.timedelta(days=30), cancellation_deadline_days=1)
    register(client, event)
    seat = latest_order().registrations.get()
    assert "refund" not in client.get(f"/tickets/{seat.ticket_secret}/cancel/").content.decode().lower()
    page = client.post(f"/tickets/{seat.ticket_secret}/cancel/", {"confirm": "yes"}, follow=True).content.decode()
    seat.refresh_from_db()
    assert seat.status == Registration.Status.CANCELLED
    assert "Your registration is cancelled." in page
    assert "refund" not in page.lower() and "card" not in page.lower()


def test_a_cancelled_paid_ticket_says_how_much_goes_back_to_the_card(client, stripe_emulator):
    event = make_event(
        "Paid", tickets=[("Standard", "80")], currency="GBP", start=timezone.now() + dt.timedelta(days=30)
    )
    seat = paid_order(client, stripe_emulator, event).registrations.get()
    question = client.get(f"/tickets/{seat.ticket_secret}/cancel/").content.decode()
    assert "£80.00 will be refunded to the card you paid with." in question
    page = client.post(f"/tickets/{seat.ticket_secret}/cancel/", {"confirm": "yes"}, follow=True).content.decode()
    assert "£80.00 is being refunded to the card you paid with" in page
    assert [r["amount"] for r in stripe_emulator.refunds.values()] == [8000]
