"""The waitlist: when seats free up, the next people in line get a time-limited offer.

An offer reserves its seat (capacity counts live offers), so the claim link keeps its promise.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from .. import conf
from ..emails import send_email
from ..models import WaitlistEntry
from .capacity import lock_event, seats_left


def join(event, ticket_type, name, email):
    entry, created = WaitlistEntry.objects.get_or_create(
        event=event, ticket_type=ticket_type, email=email, status=WaitlistEntry.Status.WAITING, defaults={"name": name}
    )
    return entry


def offer_free_seats(event_id, now=None):
    """Offer every free seat to the next person waiting for its ticket type; lapse old offers."""
    now = now or timezone.now()
    offered = []
    with transaction.atomic():
        event = lock_event(event_id)
        for entry in WaitlistEntry.objects.select_for_update().filter(
            event=event, status=WaitlistEntry.Status.OFFERED, offer_expires_at__lte=now
        ):
            entry.transition(WaitlistEntry.Status.LAPSED)
            entry.save(update_fields=["status"])
        for ticket_type in event.ticket_types.all():
            waiting = WaitlistEntry.objects.select_for_update().filter(
                event=event, ticket_type=ticket_type, status=WaitlistEntry.Status.WAITING
            )
            free = seats_left(event, ticket_type)
            for entry in waiting[: free if free is not None else None]:
                entry.transition(WaitlistEntry.Status.OFFERED)
                entry.offer_expires_at = now + dt.timedelta(hours=conf.get("REGISTRATIONS_WAITLIST_OFFER_HOURS"))
                entry.save(update_fields=["status", "offer_expires_at"])
                send_email("waitlist_offer", waitlist_entry=entry)
                offered.append(entry)
    return offered
