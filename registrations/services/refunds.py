"""Refunds: requested under the order's lock, sent to Stripe after commit, reconciled from webhooks.

A refund is first recorded as pending with the next number n (the idempotency key is
`refund-<order>-<n>`), so the stripe library's own retries after a timeout can never refund twice.
Stripe replays the first answer to a key, errors included, so a refund that failed is retried
under a new key (`refund-<order>-<n>-<attempt>`), and only after asking Stripe whether the failed
call made the refund after all (its metadata carries n). Refunds made in the Stripe dashboard
arrive as webhooks and are recorded the same way; webhooks are re-fetched, never trusted as sent.
"""

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from events.inputs import parse_int

from .. import stripe_gateway
from ..emails import send_email
from ..models import Order, Refund
from . import invoices

log = logging.getLogger(__name__)
SEAT_GONE = "seat no longer available"


class RefundRefused(Exception):
    """Why this refund cannot be made (a sentence for the organizer)."""


def request_refund(order, amount, reason="", user=None, allow_unpaid=False):
    """Record a pending refund of `amount`; call `process_refund` after the transaction commits."""
    amount = Decimal(amount)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if not order.stripe_payment_intent_id:
            raise RefundRefused(_("This order has no payment to refund."))
        if not allow_unpaid and order.status not in (Order.Status.PAID, Order.Status.CANCELLED):
            raise RefundRefused(_("Only paid orders can be refunded."))
        left = order.unrefunded_amount()
        if amount <= 0 or amount > left:
            raise RefundRefused(
                _("Refund between 0 and %(left)s %(currency)s.") % {"left": left, "currency": order.currency}
            )
        number = (order.refunds.aggregate(n=Max("number"))["n"] or 0) + 1
        refund = Refund.objects.create(order=order, number=number, amount=amount, reason=reason)
        order.log("refund_requested", user=user, amount=str(amount), number=number, reason=reason)
    return refund


def process_refund(refund):
    """Send a pending or failed refund to Stripe. A failure is recorded, shown, and can be retried."""
    order = refund.order
    try:
        stripe_refund = stripe_gateway.find_refund(order, refund) if refund.attempts else None
        if stripe_refund is None:
            stripe_refund = stripe_gateway.create_refund(order, refund)
    except stripe_gateway.StripeError as error:
        with transaction.atomic():
            refund = Refund.objects.select_for_update().get(pk=refund.pk)
            if refund.stripe_refund_id:
                return refund  # a webhook told us meanwhile that Stripe made it: the answer was lost
            if refund.status == Refund.Status.PENDING:
                refund.transition(Refund.Status.FAILED)
            refund.attempts += 1  # the next try needs a key of its own: Stripe would replay this failure
            refund.error = getattr(error, "user_message", None) or str(error) or type(error).__name__
            refund.save(update_fields=["status", "error", "attempts"])
            order.log("refund_failed", number=refund.number, error=refund.error)
        return refund
    return record(order, stripe_refund, refund)


def record(order, stripe_refund, refund=None):
    """Store what Stripe says about a refund (ours or one made in the dashboard)."""
    status = {
        "succeeded": Refund.Status.SUCCEEDED,
        "failed": Refund.Status.FAILED,
        "canceled": Refund.Status.FAILED,
    }.get(stripe_refund.status, Refund.Status.PENDING)
    amount = stripe_gateway.from_minor_units(stripe_refund.amount, order.currency)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        refund = (
            Refund.objects.select_for_update().filter(stripe_refund_id=stripe_refund.id).first()
            or (refund and Refund.objects.select_for_update().get(pk=refund.pk))
            or match_by_number(order, stripe_refund)
        )
        if refund is None:
            number = (order.refunds.aggregate(n=Max("number"))["n"] or 0) + 1
            refund = Refund.objects.create(
                order=order,
                number=number,
                amount=amount,
                status=Refund.Status.PENDING,
                reason="made in the Stripe dashboard",
            )
            order.log("refund_recorded", amount=str(amount), stripe_refund=stripe_refund.id)
        was = refund.status
        refund.stripe_refund_id = stripe_refund.id
        refund.error = (
            (getattr(stripe_refund, "failure_reason", None) or "failed") if status == Refund.Status.FAILED else ""
        )
        if status != refund.status and status in Refund.TRANSITIONS.get(refund.status, ()):
            refund.transition(status)
        refund.save()
        if was != Refund.Status.FAILED and refund.status == Refund.Status.FAILED:
            order.log("refund_failed", number=refund.number, error=refund.error, stripe_refund=stripe_refund.id)
        if was != Refund.Status.SUCCEEDED and refund.status == Refund.Status.SUCCEEDED:
            order.log("refunded", amount=str(refund.amount), number=refund.number)
            refund.order = order
            credit_note = invoices.issue_credit_note(refund)
            if credit_note is not None:
                order.log("credit_note", invoice=credit_note.display_number, number=refund.number)
            # Money that came for a seat that was gone gets its own explanation.
            send_email(
                "sold_out_refunded" if refund.reason == SEAT_GONE else "refund", order=order, amount=str(refund.amount),
                **({"credit_note": credit_note.pk} if credit_note is not None else {}),
            )  # fmt: skip
    return refund


def match_by_number(order, stripe_refund):
    number = stripe_gateway.as_dict(stripe_refund.metadata).get("refund_number")
    number = parse_int(str(number))
    if number is None:
        return None
    return Refund.objects.select_for_update().filter(order=order, number=number).first()


def refund(order, amount, reason="", user=None):
    pending = request_refund(order, amount, reason=reason, user=user)
    return process_refund(pending)


def retry_failed_refunds():
    """Send again every refund that Stripe did not accept (same idempotency key: never twice)."""
    return [
        process_refund(r)
        for r in Refund.objects.filter(status=Refund.Status.FAILED, stripe_refund_id__isnull=True).select_related(
            "order"
        )
    ]


def reconcile_from_webhook(stripe_refund):
    """Record a refund a webhook told of (pass it re-fetched: events can arrive late and out of order)."""
    order = Order.objects.filter(stripe_payment_intent_id=stripe_refund.payment_intent).first()
    if order is None:
        log.warning("Refund %s matches no order", stripe_refund.id)
        return None
    return record(order, stripe_refund)
