"""Cancelling seats, orders and whole events; paid seats are refunded and freed seats offered on."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from events.protection import restore_protected_children

from ..emails import send_email
from ..models import Order, Registration
from . import refunds, waitlist
from .capacity import lock_event


class CancellationRefused(Exception):
    """Why this cannot be cancelled (a sentence for the person asking)."""


def attendee_may_cancel(registration, now=None):
    """Whether the attendee may cancel this seat themselves, under the event's policy."""
    now = now or timezone.now()
    event = registration.event
    if registration.status != Registration.Status.CONFIRMED:
        return False
    if event.cancellation_deadline_days is None or event.start is None:
        return False
    return now < event.start - dt.timedelta(days=event.cancellation_deadline_days)


def refund_due(order, registrations):
    """What cancelling these seats gives back: what was paid for them (tax included), no more than the order has
    left unrefunded; nothing for free seats or an order paid with no card payment."""
    if not order.stripe_payment_intent_id:
        return Decimal(0)
    return max(min(sum((r.charged for r in registrations), start=Decimal(0)), order.unrefunded_amount()), Decimal(0))


def cancel_registrations(registrations, *, reason, user=None, refund=True, notify=True):
    """Cancel confirmed seats (of one order), refunding what was paid for them."""
    registrations = list(registrations)
    if not registrations:
        return None
    order = registrations[0].order
    pending_refund = None
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        lock_event(order.event_id)
        cancelled = []
        for registration in Registration.objects.select_for_update().filter(
            pk__in=[r.pk for r in registrations], order=order
        ):
            if registration.status != Registration.Status.CONFIRMED:
                continue
            registration.transition(Registration.Status.CANCELLED)
            registration.cancelled_at = timezone.now()
            registration.invite_sequence += 1
            registration.save(update_fields=["status", "cancelled_at", "invite_sequence"])
            cancelled.append(registration)
            if notify:
                send_email("cancellation", registration=registration)
        if not cancelled:
            raise CancellationRefused(_("These seats are not confirmed, so there is nothing to cancel."))
        order.log("cancelled_seats", user=user, seats=[r.pk for r in cancelled], reason=reason)
        if (
            not order.registrations.filter(status=Registration.Status.CONFIRMED).exists()
            and order.status == Order.Status.PAID
        ):
            order.transition(Order.Status.CANCELLED)
            order.save(update_fields=["status"])
            order.log("cancelled", user=user, reason=reason)
        amount = refund_due(order, cancelled)
        if refund and amount > 0:
            pending_refund = refunds.request_refund(order, amount, reason=reason, user=user)
        transaction.on_commit(lambda: waitlist.offer_free_seats(order.event_id))
    if pending_refund is not None:
        refunds.process_refund(pending_refund)
    return order


def cancel_by_attendee(registration):
    if not attendee_may_cancel(registration):
        raise CancellationRefused(_("This ticket can no longer be cancelled online; please contact the organizer."))
    return cancel_registrations([registration], reason="cancelled by attendee")


def cancel_event(event, user=None):
    """Cancel the event: attendees get a calendar CANCEL (sent when the change is published) and
    a full refund of every paid order."""
    page = event.get_latest_revision_as_object()
    restore_protected_children(page)  # a draft may drop a ticket type sold since: it stays
    page.status = page.Status.CANCELLED
    page.save_revision(user=user, log_action=True).publish(user=user)
    orders = list(Order.objects.filter(event=event, status=Order.Status.PAID))
    for order in orders:
        confirmed = order.registrations.filter(status=Registration.Status.CONFIRMED)
        cancel_registrations(confirmed, reason="event cancelled", user=user, notify=False)
    return len(orders)
