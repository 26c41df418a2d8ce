"""Seats: how many are left, and taking them without ever selling one twice.

The locking rule, written once and obeyed by every operation that changes how many seats are taken
(taking seats here, confirming released ones in fulfilment, offering seats to the waitlist):

    inside one transaction, first lock the event's row (`lock_event`: SELECT ... FOR UPDATE on
    PostgreSQL; on SQLite the IMMEDIATE transaction already holds the database's write lock),
    then recount the seats taken, then write.

Two buyers can then never both see the last seat as free: the second waits for the first's commit
and recounts. Seats are counted from the registrations themselves (held + confirmed) plus seats
offered to the waitlist, never from a cached counter that could drift.

The one stored summary is `EventPage.sold_out`, for listings (a badge on each card without a
query per card). It never decides anything: operations that take seats call `refresh_sold_out`
under the same lock before they commit, and operations that free seats end in
waitlist.offer_free_seats, which calls it too; a publish (capacity edited) recomputes it. The
flag's write bumps the content version only when it flips, so cached listings change at once.
"""

from collections import Counter

from django.db import connection, transaction
from django.utils import timezone

from events.caching import content_changed
from events.models import EventPage
from events.purge import purge_event
from events.read_model import mark_sold_out

from ..models import Registration, WaitlistEntry


class SoldOut(Exception):
    def __init__(self, seats_left):
        super().__init__(f"{seats_left} seats left")
        self.seats_left = seats_left


def lock_event(event_id) -> EventPage:
    assert transaction.get_connection().in_atomic_block, "lock_event needs a transaction"
    # No mutation testing here (docs/mutation.md): SQLite ignores FOR UPDATE, so only the
    # PostgreSQL ticket-rush tests can tell a changed lock from the right one.
    return EventPage.objects.select_for_update(of=("self",)).get(pk=event_id)  # pragma: no mutate


def seats_taken(event, ticket_type=None, exclude_offer=None):
    """Held and confirmed seats, plus seats reserved by live waitlist offers."""
    registrations = Registration.objects.taking_seats().filter(event=event)
    offers = WaitlistEntry.objects.filter(
        event=event, status=WaitlistEntry.Status.OFFERED, offer_expires_at__gt=timezone.now()
    )
    if exclude_offer is not None:
        offers = offers.exclude(pk=exclude_offer.pk)
    if ticket_type is not None:
        registrations = registrations.filter(ticket_type=ticket_type)
        offers = offers.filter(ticket_type=ticket_type)
    return registrations.count() + offers.count()


def seats_left(event, ticket_type, exclude_offer=None):
    """Seats still free for `ticket_type` (None: no limit)."""
    limits = []
    if event.capacity is not None:
        limits.append(event.capacity - seats_taken(event, exclude_offer=exclude_offer))
    if ticket_type.capacity is not None:
        limits.append(ticket_type.capacity - seats_taken(event, ticket_type, exclude_offer=exclude_offer))
    return max(0, min(limits)) if limits else None


def ensure_seats(event, ticket_type, count, exclude_offer=None):
    """Raise SoldOut unless `count` seats are free. Call only with the event locked."""
    left = seats_left(event, ticket_type, exclude_offer=exclude_offer)
    if left is not None and left < count:
        raise SoldOut(left)


def seats_used_by_ticket_type(event_id):
    """(ticket type id, seats) rows: seats held or confirmed, and seats offered to the waitlist.

    Every event page asks this: in SQL written once, it costs a quarter of what building the same
    query with the ORM does (`seats_taken` is the ORM's version, and the tests hold them equal).
    """
    held, confirmed, offered = (
        Registration.Status.HELD.value,
        Registration.Status.CONFIRMED.value,
        WaitlistEntry.Status.OFFERED.value,
    )
    sql = f"""
        SELECT ticket_type_id, COUNT(*) FROM {Registration._meta.db_table}
         WHERE event_id = %s AND status IN (%s, %s) GROUP BY ticket_type_id
        UNION ALL
        SELECT ticket_type_id, COUNT(*) FROM {WaitlistEntry._meta.db_table}
         WHERE event_id = %s AND status = %s AND offer_expires_at > %s GROUP BY ticket_type_id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [event_id, held, confirmed, event_id, offered, timezone.now()])
        return cursor.fetchall()


def availability(event, exclude_offer=None):
    """Seats left per ticket type, for showing (not for deciding: that happens under the lock).

    `exclude_offer`: a live waitlist offer whose seat counts as free (to the person it is held for).
    """
    used = Counter()
    for ticket_type, n in seats_used_by_ticket_type(event.pk):
        used[ticket_type] += n
    if exclude_offer is not None and exclude_offer.is_live_offer():
        used[exclude_offer.ticket_type_id] -= 1
    event_left = None if event.capacity is None else max(0, event.capacity - sum(used.values()))
    result = {}
    for ticket_type in event.ticket_types.all():
        limits = [
            x
            for x in (
                event_left,
                None if ticket_type.capacity is None else max(0, ticket_type.capacity - used[ticket_type.pk]),
            )
            if x is not None
        ]
        result[ticket_type.pk] = min(limits) if limits else None
    return result


def refresh_sold_out(event):
    """Store whether every ticket of `event` on public sale is gone (see the module docstring). Call only with
    the event locked, `event` as lock_event returned it."""
    seats = availability(event)
    public = [seats[ticket.pk] for ticket in event.public_ticket_types]
    sold_out = bool(public) and all(left == 0 for left in public)
    if sold_out != event.sold_out:
        mark_sold_out(event, sold_out)
        event.sold_out = sold_out
        transaction.on_commit(content_changed)
        purge_event(event)  # its card's badge and its JSON-LD, at the edge (a seat sold alone purges nothing)
    return sold_out


def refresh_sold_out_after_publish(sender, instance, **kwargs):
    """wagtail's page_published: the editor may have changed capacities or ticket types (of the
    event itself, when a translation of its page is published: `EventPage.canonical`)."""
    with transaction.atomic():
        refresh_sold_out(lock_event(instance.canonical.pk))
