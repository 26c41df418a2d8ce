"""What may be refunded: only money that was paid, never more than is left, never nothing.
Each rule is refused before Stripe is asked (the emulator would record any call)."""

import unittest
from decimal import Decimal

import pytest
import stripe

from registrations.models import Order, Refund
from registrations.services import refunds
from tests.factories import make_event, make_registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    event = make_event("Refunds", tickets=[("Standard", "50.00")], currency="EUR")
    order = make_registration(event, price="50.00").order
    Order.objects.filter(pk=order.pk).update(stripe_payment_intent_id="pi_paid")
    order.refresh_from_db()
    return order


@pytest.mark.parametrize("amount", ["0", "-1", "50.01"])
def test_a_refund_of_nothing_or_of_more_than_is_left_is_refused(order, amount):
    with pytest.raises(refunds.RefundRefused, match=r"^Refund between 0 and 50\.00 EUR\.$"):
        refunds.request_refund(order, Decimal(amount))
    assert not Refund.objects.exists()


@pytest.mark.parametrize("amount", ["0.01", "1", "50"])
def test_any_amount_from_one_cent_to_all_that_is_left_may_be_refunded(order, amount):
    assert refunds.request_refund(order, Decimal(amount)).amount == Decimal(amount)


def test_what_is_left_to_refund_counts_pending_refunds_but_not_failed_ones(order):
    first = refunds.request_refund(order, Decimal("30"))
    assert first.reason == ""  # none was given
    with pytest.raises(refunds.RefundRefused, match=r"^Refund between 0 and 20\.00 EUR\.$"):
        refunds.request_refund(order, Decimal("20.01"))
    Refund.objects.filter(pk=first.pk).update(status=Refund.Status.FAILED)
    second = refunds.request_refund(order, Decimal("50"))
    assert (first.number, second.number) == (1, 2)


def test_an_order_without_a_payment_cannot_be_refunded(order):
    Order.objects.filter(pk=order.pk).update(stripe_payment_intent_id="")
    order.refresh_from_db()
    with pytest.raises(refunds.RefundRefused, match=r"^This order has no payment to refund\.$"):
        refunds.request_refund(order, Decimal("10"), allow_unpaid=True)
    assert not Refund.objects.exists()


@pytest.mark.parametrize("status", [Order.Status.PENDING, Order.Status.EXPIRED])
def test_only_paid_or_cancelled_orders_are_refunded_by_hand(order, status):
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    with pytest.raises(refunds.RefundRefused, match=r"^Only paid orders can be refunded\.$"):
        refunds.request_refund(order, Decimal("10"))
    # Money that came for a seat that was gone is refunded by fulfilment, which allows it.
    assert refunds.request_refund(order, Decimal("10"), allow_unpaid=True).status == Refund.Status.PENDING


def test_a_refund_for_no_payment_of_ours_is_logged_and_recorded_nowhere(order):
    """A refund made in the Stripe dashboard for a payment this site did not take."""
    stranger = stripe.Refund.construct_from(
        {
            "id": "re_stranger",
            "object": "refund",
            "payment_intent": "pi_elsewhere",
            "amount": 100,
            "status": "succeeded",
        },
        "sk_test",
    )
    with unittest.TestCase().assertLogs("registrations.services.refunds", "WARNING") as logged:
        assert refunds.reconcile_from_webhook(stranger) is None
    assert logged.output == ["WARNING:registrations.services.refunds:Refund re_stranger matches no order"]
    assert not Refund.objects.exists()
