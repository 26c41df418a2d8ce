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
from django.db.models import F, Max
from django.utils.translation import gettext as _

from events.inputs import parse_int

from .. import stripe_gateway
from ..emails import send_email
from ..models import Order, Refund
from . import invoices

log = logging.getLogger(__name__)
SEAT_GONE = "seat no longer available"
MADE_AT_STRIPE = "made in the Stripe dashboard"


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
                reason=MADE_AT_STRIPE,
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
        if was == Refund.Status.SUCCEEDED and refund.status == Refund.Status.FAILED:
            # Stripe failed it after it succeeded (the card was closed): the buyer was not paid back.
            refund.order = order
            debit_note = invoices.cancel_credit_note(refund)
            if debit_note is not None:
                order.log("debit_note", invoice=debit_note.display_number, number=refund.number)
            if refund.taken_back:
                transaction.on_commit(lambda: give_back(refund.pk))
        if was != Refund.Status.SUCCEEDED and refund.status == Refund.Status.SUCCEEDED:
            order.log("refunded", amount=str(refund.amount), number=refund.number)
            refund.order = order
            credit_note = invoices.issue_credit_note(refund)
            if credit_note is not None:
                order.log("credit_note", invoice=credit_note.display_number, number=refund.number)
            if order.reverses_refunds_apart and refund.reason != MADE_AT_STRIPE:  # (Stripe's dashboard asks itself)
                transaction.on_commit(lambda: take_back(refund.pk))
            # Money that came for a seat that was gone gets its own explanation.
            send_email(
                "sold_out_refunded" if refund.reason == SEAT_GONE else "refund", order=order, amount=str(refund.amount),
                **({"credit_note": credit_note.pk} if credit_note is not None else {}),
            )  # fmt: skip
    return refund


def take_back(refund_pk):
    """The organizer's account gives a refund back whole (Order.reverses_refunds_apart), by a
    transfer reversal made once: a failed call is counted, logged and tried again by
    `retry_failed_refunds` under a new key, after asking Stripe whether it was made after all."""
    refund = Refund.objects.select_related("order").get(pk=refund_pk)
    if refund.taken_back is not None or refund.status != Refund.Status.SUCCEEDED:
        return refund
    order = refund.order
    try:
        reversal = stripe_gateway.reverse_for_refund(order, refund)
    except stripe_gateway.StripeError as error:
        Refund.objects.filter(pk=refund.pk).update(reversal_attempts=F("reversal_attempts") + 1)
        order.log("reversal_failed", number=refund.number, error=str(error) or type(error).__name__)
        return refund
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.taken_back is None:
            refund.taken_back = stripe_gateway.from_minor_units(reversal.amount, order.currency) if reversal else 0
            refund.transfer_reversal_id = reversal.id if reversal else ""
            refund.save(update_fields=["taken_back", "transfer_reversal_id"])
            order.log("taken_back", number=refund.number, amount=str(refund.taken_back))
    return refund


def give_back(refund_pk):
    """What the organizer's account gave back for a refund that Stripe then failed goes back to it,
    by a transfer made once (retried by `retry_failed_refunds`, found not made twice)."""
    refund = Refund.objects.select_related("order").get(pk=refund_pk)
    if refund.status != Refund.Status.FAILED or not refund.taken_back or refund.returned_transfer_id:
        return refund
    order = refund.order
    try:
        transfer = stripe_gateway.return_to_organizer(order, refund)
    except stripe_gateway.StripeError as error:
        Refund.objects.filter(pk=refund.pk).update(return_attempts=F("return_attempts") + 1)
        order.log("return_failed", number=refund.number, error=str(error) or type(error).__name__)
        return refund
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if not refund.returned_transfer_id:
            refund.returned_transfer_id = transfer.id
            refund.save(update_fields=["returned_transfer_id"])
            order.log("given_back", number=refund.number, amount=str(refund.taken_back))
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
    """Send again every refund that Stripe did not accept (same idempotency key: never twice), every
    reversal an organizer's account still owes for a refund (`take_back`), and every return owed to
    one for a refund Stripe failed after it was taken back (`give_back`)."""
    failed = Refund.objects.filter(status=Refund.Status.FAILED, stripe_refund_id__isnull=True)
    owed = Refund.objects.filter(
        status=Refund.Status.SUCCEEDED, taken_back__isnull=True, order__platform_fee__gt=0,
        order__platform_fee_refundable=False,
    ).exclude(order__destination_account="").exclude(reason=MADE_AT_STRIPE)  # fmt: skip
    owed_back = Refund.objects.filter(status=Refund.Status.FAILED, taken_back__gt=0, returned_transfer_id="")
    return (
        [process_refund(r) for r in failed.select_related("order")]
        + [take_back(r.pk) for r in owed]
        + [give_back(r.pk) for r in owed_back]
    )


def reconcile_from_webhook(stripe_refund):
    """Record a refund a webhook told of (pass it re-fetched: events can arrive late and out of order)."""
    order = Order.objects.filter(stripe_payment_intent_id=stripe_refund.payment_intent).first()
    if order is None:
        log.warning("Refund %s matches no order", stripe_refund.id)
        return None
    return record(order, stripe_refund)
