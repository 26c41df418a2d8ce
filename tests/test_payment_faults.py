"""Races and faults around payment: Stripe down or slow, a last-moment payment, money for a seat
that is gone, a refund Stripe refuses. Money and seats are never lost or duplicated."""

import datetime as dt
import unittest
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from events.models import EventPage
from registrations import conf, stripe_gateway
from registrations.models import Order, Refund, Registration, WaitlistEntry
from registrations.services import cancellation, fulfilment, refunds
from tests.factories import make_event, make_registration
from tests.registration_helpers import checkout_session_id, latest_order, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def event():
    return make_event("Small workshop", tickets=[("Standard", "50.00")], currency="EUR", capacity=1)


@pytest.mark.parametrize("mode", ["error_500", "timeout"])
def test_stripe_failing_to_start_checkout_releases_the_hold_and_the_buyer_can_retry(
    client, stripe_emulator, event, mode, settings
):
    settings.STRIPE_TIMEOUT = 0.5  # production's retries, a shorter wait: the test stays quick
    tries = 1 + conf.get("STRIPE_MAX_RETRIES")
    stripe_emulator.add_fault("/v1/checkout/sessions", mode, method="POST", seconds=1.5, count=tries)
    response = register(client, event)
    assert response.status_code == 503
    assert "could not reach the payment service" in response.content.decode()
    failed = latest_order()
    assert failed.status == Order.Status.CANCELLED
    assert not Registration.objects.taking_seats().exists()
    # The single seat is free again: the retry goes through to Stripe.
    checkout_session_id(register(client, event))
    assert latest_order().status == Order.Status.PENDING


def test_sweeper_fulfils_when_our_expire_call_finds_the_session_paid(client, stripe_emulator, event, mailoutbox):
    stripe_emulator.set_webhook_mode("drop")
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id)  # paid at the last moment; the webhook is lost
    order = latest_order()
    Order.objects.filter(pk=order.pk).update(hold_deadline=timezone.now() - dt.timedelta(minutes=1))
    assert fulfilment.sweep_overdue_holds() == {"released": 0, "fulfilled": 1}
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.registrations.get().status == Registration.Status.CONFIRMED
    assert len(mailoutbox) == 1


def test_sweeper_releases_an_overdue_hold_only_after_stripe_expires_the_session(client, stripe_emulator, event):
    session_id = checkout_session_id(register(client, event))
    order = latest_order()
    assert fulfilment.sweep_overdue_holds() == {"released": 0, "fulfilled": 0}  # not overdue yet
    Order.objects.filter(pk=order.pk).update(hold_deadline=timezone.now() - dt.timedelta(minutes=1))
    stripe_emulator.add_fault(f"/v1/checkout/sessions/{session_id}/expire", "error_500", method="POST")
    stripe_emulator.add_fault(f"/v1/checkout/sessions/{session_id}", "error_500", method="GET")
    assert fulfilment.sweep_overdue_holds() == {"released": 0, "fulfilled": 0}  # Stripe down: keep the hold
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING
    assert fulfilment.sweep_overdue_holds() == {"released": 1, "fulfilled": 0}
    assert stripe_emulator.sessions[session_id]["status"] == "expired"
    assert Order.objects.get(pk=order.pk).status == Order.Status.EXPIRED


def test_money_for_a_seat_that_is_gone_is_refunded_automatically(client, stripe_emulator, event, mailoutbox):
    stripe_emulator.set_webhook_mode("drop")
    late_session = checkout_session_id(register(client, event))
    late = latest_order()
    fulfilment.release_order(late.pk, Order.Status.EXPIRED, reason="test: released while the page was open")
    other_session = checkout_session_id(register(client, event))  # someone else takes the last seat
    stripe_emulator.pay(other_session)
    client.get(f"/checkout/success/?session_id={other_session}")
    stripe_emulator.pay(late_session)  # the first buyer pays anyway
    client.get(f"/checkout/success/?session_id={late_session}")
    late.refresh_from_db()
    assert late.status == Order.Status.EXPIRED
    refund = late.refunds.get()
    assert (refund.status, refund.amount) == (Refund.Status.SUCCEEDED, 50)
    assert any(
        r["payment_intent"] == late.stripe_payment_intent_id and r["amount"] == 5000
        for r in stripe_emulator.refunds.values()
    )
    assert Registration.objects.confirmed().count() == 1
    told = [m for m in mailoutbox if "refund" in m.subject.lower()]
    assert len(told) == 1 and "50.00" in told[0].body


def test_late_payment_is_honoured_when_a_seat_is_still_free(client, stripe_emulator, event, mailoutbox):
    stripe_emulator.set_webhook_mode("drop")
    session_id = checkout_session_id(register(client, event))
    order = latest_order()
    fulfilment.release_order(order.pk, Order.Status.EXPIRED, reason="test")
    stripe_emulator.pay(session_id)
    client.get(f"/checkout/success/?session_id={session_id}")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and not order.refunds.exists()
    seat = order.registrations.get()
    assert seat.status == Registration.Status.CONFIRMED and seat.confirmed_at == order.paid_at is not None
    paid = order.log_entries.get(action="paid").detail
    assert paid == {"payment_intent": order.stripe_payment_intent_id, "late": True} and paid["payment_intent"]


def test_a_refund_stripe_refuses_is_recorded_shown_and_retried_once(client, stripe_emulator, event):
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id)
    client.get(f"/checkout/success/?session_id={session_id}")
    order = latest_order()
    stripe_emulator.add_fault("/v1/refunds", "error_500", method="POST")
    failed = refunds.refund(order, 20, reason="asked by phone")
    assert failed.status == Refund.Status.FAILED and failed.error
    requested = order.log_entries.get(action="refund_requested").detail
    assert requested == {"amount": "20", "number": 1, "reason": "asked by phone"}
    assert order.log_entries.filter(action="refund_failed").exists()
    (retried,) = refunds.retry_failed_refunds()
    assert retried.status == Refund.Status.SUCCEEDED
    assert refunds.retry_failed_refunds() == []
    assert [r["amount"] for r in stripe_emulator.refunds.values()] == [2000]
    with pytest.raises(refunds.RefundRefused):
        refunds.refund(order, 31)  # only 30 left


def test_each_retry_of_a_refund_has_a_key_of_its_own_however_often_it_failed(client, stripe_emulator, event):
    """Stripe replays a key's first answer, its failure too: the third try must not reuse the
    second's key, or a refund that failed twice could never be made."""
    order = paid(client, stripe_emulator, event)
    stripe_emulator.add_fault("/v1/refunds", "error_500", method="POST")
    refund = refunds.refund(order, 20)
    # Stripe's own words for the organizer (not the client's "Request req_…: " wrapping of them)
    assert (refund.status, refund.attempts, refund.error) == (
        Refund.Status.FAILED,
        1,
        "Injected fault: internal error.",
    )
    stripe_emulator.add_fault("/v1/refunds", "error_500", method="POST")
    (refund,) = refunds.retry_failed_refunds()
    assert (refund.status, refund.attempts) == (Refund.Status.FAILED, 2)
    failures = order.log_entries.filter(action="refund_failed").values_list("detail", flat=True)
    assert list(failures) == [{"number": 1, "error": "Injected fault: internal error."}] * 2
    (refund,) = refunds.retry_failed_refunds()
    assert refund.status == Refund.Status.SUCCEEDED
    assert [r["amount"] for r in stripe_emulator.refunds.values()] == [2000]


def test_sweep_holds_command_releases_and_reports(stripe_emulator):
    from io import StringIO

    from django.core.management import call_command

    roomy = make_event("Roomy workshop", tickets=[("Standard", "50.00")], currency="EUR", capacity=5)
    for _ in range(2):
        checkout_session_id(register(Client(), roomy))
    Order.objects.update(hold_deadline=timezone.now() - dt.timedelta(minutes=1))
    out = StringIO()
    call_command("sweep_holds", stdout=out)
    assert "Released 2 holds" in out.getvalue()
    for order in Order.objects.all():
        assert order.status == Order.Status.EXPIRED
        assert order.log_entries.get(action="released").detail == {
            "status": "expired",
            "reason": "hold overdue, checkout session expired",
        }


def test_a_released_hold_offers_its_seat_to_the_waitlist(
    client, stripe_emulator, event, mailoutbox, django_capture_on_commit_callbacks
):
    """The last seat was held by a buyer who never paid; the person waiting is offered it."""
    checkout_session_id(register(client, event))
    waiting = WaitlistEntry.objects.create(
        event=event, ticket_type=event.ticket_types.get(), name="Wen", email="wen@example.com", status="waiting"
    )
    Order.objects.update(hold_deadline=timezone.now() - dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert fulfilment.sweep_overdue_holds() == {"released": 1, "fulfilled": 0}
    waiting.refresh_from_db()
    assert waiting.status == WaitlistEntry.Status.OFFERED
    assert [m for m in mailoutbox if m.to == ["wen@example.com"]]


def test_the_sweeper_counts_every_hold_paid_at_the_last_moment(stripe_emulator):
    stripe_emulator.set_webhook_mode("drop")
    roomy = make_event("Roomy workshop", tickets=[("Standard", "50.00")], currency="EUR", capacity=5)
    for _ in range(2):
        stripe_emulator.pay(checkout_session_id(register(Client(), roomy)))
    Order.objects.update(hold_deadline=timezone.now() - dt.timedelta(minutes=1))
    assert fulfilment.sweep_overdue_holds() == {"released": 0, "fulfilled": 2}
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.PAID}


@pytest.mark.parametrize("refunded", [True, False])
def test_a_payment_notice_after_the_order_was_cancelled_and_refunded_changes_nothing(client, stripe_emulator, refunded):
    """The buyer returns (the success page fulfils), the organizer cancels the order (refunding it,
    or keeping the money as its policy allows), then Stripe's webhook for the payment arrives, and
    the buyer reloads the success page: the payment was recorded once, nothing more is refunded."""
    event = make_event("Roomy workshop", tickets=[("Standard", "50.00")], currency="EUR", capacity=5)
    stripe_emulator.set_webhook_mode("hold")
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id)
    assert client.get(f"/checkout/success/?session_id={session_id}").status_code == 302
    order = latest_order()
    cancellation.cancel_registrations(order.registrations.all(), reason="asked by phone", refund=refunded)
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED

    stripe_emulator.flush_webhooks()
    assert stripe_emulator.drain(timeout=10)
    assert all(delivery["ok"] for delivery in stripe_emulator.deliveries())
    assert client.get(f"/checkout/success/?session_id={session_id}").status_code in (200, 302)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert list(order.refunds.values_list("amount", "status")) == ([(50, Refund.Status.SUCCEEDED)] if refunded else [])
    assert not order.registrations.confirmed().exists()


def test_a_repeated_notice_of_money_for_a_gone_seat_refunds_once(client, stripe_emulator, event):
    stripe_emulator.set_webhook_mode("drop")
    late_session = checkout_session_id(register(client, event))
    late = latest_order()
    fulfilment.release_order(late.pk, Order.Status.EXPIRED, reason="test: released while the page was open")
    other_session = checkout_session_id(register(client, event))
    stripe_emulator.pay(other_session)
    client.get(f"/checkout/success/?session_id={other_session}")
    stripe_emulator.pay(late_session)
    for _ in range(2):  # the buyer reloads the page
        assert client.get(f"/checkout/success/?session_id={late_session}").status_code in (200, 302)
    assert late.refunds.count() == 1
    assert late.log_entries.filter(action="paid_without_seat").count() == 1


@pytest.mark.parametrize(
    "status,price",
    [
        (EventPage.Status.CANCELLED, "50.00"),
        (EventPage.Status.POSTPONED, "50.00"),
        (EventPage.Status.POSTPONED, "0.50"),  # all of it refunded, however small
    ],
)
def test_money_for_a_cancelled_or_postponed_event_is_refunded_not_seated(
    client, stripe_emulator, status, price, mailoutbox
):
    """The buyer is on Stripe's page when the organizer cancels or postpones the event: the payment
    that then arrives is refunded in full and no seat is confirmed."""
    event = make_event("Unsure workshop", tickets=[("Standard", price)], currency="EUR", capacity=5)
    session_id = checkout_session_id(register(client, event, quantity=2))
    order = latest_order()
    page = EventPage.objects.get(pk=event.pk)
    if status == EventPage.Status.CANCELLED:
        cancellation.cancel_event(page)
    else:
        page.status = status
        page.save_revision().publish()
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    client.get(f"/checkout/success/?session_id={session_id}")
    order.refresh_from_db()
    total = 2 * Decimal(price)
    assert order.status == Order.Status.CANCELLED
    assert not order.registrations.taking_seats().exists()
    assert list(order.refunds.values_list("amount", "status")) == [(total, Refund.Status.SUCCEEDED)]
    assert [r["amount"] for r in stripe_emulator.refunds.values()] == [int(total * 100)]
    assert not [m for m in mailoutbox if "confirm" in m.subject.lower()]
    assert [m.subject for m in mailoutbox] == ["Your payment for Unsure workshop has been refunded"]
    assert order.refunds.get().reason == refunds.SEAT_GONE
    assert order.log_entries.get(action="paid_without_seat").detail == {"session": session_id}
    if status == EventPage.Status.POSTPONED:  # the hold was still pending: released, saying why
        released = order.log_entries.get(action="released").detail
        assert released == {"status": "cancelled", "reason": "paid for a cancelled event"}


def paid(client, stripe_emulator, event):
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id)
    client.get(f"/checkout/success/?session_id={session_id}")
    order = latest_order()
    assert order.status == Order.Status.PAID
    return order


def test_the_suite_talks_to_stripe_with_productions_retries(client, stripe_emulator, event):
    """The tests' stripe client retries as production's does, so they prove retries are safe."""
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.add_fault(f"/v1/checkout/sessions/{session_id}", "error_500", method="GET", count=10)
    with pytest.raises(stripe_gateway.StripeError):
        fulfilment.fulfil(session_id)
    (fault,) = stripe_emulator._faults
    assert 10 - fault["count"] == 1 + conf.DEFAULTS["STRIPE_MAX_RETRIES"] == 3


def test_a_refund_whose_answer_was_lost_is_found_not_made_twice(client, stripe_emulator, event, settings):
    """Stripe made the refund but every answer was lost: the retry finds it instead of refunding again."""
    order = paid(client, stripe_emulator, event)
    stripe_emulator.set_webhook_mode("drop")  # no refund.created to tell us either
    settings.STRIPE_TIMEOUT = 0.5  # production's retries, a shorter wait
    tries = 1 + conf.get("STRIPE_MAX_RETRIES")
    stripe_emulator.add_fault("/v1/refunds", "timeout_after_success", method="POST", count=tries, seconds=1)
    failed = refunds.refund(order, 20)
    assert failed.status == Refund.Status.FAILED
    assert [r["amount"] for r in stripe_emulator.refunds.values()] == [2000]

    (retried,) = refunds.retry_failed_refunds()
    assert retried.status == Refund.Status.SUCCEEDED
    assert retried.stripe_refund_id == next(iter(stripe_emulator.refunds))
    assert [r["amount"] for r in stripe_emulator.refunds.values()] == [2000]


def test_a_refund_whose_answer_was_lost_is_recorded_from_its_webhook_as_the_same_refund(
    client, stripe_emulator, event, settings
):
    """Stripe made the second refund but the answer was lost; its webhook then finds that refund by
    the number in its metadata (the id was never heard), instead of recording a second one."""
    order = paid(client, stripe_emulator, event)
    assert stripe_emulator.drain(timeout=10)
    # Another order has a refund numbered 2 as well (made first): only this order's may match.
    elsewhere = make_registration(make_event("Elsewhere", tickets=[("Standard", "50.00")], currency="EUR")).order
    theirs = Refund.objects.create(order=elsewhere, number=2, amount=5, status=Refund.Status.FAILED, error="x")
    first = refunds.refund(order, 10)
    assert first.status == Refund.Status.SUCCEEDED and stripe_emulator.drain(timeout=10)
    assert first.reason == ""  # none was given
    stripe_emulator.set_webhook_mode("hold")
    settings.STRIPE_TIMEOUT = 0.5
    tries = 1 + conf.get("STRIPE_MAX_RETRIES")
    stripe_emulator.add_fault("/v1/refunds", "timeout_after_success", method="POST", count=tries, seconds=1)
    second = refunds.refund(order, 20)
    assert (second.number, second.status, second.stripe_refund_id) == (2, Refund.Status.FAILED, None)
    assert second.error.startswith("Unexpected error communicating with Stripe"), second.error  # what went wrong

    stripe_emulator.flush_webhooks()
    assert stripe_emulator.drain(timeout=10)
    made = [refund_id for refund_id in stripe_emulator.refunds if refund_id != first.stripe_refund_id]
    assert [(r.number, r.stripe_refund_id, r.status) for r in order.refunds.order_by("number")] == [
        (1, first.stripe_refund_id, Refund.Status.SUCCEEDED),
        (2, made[0], Refund.Status.SUCCEEDED),
    ]
    assert order.unrefunded_amount() == 20  # 50 paid, 10 and 20 returned, once each
    theirs.refresh_from_db()
    assert (theirs.status, theirs.stripe_refund_id) == (Refund.Status.FAILED, None)
    Refund.objects.filter(pk=theirs.pk).delete()  # (it was never sent: not the retry's business here)
    assert refunds.retry_failed_refunds() == []  # nothing left to send again


def test_the_retry_sweep_sends_again_only_what_stripe_refused_to_make(client, stripe_emulator, event):
    """Not a refund still on its way to Stripe (its sender is at work), nor one Stripe made that
    failed later at the bank (the money is back to refund, an organizer decides)."""
    order = paid(client, stripe_emulator, event)
    assert stripe_emulator.drain(timeout=10)
    on_its_way = refunds.request_refund(order, 10)
    stripe_emulator.set_refund_mode("pending")
    failed_at_the_bank = refunds.refund(order, 20)
    stripe_emulator.settle_refund(failed_at_the_bank.stripe_refund_id, succeeded=False)
    assert stripe_emulator.drain(timeout=10)
    failed_at_the_bank.refresh_from_db()
    assert failed_at_the_bank.status == Refund.Status.FAILED and failed_at_the_bank.stripe_refund_id

    assert refunds.retry_failed_refunds() == []
    assert list(stripe_emulator.refunds) == [failed_at_the_bank.stripe_refund_id]
    on_its_way.refresh_from_db()
    assert (on_its_way.status, on_its_way.stripe_refund_id) == (Refund.Status.PENDING, None)


@pytest.mark.parametrize("succeeded", [True, False])
def test_a_pending_refund_is_recorded_when_stripe_settles_it(client, stripe_emulator, event, mailoutbox, succeeded):
    """Stripe accepts the refund as pending, and says later (webhooks, in any order) how it went."""
    order = paid(client, stripe_emulator, event)
    assert stripe_emulator.drain(timeout=10)
    mailoutbox.clear()
    stripe_emulator.set_refund_mode("pending")
    stripe_emulator.set_webhook_mode("hold")
    refund = refunds.refund(order, 20)
    assert refund.status == Refund.Status.PENDING and mailoutbox == []
    stripe_emulator.settle_refund(refund.stripe_refund_id, succeeded=succeeded)
    stripe_emulator.flush_webhooks(order="reverse")  # the news first, "created: pending" last
    assert stripe_emulator.drain(timeout=10)
    refund.refresh_from_db()
    failures = [entry.detail for entry in order.log_entries.filter(action="refund_failed")]
    if succeeded:
        assert (refund.status, refund.error) == (Refund.Status.SUCCEEDED, "")
        (told,) = [m for m in mailoutbox if "refund" in m.subject.lower()]
        assert told.subject == "Refund for Small workshop" and "We have refunded 20.00 EUR of your order" in told.body
        assert failures == []
        assert order.log_entries.get(action="refunded").detail == {"amount": "20.00", "number": 1}
    else:
        assert (refund.status, refund.error) == (Refund.Status.FAILED, "expired_or_canceled_card")
        error = {"number": 1, "error": "expired_or_canceled_card", "stripe_refund": refund.stripe_refund_id}
        assert failures == [error]  # once, however many notices said so
        assert [m for m in mailoutbox if "refund" in m.subject.lower()] == []
        assert order.unrefunded_amount() == 50  # the money was not returned: it can be refunded again


def test_a_pending_refund_canceled_in_stripe_is_recorded_as_failed_and_can_be_made_again(
    client, stripe_emulator, event, mailoutbox
):
    order = paid(client, stripe_emulator, event)
    assert stripe_emulator.drain(timeout=10)
    stripe_emulator.set_refund_mode("pending")
    refund = refunds.refund(order, 20)
    stripe_emulator.cancel_refund(refund.stripe_refund_id)
    assert stripe_emulator.drain(timeout=10)
    refund.refresh_from_db()
    assert (refund.status, refund.error) == (Refund.Status.FAILED, "failed")
    assert order.unrefunded_amount() == 50 and order.refunds.count() == 1


def test_a_retried_refund_stripe_accepts_as_pending_shows_as_pending(client, stripe_emulator, event):
    """The first call failed; the retry is accepted, pending at the bank: no longer failed."""
    order = paid(client, stripe_emulator, event)
    stripe_emulator.set_refund_mode("pending")
    stripe_emulator.add_fault("/v1/refunds", "error_500", method="POST")
    assert refunds.refund(order, 20).status == Refund.Status.FAILED
    (retried,) = refunds.retry_failed_refunds()
    assert (retried.status, retried.error) == (Refund.Status.PENDING, "") and retried.stripe_refund_id
    assert refunds.retry_failed_refunds() == []  # it is on its way: not sent again


def test_a_refund_made_in_the_dashboard_and_settled_later_is_one_refund(client, stripe_emulator, event, mailoutbox):
    """Found again by its Stripe id when Stripe says how it went (it carries none of our numbers)."""
    order = paid(client, stripe_emulator, event)
    assert stripe_emulator.drain(timeout=10)
    stripe_emulator.set_refund_mode("pending")
    made = stripe_emulator.dashboard_refund(order.stripe_payment_intent_id, amount=1500)
    assert stripe_emulator.drain(timeout=10)
    assert order.refunds.get().status == Refund.Status.PENDING
    stripe_emulator.settle_refund(made["id"])
    assert stripe_emulator.drain(timeout=10)
    refund = order.refunds.get()
    assert (refund.stripe_refund_id, refund.amount, refund.status) == (made["id"], 15, Refund.Status.SUCCEEDED)
    assert refund.number == 1
    assert order.log_entries.get(action="refund_recorded").detail == {"amount": "15.00", "stripe_refund": made["id"]}
    second = stripe_emulator.dashboard_refund(order.stripe_payment_intent_id, amount=500)
    assert stripe_emulator.drain(timeout=10)
    assert order.refunds.get(stripe_refund_id=second["id"]).number == 2


def test_stale_news_of_a_refund_never_undoes_a_later_one(client, stripe_emulator, event):
    """What the refund call answered ("pending") may be recorded after Stripe's webhook said it
    succeeded: a refund that succeeded stays so, and nothing fails."""
    order = paid(client, stripe_emulator, event)
    assert stripe_emulator.drain(timeout=10)
    stripe_emulator.set_refund_mode("pending")
    refund = refunds.refund(order, 20)
    stale = stripe_gateway.retrieve_refund(refund.stripe_refund_id)
    assert stale.status == "pending"
    stripe_emulator.settle_refund(refund.stripe_refund_id)
    assert stripe_emulator.drain(timeout=10)
    assert refunds.record(order, stale).status == Refund.Status.SUCCEEDED
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED


def test_a_late_payment_failed_notice_for_a_paid_order_changes_nothing(client, stripe_emulator, event, mailoutbox):
    order = paid(client, stripe_emulator, event)
    assert stripe_emulator.drain(timeout=10)
    mailoutbox.clear()
    session = stripe_emulator.sessions[order.stripe_checkout_session_id]
    assert stripe_emulator.send_raw("checkout.session.async_payment_failed", session)["status_code"] == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.registrations.confirmed().count() == 1
    assert mailoutbox == []


def test_a_paid_session_that_is_not_the_orders_own_pays_nothing(client, stripe_emulator, event, mailoutbox):
    """Only the Checkout Session the order started can pay it, whatever another session's
    metadata claims."""
    session_id = checkout_session_id(register(client, event))
    order = latest_order()
    Order.objects.filter(pk=order.pk).update(stripe_checkout_session_id="cs_test_the_orders_own")
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    # Logged without the session's id (a key to the order): its last six characters tell it apart.
    with unittest.TestCase().assertLogs("registrations.services.fulfilment", "WARNING") as logged:
        assert client.get(f"/checkout/success/?session_id={session_id}").status_code == 404
    assert logged.output == [
        f"WARNING:registrations.services.fulfilment:A Checkout Session (…{session_id[-6:]}) matches no order"
    ]
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and not order.registrations.confirmed().exists()
    assert mailoutbox == []


def test_overdue_holds_that_never_reached_stripe_are_released_and_say_why(client, stripe_emulator):
    event = make_event("Roomy", tickets=[("Standard", "50.00")], currency="EUR", capacity=5)
    for _ in range(2):
        checkout_session_id(register(client, event))
    Order.objects.update(
        stripe_checkout_session_id=None, hold_deadline=timezone.now() - dt.timedelta(minutes=1)
    )  # as when Stripe failed before answering
    assert fulfilment.sweep_overdue_holds() == {"released": 2, "fulfilled": 0}
    assert not Registration.objects.taking_seats().exists()
    for order in Order.objects.all():
        assert order.status == Order.Status.EXPIRED
        assert order.log_entries.filter(action="released", detail__reason="hold overdue, no checkout session").exists()


def test_the_sweeper_keeps_a_hold_stripe_cannot_answer_for_and_sweeps_the_rest(client, stripe_emulator):
    event = make_event("Roomy", tickets=[("Standard", "50.00")], currency="EUR", capacity=5)
    first, second = (checkout_session_id(register(client, event)) for _ in range(2))
    now = timezone.now()
    Order.objects.filter(stripe_checkout_session_id=first).update(hold_deadline=now - dt.timedelta(minutes=2))
    Order.objects.filter(stripe_checkout_session_id=second).update(hold_deadline=now - dt.timedelta(minutes=1))
    tries = 1 + conf.get("STRIPE_MAX_RETRIES")
    stripe_emulator.add_fault(f"/v1/checkout/sessions/{first}*", "error_500", count=2 * tries)  # expire, then retrieve
    assert fulfilment.sweep_overdue_holds() == {"released": 1, "fulfilled": 0}
    assert Order.objects.get(stripe_checkout_session_id=first).status == Order.Status.PENDING  # next sweep
    assert Order.objects.get(stripe_checkout_session_id=second).status == Order.Status.EXPIRED
