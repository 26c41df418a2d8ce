"""A paid registration through Stripe Checkout (the emulator, over HTTP, with signed webhooks):
however the webhooks arrive, each payment ends as exactly one paid order and one email each."""

import datetime as dt
import time

import pytest
import requests
import stripe
from django.utils import timezone

from registrations import conf
from registrations.models import Order, Registration, StripeEvent
from registrations.services import fulfilment
from tests.factories import make_event
from tests.registration_helpers import checkout_session_id, latest_order, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def event():
    return make_event("Paid workshop", tickets=[("Standard", "120.00")], currency="USD", capacity=10)


def confirmations(mailoutbox):
    return [m for m in mailoutbox if "confirm" in m.subject.lower() or "registered" in m.subject.lower()]


def assert_paid_once(order, mailoutbox, seats=1):
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.registrations.filter(status=Registration.Status.CONFIRMED).count() == seats
    assert Order.objects.filter(status=Order.Status.PAID).count() == 1
    assert len(mailoutbox) == seats, [m.subject for m in mailoutbox]


def test_paying_holds_then_confirms_the_seats_when_the_webhook_arrives(client, stripe_emulator, event, mailoutbox):
    session_id = checkout_session_id(register(client, event, quantity=2))
    order = latest_order()
    assert order.status == Order.Status.PENDING and order.total == 240
    assert set(order.registrations.values_list("status", flat=True)) == {Registration.Status.HELD}
    assert stripe_emulator.sessions[session_id]["amount_total"] == 24000
    assert stripe_emulator.sessions[session_id]["metadata"] == {"order_id": str(order.pk)}

    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    assert_paid_once(order, mailoutbox, seats=2)
    # When it was paid, on the order and each seat, and the history says by which payment, on time.
    before_payment = order.created_at
    assert before_payment < order.paid_at <= timezone.now()
    assert set(order.registrations.values_list("confirmed_at", flat=True)) == {order.paid_at}
    paid = order.log_entries.get(action="paid").detail
    assert paid == {"payment_intent": order.stripe_payment_intent_id, "late": False} and paid["payment_intent"]
    # The buyer comes back after the webhook: nothing changes.
    response = client.get(f"/checkout/success/?session_id={session_id}")
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.token}/"
    assert_paid_once(order, mailoutbox, seats=2)
    page = client.get(response["Location"]).content.decode()
    assert "You're registered" in page


def test_buyer_returns_before_the_webhook(client, stripe_emulator, event, mailoutbox):
    stripe_emulator.set_webhook_mode("hold")
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id)
    client.get(f"/checkout/success/?session_id={session_id}")
    order = latest_order()
    assert_paid_once(order, mailoutbox)
    stripe_emulator.flush_webhooks()
    assert stripe_emulator.drain(timeout=10)
    assert_paid_once(order, mailoutbox)


def test_webhook_never_arrives_and_the_success_page_fulfils(client, stripe_emulator, event, mailoutbox):
    stripe_emulator.set_webhook_mode("drop")
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id)
    client.get(f"/checkout/success/?session_id={session_id}")
    assert_paid_once(latest_order(), mailoutbox)
    assert not StripeEvent.objects.exists()


def test_duplicate_webhooks_change_nothing_twice(client, stripe_emulator, event, mailoutbox):
    stripe_emulator.set_webhook_mode("duplicate", times=3)
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    completed = [d for d in stripe_emulator.deliveries() if d["type"] == "checkout.session.completed" and d["ok"]]
    assert len(completed) == 3
    assert_paid_once(latest_order(), mailoutbox)
    assert StripeEvent.objects.filter(type="checkout.session.completed").count() == 1


def test_expired_webhook_after_completed_keeps_the_seat(client, stripe_emulator, event, mailoutbox):
    stripe_emulator.set_webhook_mode("hold")
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id)
    session = dict(stripe_emulator.sessions[session_id], status="expired")
    answer = stripe_emulator.send_raw("checkout.session.expired", session)
    assert answer["status_code"] == 200
    order = latest_order()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING  # an expired event for a paid session releases nothing
    stripe_emulator.flush_webhooks(order="reverse")
    assert stripe_emulator.drain(timeout=10)
    assert_paid_once(order, mailoutbox)
    stripe_emulator.resend_event(
        next(d["event_id"] for d in stripe_emulator.deliveries() if d["type"] == "checkout.session.completed")
    )
    assert stripe_emulator.drain(timeout=10)
    assert_paid_once(order, mailoutbox)


def test_an_expired_session_releases_its_seats(client, stripe_emulator, event, mailoutbox):
    session_id = checkout_session_id(register(client, event, quantity=3))
    order = latest_order()
    stripe.StripeClient("sk_test_x", base_addresses={"api": stripe_emulator.base_url}).v1.checkout.sessions.expire(
        session_id
    )
    assert stripe_emulator.drain(timeout=10)
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    assert set(order.registrations.values_list("status", flat=True)) == {Registration.Status.RELEASED}
    assert order.log_entries.filter(action="released", detail__reason="checkout session expired").exists()
    assert mailoutbox == []


@pytest.mark.parametrize("change", [{"secret": "whsec_not_ours"}, {"timestamp": int(time.time()) - 6 * 60}])
def test_forged_or_stale_webhooks_get_400_and_change_nothing(client, stripe_emulator, event, change, mailoutbox):
    stripe_emulator.set_webhook_mode("drop")
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id)
    answer = stripe_emulator.send_raw("checkout.session.completed", stripe_emulator.sessions[session_id], **change)
    assert answer["status_code"] == 400
    assert latest_order().status == Order.Status.PENDING
    assert not StripeEvent.objects.exists() and mailoutbox == []


def test_webhook_without_signature_is_refused(client, stripe_emulator):
    response = client.post(
        "/stripe/webhook/",
        data=b'{"id": "evt_1", "type": "checkout.session.completed"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert client.get("/stripe/webhook/").status_code == 405


def test_webhook_answers_503_while_stripe_is_unreachable_and_the_retry_fulfils(
    client, stripe_emulator, event, mailoutbox
):
    session_id = checkout_session_id(register(client, event))
    # Down for every try the stripe library makes (production's retries), then back.
    tries = 1 + conf.get("STRIPE_MAX_RETRIES")
    stripe_emulator.add_fault(f"/v1/checkout/sessions/{session_id}", "error_500", method="GET", count=tries)
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    attempts = [d["status_code"] for d in stripe_emulator.deliveries() if d["type"] == "checkout.session.completed"]
    assert attempts == [503, 200]
    assert_paid_once(latest_order(), mailoutbox)


def test_a_failed_delayed_payment_releases_the_seats_and_tells_the_buyer(client, stripe_emulator, event, mailoutbox):
    session_id = checkout_session_id(register(client, event, quantity=2))
    answer = stripe_emulator.send_raw("checkout.session.async_payment_failed", stripe_emulator.sessions[session_id])
    assert answer["status_code"] == 200
    order = latest_order()
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    assert not Registration.objects.taking_seats().exists()
    assert len(mailoutbox) == 1 and order.buyer_email in mailoutbox[0].to
    assert order.log_entries.filter(action="released", detail__reason="payment failed").exists()


def test_cancelling_on_stripes_page_says_nothing_was_charged_and_keeps_what_was_typed(client, stripe_emulator, event):
    ticket = event.ticket_types.get()
    data = {
        "ticket_type": ticket.pk,
        "quantity": 2,
        "attendee-0-name": "Ana Pérez",
        "attendee-0-email": "ana@example.com",
        "attendee-1-name": "Bo Li",
        "attendee-1-email": "bo@example.com",
    }
    session_id = checkout_session_id(client.post(f"/events/{event.slug}/register/", data))
    cancel_url = stripe_emulator.sessions[session_id]["cancel_url"]
    response = client.get(cancel_url.removeprefix(cancel_url.split("/checkout/")[0]))
    assert response.status_code == 302 and response["Location"] == f"/events/{event.slug}/register/"
    order = latest_order()
    assert order.status == Order.Status.EXPIRED
    assert not Registration.objects.filter(status=Registration.Status.HELD).exists()
    html = client.get(response["Location"]).content.decode()
    assert "You cancelled the payment, so nothing was charged." in html
    assert "not completed in time" not in html
    assert f'value="{ticket.pk}" checked' in html and 'name="quantity" value="2"' in html
    for typed in ("Ana Pérez", "ana@example.com", "Bo Li", "bo@example.com"):
        assert f'value="{typed}"' in html
    # Once: a later visit starts blank.
    assert 'value="Bo Li"' not in client.get(response["Location"]).content.decode()


def test_a_delayed_payment_keeps_the_seats_held_until_the_money_arrives(client, stripe_emulator, event, mailoutbox):
    """A bank debit completes the Checkout Session unpaid: nothing is confirmed (not by the webhook,
    not by the success page, not by the sweeper) until Stripe says the money arrived."""
    session_id = checkout_session_id(register(client, event, quantity=2))
    order = latest_order()
    stripe_emulator.pay(session_id, method="delayed")
    assert stripe_emulator.sessions[session_id]["payment_status"] == "unpaid"
    assert stripe_emulator.drain(timeout=10)
    assert any(d["type"] == "checkout.session.completed" and d["ok"] for d in stripe_emulator.deliveries())
    assert client.get(f"/checkout/success/?session_id={session_id}").status_code == 302
    Order.objects.filter(pk=order.pk).update(hold_deadline=timezone.now() - dt.timedelta(minutes=1))
    assert fulfilment.sweep_overdue_holds() == {"released": 0, "fulfilled": 0}
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and order.paid_at is None
    assert set(order.registrations.values_list("status", flat=True)) == {Registration.Status.HELD}
    assert mailoutbox == []

    stripe_emulator.settle(session_id, succeeded=True)
    assert stripe_emulator.drain(timeout=10)
    assert_paid_once(order, mailoutbox, seats=2)


def test_a_delayed_payment_that_fails_releases_the_held_seats(client, stripe_emulator, event, mailoutbox):
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id, method="delayed")
    stripe_emulator.settle(session_id, succeeded=False)
    assert stripe_emulator.drain(timeout=10)
    order = latest_order()
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED and order.paid_at is None
    assert not Registration.objects.taking_seats().exists()
    assert [m.to for m in mailoutbox] == [[order.buyer_email]]


def test_a_declined_card_pays_nothing_and_the_page_stays_open(client, stripe_emulator, event, mailoutbox):
    session_id = checkout_session_id(register(client, event))
    page = requests.post(
        f"{stripe_emulator.base_url}/pay/{session_id}", data={"card": "4000 0000 0000 0002"}, timeout=5
    )
    assert page.status_code == 402 and "Your card was declined." in page.text
    assert stripe_emulator.sessions[session_id]["status"] == "open" and not stripe_emulator.charges
    assert latest_order().status == Order.Status.PENDING and mailoutbox == []
    # Another card then pays.
    paid = requests.post(
        f"{stripe_emulator.base_url}/pay/{session_id}",
        data={"card": "4242424242424242"},
        timeout=5,
        allow_redirects=False,
    )
    assert paid.status_code == 303
    assert stripe_emulator.drain(timeout=10)
    assert_paid_once(latest_order(), mailoutbox)
