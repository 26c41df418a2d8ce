"""A ticket rush while Stripe misbehaves, and afterwards the books balance.

Twenty-five buyers want ten seats, all at once, through the real registration view, while Stripe
answers 500s, times out and loses a response. Some buyers pay (some return to the success page,
some do not), one leaves the payment page, the rest let their hold lapse; the sweeper expires the
lapsed ones (Stripe down for one of them the first time). Webhooks arrive late, in reverse order,
and twice. A second wave buys the seats that came free. Then, whatever happened in between:

    paid orders = confirmed seats <= capacity; every payment Stripe took has its seat or a recorded
    refund (exactly one); no hold is left behind; no confirmation mail went out twice; nothing 500.
"""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.test import Client
from django.utils import timezone

from registrations.models import Order, Refund, Registration, StripeEvent
from registrations.services import fulfilment
from registrations.stripe_gateway import minor_units
from tests.concurrency import at_once
from tests.factories import make_event
from tests.registration_helpers import attendee_data

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

SEATS, BUYERS = 10, 25
PAYMENT_DOWN = "could not reach the payment service"


def buy(event, buyers, first=0):
    """`buyers` threads post the registration form at the same moment; a buyer told that the
    payment service is down tries again (twice at most). Returns {"won": [(client, session id, order token)],
    "sold out": n, "statuses": Counter}."""
    lock = threading.Lock()
    outcome = {"won": [], "sold out": 0, "statuses": Counter()}
    ticket = event.ticket_types.get()

    def one(i):
        client = Client()
        data = {"ticket_type": ticket.pk, "quantity": 1, **attendee_data(1)}
        data["attendee-0-email"] = f"buyer{first + i}@example.com"
        for _attempt in range(3):
            response = client.post(f"/events/{event.slug}/register/", data)
            html = response.content.decode() if response.status_code != 303 else ""
            with lock:
                outcome["statuses"][response.status_code] += 1
            if response.status_code == 303:
                session_id = response["Location"].rsplit("/", 1)[-1]
                token = Order.objects.get(stripe_checkout_session_id=session_id).token
                with lock:
                    outcome["won"].append((client, session_id, token))
                return
            if response.status_code == 503 and PAYMENT_DOWN in html:
                continue
            if response.status_code == 200 and "sold out" in html:
                with lock:
                    outcome["sold out"] += 1
                return
            raise AssertionError(f"unexpected answer {response.status_code}")

    at_once([lambda i=i: one(i) for i in range(buyers)])
    return outcome


def return_to_success_page(client, session_id):
    def visit():
        response = client.get(f"/checkout/success/?session_id={session_id}")
        assert response.status_code == 302, response.status_code

    return visit


def test_a_rush_through_stripe_faults_leaves_the_books_balanced(stripe_emulator, settings, mailoutbox):
    settings.STRIPE_TIMEOUT = 0.5  # production's retries (registrations.conf), a shorter wait
    event = make_event("Rush hour", tickets=[("Standard", "30.00")], currency="EUR", capacity=SEATS)
    stripe_emulator.set_webhook_mode("hold")  # every webhook of the rush arrives late
    create = "/v1/checkout/sessions"
    # The stripe library retries each call under its idempotency key, so which buyer meets which
    # fault, and whether a retry heals it, depends on the race: the books must balance anyway.
    stripe_emulator.add_fault(create, "timeout_after_success", method="POST", count=3, seconds=1)
    stripe_emulator.add_fault(create, "error_500", method="POST", count=3)  # replayed to each retry
    stripe_emulator.add_fault(create, "timeout", method="POST", count=3, seconds=1)

    # The rush: never more seats held than there are, and nobody sees a server error.
    rush = buy(event, BUYERS)
    won = rush["won"]
    assert set(rush["statuses"]) <= {200, 303, 503}, rush["statuses"]
    assert rush["statuses"][503] >= 1  # at least the buyers whose 500 was replayed were told to try again
    assert len(won) + rush["sold out"] == BUYERS and 5 <= len(won) <= SEATS
    assert Registration.objects.taking_seats().count() == len(won)
    # Each buyer told to try again left a cancelled order, and no orphan hold.
    assert Order.objects.filter(status=Order.Status.CANCELLED).count() == rush["statuses"][503]

    # A session whose creation "failed" (every answer was lost) exists at Stripe: someone pays it.
    cancelled = {str(pk) for pk in Order.objects.filter(status=Order.Status.CANCELLED).values_list("pk", flat=True)}
    lost_sessions = [s["id"] for s in stripe_emulator.sessions.values() if s["metadata"]["order_id"] in cancelled]
    for lost_session in lost_sessions:
        stripe_emulator.pay(lost_session)

    # Payments: some buyers come back to the success page, some never do; one leaves the page;
    # the rest let their hold lapse.
    returning, silent, leaving, lapsing = won[:3], won[3:5], won[5], won[6:]
    for _client, session_id, _token in returning + silent:
        stripe_emulator.pay(session_id)
    at_once([return_to_success_page(client, session_id) for client, session_id, _token in returning])
    assert leaving[0].get(f"/checkout/cancelled/{leaving[2]}/").status_code == 302

    # Time passes: every hold is overdue. Stripe is down for one lapsed session the first time.
    Order.objects.filter(status=Order.Status.PENDING).update(hold_deadline=timezone.now() - dt.timedelta(minutes=1))
    if lapsing:
        stubborn = lapsing[0][1]
        stripe_emulator.add_fault(f"{create}/{stubborn}/expire", "error_500", method="POST")
        stripe_emulator.add_fault(f"{create}/{stubborn}", "error_500", method="GET")
    first = fulfilment.sweep_overdue_holds()
    assert first == {"released": max(0, len(lapsing) - 1), "fulfilled": len(silent)}
    second = fulfilment.sweep_overdue_holds()
    assert second == {"released": 1 if lapsing else 0, "fulfilled": 0}

    # The webhooks of all that arrive now, newest first, and then all of them again.
    stripe_emulator.flush_webhooks(order="reverse")
    assert stripe_emulator.drain(timeout=15)
    stripe_emulator.set_webhook_mode("duplicate", times=2)
    for event_id in list(stripe_emulator.events):
        stripe_emulator.resend_event(event_id)
    assert stripe_emulator.drain(timeout=15)

    # A second wave buys the seats that came free, paying while duplicate webhooks race the
    # success page.
    free = SEATS - Registration.objects.taking_seats().count()
    assert free == SEATS - len(returning) - len(silent)
    second_wave = buy(event, free + 2, first=BUYERS)
    assert len(second_wave["won"]) == free and second_wave["sold out"] == 2
    for _client, session_id, _token in second_wave["won"]:
        stripe_emulator.pay(session_id)
    at_once([return_to_success_page(client, session_id) for client, session_id, _token in second_wave["won"]])
    assert stripe_emulator.drain(timeout=15)
    assert fulfilment.sweep_overdue_holds() == {"released": 0, "fulfilled": 0}

    # The books.
    paid = Order.objects.filter(event=event, status=Order.Status.PAID)
    confirmed = Registration.objects.confirmed().filter(event=event)
    assert paid.count() == confirmed.count() == SEATS
    assert set(confirmed.values_list("order", flat=True)) == set(paid.values_list("pk", flat=True))
    assert not Order.objects.filter(status=Order.Status.PENDING).exists()  # no hold left behind
    assert not Registration.objects.filter(status=Registration.Status.HELD).exists()

    payments = {pi["id"]: pi for pi in stripe_emulator.payment_intents.values() if pi["status"] == "succeeded"}
    stripe_refunds = Counter(
        r["payment_intent"] for r in stripe_emulator.refunds.values() if r["status"] == "succeeded"
    )
    assert len(payments) == SEATS + len(lost_sessions)  # every seat, and the lost sessions' payments
    for payment_intent, payment in payments.items():
        order = Order.objects.get(stripe_payment_intent_id=payment_intent)
        assert payment["amount"] == minor_units(order.total, order.currency)
        if order.status == Order.Status.PAID:
            assert order.registrations.get().status == Registration.Status.CONFIRMED
            assert not order.refunds.exists() and payment_intent not in stripe_refunds
        else:
            refund = order.refunds.get()  # exactly one, however many webhooks said so
            assert (refund.status, refund.amount) == (Refund.Status.SUCCEEDED, order.total)
            assert stripe_refunds[payment_intent] == 1
            assert stripe_emulator.refunds[refund.stripe_refund_id]["payment_intent"] == payment_intent
    assert sum(stripe_refunds.values()) == len(lost_sessions)

    # Every webhook was answered without a server error, and handled once.
    deliveries = stripe_emulator.deliveries()
    assert all(d["status_code"] == 200 for d in deliveries), [d for d in deliveries if d["status_code"] != 200]
    assert StripeEvent.objects.count() == len({d["event_id"] for d in deliveries})

    # One confirmation per seat, one explanation per refund.
    confirmations = Counter(m.to[0] for m in mailoutbox if m.subject.startswith("You're registered"))
    assert sorted(confirmations) == sorted(confirmed.values_list("email", flat=True))
    assert set(confirmations.values()) == {1}
    assert len([m for m in mailoutbox if "refund" in m.subject.lower()]) == len(lost_sessions)
