"""Handing a ticket on: the attendee corrects the name on it, or gives it to a colleague, until the
deadline the organizer set (`EventPage.transfer_deadline_days`); organizers may at any time.

The seat never changes hands in place. Under the event's lock, the old ticket becomes HANDED_ON
(its link, door code and invite stop working; its holder is sent a calendar CANCEL) and a new,
confirmed ticket is made in the same order, for the same ticket type and price, with a secret,
door code and invite of its own, sent to the new holder. Seats taken stay the same: the old
ticket no longer takes one, the new one does. The order's history says who did it.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..emails import send_email
from ..models import Registration, unused_door_codes
from .capacity import lock_event


class TransferRefused(Exception):
    """Why this ticket cannot be handed on (a sentence for the person asking)."""


def deadline(event):
    """Until when attendees may hand their tickets on themselves (None: they may not)."""
    if event.transfer_deadline_days is None or event.start is None:
        return None
    return event.start - dt.timedelta(days=event.transfer_deadline_days)


def attendee_may_hand_on(registration, now=None):
    until = deadline(registration.event)
    return (
        registration.status == Registration.Status.CONFIRMED
        and registration.event.status == registration.event.Status.SCHEDULED
        and until is not None
        and (now or timezone.now()) < until
    )


def hand_on(registration, *, name, email, profession="", licence_number="", user=None, now=None):
    """The new ticket, for `name` at `email`. `user`: the organizer's team member doing it (no
    deadline for them); None for the attendee through their ticket's link."""
    now = now or timezone.now()
    with transaction.atomic():
        event = lock_event(registration.event_id)
        old = Registration.objects.select_for_update().select_related("event").get(pk=registration.pk)
        if old.status != Registration.Status.CONFIRMED:
            raise TransferRefused(_("Only a confirmed ticket can be handed on."))
        if user is None and not attendee_may_hand_on(old, now):
            raise TransferRefused(_("This ticket can no longer be handed on online; please contact the organizer."))
        new = Registration.objects.create(
            order_id=old.order_id, event=event, ticket_type_id=old.ticket_type_id, price=old.price,
            discount=old.discount, tax=old.tax, promo_code_id=old.promo_code_id, status=Registration.Status.CONFIRMED,
            confirmed_at=now, name=name, email=email, profession=profession, licence_number=licence_number,
            door_code=unused_door_codes(event, 1)[0],
        )  # fmt: skip
        old.transition(Registration.Status.HANDED_ON)
        old.handed_on_to = new
        old.cancelled_at = now
        old.invite_sequence += 1
        old.save(update_fields=["status", "handed_on_to", "cancelled_at", "invite_sequence"])
        same_person = old.email.lower() == email.lower()
        old.order.log("handed_on", user=user, seat=old.pk, to_seat=new.pk, name_corrected_only=same_person)
        send_email("handed_on", registration=old)
        send_email("confirmation", registration=new)
    return new
