"""Turning payments into seats, exactly once, and releasing seats only when no payment can come.

`fulfil_session` is the one way an order becomes paid: the webhook and the success page both call
it with the session re-fetched from Stripe. It locks the order, so duplicate, late and
out-of-order deliveries change nothing twice.
"""

import logging
from collections import Counter
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from events.inputs import parse_int
from events.money import split

from .. import stripe_gateway
from ..emails import send_email
from ..models import Order, Registration
from . import invoices, refunds, waitlist
from .capacity import SoldOut, ensure_seats, lock_event, refresh_sold_out

log = logging.getLogger(__name__)
PAID_STATUSES = ("paid", "no_payment_required")


def fulfil(session_id):
    """Fetch the Checkout Session from Stripe and fulfil it (raises StripeError if Stripe is down)."""
    return fulfil_session(stripe_gateway.retrieve_session(session_id))


def order_for_session(session):
    order_id = stripe_gateway.as_dict(session.metadata).get("order_id") or session.client_reference_id
    order_pk = parse_int(str(order_id))
    order = Order.objects.filter(pk=order_pk).first() if order_pk is not None else None
    if order is None or order.stripe_checkout_session_id not in (None, session.id):
        log.warning("A Checkout Session (…%s) matches no order", session.id[-6:])  # the id is a key to the order
        return None
    return order


def fulfil_session(session):
    order = order_for_session(session)
    if order is None or session.payment_status not in PAID_STATUSES:
        return order
    refund = None
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == Order.Status.PAID or order.paid_at is not None:
            return order  # this payment is recorded already (the order may since have been cancelled)
        order.stripe_checkout_session_id = session.id
        order.stripe_payment_intent_id = session.payment_intent or ""
        if order.tax_automatic:
            take_stripe_tax(order, session)
        check_amounts(order, session)
        event_on = order.event.status == order.event.Status.SCHEDULED
        if order.status == Order.Status.PENDING and event_on:
            confirm(order, held=True)
        elif order.status == Order.Status.EXPIRED and event_on and seats_still_free(order):
            confirm(order, held=False)
            refresh_sold_out(lock_event(order.event_id))
        else:
            # The seats are gone, or the order or the event was cancelled: never keep the money.
            if order.stripe_payment_intent_id and order.unrefunded_amount() <= 0:
                return order  # its refund is recorded already: a repeated notice of this payment
            if order.status == Order.Status.PENDING:
                release_order_locked(order, Order.Status.CANCELLED, reason="paid for a cancelled event")
            order.save(update_fields=["stripe_checkout_session_id", "stripe_payment_intent_id"])
            order.log("paid_without_seat", session=session.id)
            refund = refunds.request_refund(order, order.total, reason=refunds.SEAT_GONE, allow_unpaid=True)
    if refund is not None:
        refunds.process_refund(refund)
    return order


def take_stripe_tax(order, session):
    """What Stripe Tax worked out at payment, for an order whose tax it calculates: the total
    charged, the tax in it (its name and rate when one rate applied), each seat's share. The
    session is as `stripe_gateway.retrieve_session` gives it, its tax broken down by rate."""
    breakdown = session.total_details.breakdown
    order.total = stripe_gateway.from_minor_units(session.amount_total, order.currency)
    order.tax_amount = stripe_gateway.from_minor_units(session.total_details.amount_tax, order.currency)
    rates = {(tax.rate.display_name, Decimal(str(tax.rate.percentage))) for tax in breakdown.taxes if tax.amount}
    if len(rates) == 1:
        ((order.tax_name, order.tax_rate),) = rates
    order.save(update_fields=["total", "tax_amount", "tax_name", "tax_rate"])
    registrations = list(order.registrations.order_by("pk"))
    for registration, share in zip(
        registrations, split(order.tax_amount, len(registrations), order.currency), strict=True
    ):
        registration.tax = share
    Registration.objects.bulk_update(registrations, ["tax"])
    address = session.customer_details.address if session.customer_details else None
    if address and address.country and not order.billing_country:  # the invoice names the country taxed
        order.billing_country = address.country
        order.save(update_fields=["billing_country"])


def check_amounts(order, session):
    """Stripe's total and tax are the order's (the tax computed as Stripe computes it, money.Tax):
    a difference is logged on the order, for its team to see and settle, never passed over."""
    charged = (session.amount_total, getattr(session.total_details, "amount_tax", None))  # total_details: nullable
    expected = tuple(stripe_gateway.minor_units(amount, order.currency) for amount in (order.total, order.tax_amount))
    if charged != expected:
        log.error("Order %s: Stripe charged (total, tax) %s, the order says %s", order.pk, charged, expected)
        order.log("amount_mismatch", charged=list(charged), expected=list(expected))


def seats_still_free(order):
    event = lock_event(order.event_id)
    wanted = Counter(order.registrations.values_list("ticket_type_id", flat=True))
    try:
        for ticket_type in event.ticket_types.filter(pk__in=wanted):
            ensure_seats(event, ticket_type, wanted[ticket_type.pk])
    except SoldOut:
        return False
    return True


def confirm(order, held):
    now = timezone.now()
    order.transition(Order.Status.PAID)
    order.paid_at = now
    order.save()
    registrations = list(
        order.registrations.filter(status=Registration.Status.HELD if held else Registration.Status.RELEASED)
    )
    for registration in registrations:
        registration.transition(Registration.Status.CONFIRMED)
        registration.confirmed_at = now
        registration.save(update_fields=["status", "confirmed_at"])
        send_email("confirmation", registration=registration)
    order.log("paid", payment_intent=order.stripe_payment_intent_id, late=not held)
    invoice = invoices.issue_invoice(order)
    if invoice is not None:
        order.log("invoiced", invoice=invoice.display_number)


def release_order(order_id, new_status, reason):
    """Give the seats of a pending order back (its payment can no longer arrive) and offer them on."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == Order.Status.PENDING:
            release_order_locked(order, new_status, reason)
    return order


def release_order_locked(order, new_status, reason):
    lock_event(order.event_id)
    order.transition(new_status)
    order.save(update_fields=["status"])
    for registration in order.registrations.filter(status=Registration.Status.HELD):
        registration.transition(Registration.Status.RELEASED)
        registration.save(update_fields=["status"])
    order.log("released", status=new_status, reason=reason)
    transaction.on_commit(lambda: waitlist.offer_free_seats(order.event_id))


def session_expired(session):
    """Stripe says this session expired: its seats may go (checked on the fresh session, since an
    `expired` webhook can arrive late, after the buyer paid)."""
    order = order_for_session(session)
    if order is not None and session.status == "expired":
        release_order(order.pk, Order.Status.EXPIRED, reason="checkout session expired")
    return order


def payment_failed(session):
    """A delayed payment (bank debit) failed after checkout: the seats go, the buyer is told."""
    order = order_for_session(session)
    if order is not None and order.status == Order.Status.PENDING:
        release_order(order.pk, Order.Status.EXPIRED, reason="payment failed")
        send_email("payment_failed", order=order)
    return order


def sweep_overdue_holds(now=None):
    """Release holds past their deadline, but only once Stripe confirms no payment can come.

    For each overdue order we expire its Checkout Session first. If Stripe says it is already
    complete, the buyer paid at the last moment: we fulfil instead of releasing.
    """
    released = fulfilled = 0
    for order in Order.objects.overdue(now).order_by("hold_deadline"):
        if not order.stripe_checkout_session_id:
            # The payment page was never shown (Stripe failed before answering): nothing can be paid.
            release_order(order.pk, Order.Status.EXPIRED, reason="hold overdue, no checkout session")
            released += 1
            continue
        try:
            session = stripe_gateway.expire_session(order.stripe_checkout_session_id)
        except stripe_gateway.StripeError:
            try:
                session = stripe_gateway.retrieve_session(order.stripe_checkout_session_id)
            except stripe_gateway.StripeError:
                continue  # Stripe unreachable: keep the hold, try again next sweep
        if session.status == "complete" and session.payment_status in PAID_STATUSES:
            fulfil_session(session)
            fulfilled += 1
        elif session.status == "expired":
            release_order(order.pk, Order.Status.EXPIRED, reason="hold overdue, checkout session expired")
            released += 1
    return {"released": released, "fulfilled": fulfilled}
