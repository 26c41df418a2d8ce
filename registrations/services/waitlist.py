"""The waitlist: when seats free up, the next people in line get a time-limited offer.

An offer reserves its seat (capacity counts live offers), so the claim link keeps its promise.
Because an offer takes a seat away from everyone else, who may hold one is bounded; the rules,
written once (settings in registrations/conf.py):

1. Only what is sold out: a ticket type can be waited for only while it has no seat left and
   registration is open (`join` raises NotSoldOut or checkout.RegistrationClosed otherwise).
2. Double opt-in: a new entry is unconfirmed, and its address gets a link to confirm it; only
   confirmed entries are ever offered a seat, and entries not confirmed within
   REGISTRATIONS_WAITLIST_CONFIRM_HOURS are dropped (`offer_free_seats`, run by the sweeper). A
   line of made-up addresses therefore holds nothing.
3. Offers shrink as the event nears (`offer_deadline`): REGISTRATIONS_WAITLIST_OFFER_HOURS at most,
   else REGISTRATIONS_WAITLIST_OFFER_SHARE of the time left before registration closes, never below
   REGISTRATIONS_WAITLIST_OFFER_MIN_MINUTES, never past the close. After the close no seat is offered.

Offers are made under the event lock (services/capacity.py), like every other change of seats.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import conf
from ..emails import send_email
from ..models import WaitlistEntry
from .capacity import lock_event, refresh_sold_out, seats_left
from .checkout import check_on_sale


class NotSoldOut(Exception):
    """Seats of this ticket are still free: register instead (a sentence for the visitor)."""


def join(event, ticket_type, name, email, now=None):
    """Put `email` in line for `ticket_type` (unconfirmed, with a confirmation email). Returns
    (entry, created): an address already in line keeps its place and gets no second email."""
    now = now or timezone.now()
    with transaction.atomic():
        event = lock_event(event.pk)
        ticket_type = event.ticket_types.get(pk=ticket_type.pk)
        check_on_sale(event, ticket_type, now)
        entry = (
            WaitlistEntry.objects.filter(event=event, ticket_type=ticket_type, email__iexact=email)
            .filter(status__in=WaitlistEntry.IN_LINE)
            .first()
        )
        if entry is not None:
            return entry, False
        if seats_left(event, ticket_type) != 0:
            raise NotSoldOut(
                _("“%(ticket)s” tickets are not sold out: you can register now.") % {"ticket": ticket_type.name}
            )
        entry = WaitlistEntry.objects.create(event=event, ticket_type=ticket_type, name=name, email=email)
        send_email("waitlist_confirm", waitlist_entry=entry)
    return entry, True


def confirm_by(entry):
    return entry.created_at + dt.timedelta(hours=conf.get("REGISTRATIONS_WAITLIST_CONFIRM_HOURS"))


def confirm(entry, now=None):
    """The address confirmed its place in line: from now on it may be offered a seat. Returns
    False when the entry can no longer be confirmed (dropped, or past its time)."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_event(entry.event_id)
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status != WaitlistEntry.Status.UNCONFIRMED:
            return entry.status in WaitlistEntry.IN_LINE
        if confirm_by(entry) <= now:
            return False
        entry.transition(WaitlistEntry.Status.WAITING)
        entry.save(update_fields=["status"])
        transaction.on_commit(lambda: offer_free_seats(entry.event_id))
    return True


def offer_deadline(event, now):
    """Until when an offer made now is held (None: registration is closed, offer nothing)."""
    closes = event.registration_closes or event.start
    longest = dt.timedelta(hours=conf.get("REGISTRATIONS_WAITLIST_OFFER_HOURS"))
    if closes is None:
        return now + longest
    if closes <= now:
        return None
    share = (closes - now) * conf.get("REGISTRATIONS_WAITLIST_OFFER_SHARE")
    window = max(min(longest, share), dt.timedelta(minutes=conf.get("REGISTRATIONS_WAITLIST_OFFER_MIN_MINUTES")))
    return min(now + window, closes)


def offer_free_seats(event_id, now=None):
    """Offer every free seat to the next confirmed person waiting for its ticket type; lapse old
    offers and drop sign-ups never confirmed."""
    now = now or timezone.now()
    offered = []
    with transaction.atomic():
        event = lock_event(event_id)
        for entry in WaitlistEntry.objects.select_for_update().filter(
            event=event, status=WaitlistEntry.Status.OFFERED, offer_expires_at__lte=now
        ):
            entry.transition(WaitlistEntry.Status.LAPSED)
            entry.save(update_fields=["status"])
        unconfirmed_since = now - dt.timedelta(hours=conf.get("REGISTRATIONS_WAITLIST_CONFIRM_HOURS"))
        WaitlistEntry.objects.filter(
            event=event, status=WaitlistEntry.Status.UNCONFIRMED, created_at__lte=unconfirmed_since
        ).update(status=WaitlistEntry.Status.LEFT)
        deadline = offer_deadline(event, now) if event.registration_is_open(now) else None
        for ticket_type in event.ticket_types.all() if deadline is not None else ():
            if not ticket_type.on_sale(now):
                continue
            waiting = WaitlistEntry.objects.select_for_update().filter(
                event=event, ticket_type=ticket_type, status=WaitlistEntry.Status.WAITING
            )
            free = seats_left(event, ticket_type)
            for entry in waiting[: free if free is not None else None]:
                entry.transition(WaitlistEntry.Status.OFFERED)
                entry.offer_expires_at = deadline
                entry.save(update_fields=["status", "offer_expires_at"])
                send_email("waitlist_offer", waitlist_entry=entry)
                offered.append(entry)
        refresh_sold_out(event)
    return offered
