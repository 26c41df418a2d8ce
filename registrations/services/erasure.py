"""Erasing a person's data at their request (GDPR's right to erasure), from "My events".

Everything that names the address is anonymised or deleted, in one transaction:

- seats: name, address, profession, licence number, answers and what the last invite said; the
  ticket's link and the certificate's code are replaced or removed, so neither opens anything;
  their evaluation answers stay in the event's results, linked to nobody;
- orders placed as the buyer: name, address and billing details; their link is replaced;
- waitlist entries: name and address, and out of the line; email subscriptions, sign-in links:
  deleted; organizer applications: name, address and message.

What the law requires to be kept stays: every amount, refund and invoice (an invoice keeps the
buyer as it was issued to), and the order's accepted terms. Seats stay as they were (confirmed
seats still count against capacity, check-ins still count for the event's figures), so the event's
organizer is told, once per event. `apply_retention` does the same to every seat, order and
waitlist entry of events over for longer than REGISTRATIONS_RETENTION_YEARS.

Emails queued before the erasure are not sent: an erased address ends in ERASED_DOMAIN
(models.is_erased), which `emails.build_email` skips, and `sign_in.deliver_link` finds nothing held
by it.
"""

import logging

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from events.mail import build_message
from events.models import OrganizerApplication, Subscription

from .. import conf
from ..models import ERASED_DOMAIN, EvaluationResponse, Order, Registration, SignInLink, WaitlistEntry, new_secret
from . import waitlist
from .sign_in import by_address

log = logging.getLogger(__name__)

ERASED_NAME = "(erased)"


def erased_address(kind, pk):
    return f"{kind}-{pk}@{ERASED_DOMAIN}"


def erase(email):
    """Erase what is held about `email` (see above); returns how many rows of each kind changed."""
    with transaction.atomic():
        seats = anonymise_seats(by_address(Registration, "email", email).select_related("event__organizer"))
        orders = anonymise_orders(by_address(Order, "buyer_email", email))
        entries, in_line = anonymise_waitlist(by_address(WaitlistEntry, "email", email))
        applications = list(by_address(OrganizerApplication, "email", email))
        for application in applications:
            application.name, application.message = ERASED_NAME, ""
            application.email = erased_address("applicant", application.pk)
        OrganizerApplication.objects.bulk_update(applications, ["name", "email", "message"])
        counts = {
            "seats": len(seats),
            "orders": len(orders),
            "waitlist": len(entries),
            "applications": len(applications),
            "subscriptions": by_address(Subscription, "email", email).delete()[0],
            "sign_in_links": by_address(SignInLink, "email", email).delete()[0],
        }
        # A seat offered to someone who left goes to the next in line.
        for event_id in in_line:
            transaction.on_commit(lambda event_id=event_id: waitlist.offer_free_seats(event_id), robust=True)
        events = {seat.event_id: seat.event for seat in seats if seat.status == Registration.Status.CONFIRMED}
        transaction.on_commit(lambda: tell_organizers(events.values()), robust=True)
    log.info("Personal data erased: %s", counts)
    return counts


def anonymise_seats(queryset):
    seats = list(queryset)
    for seat in seats:
        seat.name, seat.email = ERASED_NAME, erased_address("seat", seat.pk)
        seat.profession = seat.licence_number = seat.invite_fingerprint = ""
        seat.answers, seat.invite_facts = {}, {}
        seat.ticket_secret, seat.certificate_code = new_secret(), None
    Registration.objects.bulk_update(
        seats,
        [
            "name", "email", "profession", "licence_number", "answers", "invite_facts", "invite_fingerprint",
            "ticket_secret", "certificate_code",
        ],
    )  # fmt: skip
    # Their evaluation answers stay in the event's results, linked to nobody (as anonymous ones are).
    EvaluationResponse.objects.filter(registration__in=seats).update(registration=None)
    return seats


def anonymise_orders(queryset):
    orders = list(queryset)
    for order in orders:
        order.buyer_name, order.buyer_email = ERASED_NAME, erased_address("buyer", order.pk)
        order.billing_organization = order.billing_address = order.billing_tax_id = order.billing_country = ""
        order.token = new_secret()
        order.log("personal_data_erased")
    Order.objects.bulk_update(
        orders,
        ["buyer_name", "buyer_email", "billing_organization", "billing_address", "billing_tax_id",
         "billing_country", "token"],
    )  # fmt: skip
    return orders


def anonymise_waitlist(queryset):
    """(the entries, the events where one of them was in line)."""
    entries = list(queryset)
    in_line = {entry.event_id for entry in entries if entry.status in WaitlistEntry.IN_LINE}
    for entry in entries:
        entry.name, entry.email, entry.token = ERASED_NAME, erased_address("waitlist", entry.pk), new_secret()
        if entry.status in WaitlistEntry.IN_LINE:
            entry.transition(WaitlistEntry.Status.LEFT)
    WaitlistEntry.objects.bulk_update(entries, ["name", "email", "token", "status"])
    return entries, in_line


def apply_retention(now=None):
    """Anonymise, as `erase` does, the seats, orders and waitlist entries of events that ended more
    than REGISTRATIONS_RETENTION_YEARS ago (None: kept for ever); the money records stay. Run it
    daily (manage.py apply_retention, or the task). Returns how many rows of each kind changed."""
    years = conf.get("REGISTRATIONS_RETENTION_YEARS")
    if years is None:
        return {"seats": 0, "orders": 0, "waitlist": 0}
    now = now or timezone.now()
    try:
        cutoff = now.replace(year=now.year - years)
    except ValueError:  # 29 February, in a year that has none
        cutoff = now.replace(year=now.year - years, day=28)
    old = {"event__end__lt": cutoff}
    with transaction.atomic():
        seats = anonymise_seats(Registration.objects.filter(**old).exclude(email__endswith="@" + ERASED_DOMAIN))
        orders = anonymise_orders(Order.objects.filter(**old).exclude(buyer_email__endswith="@" + ERASED_DOMAIN))
        entries, _in_line = anonymise_waitlist(
            WaitlistEntry.objects.filter(**old).exclude(email__endswith="@" + ERASED_DOMAIN)
        )
    counts = {"seats": len(seats), "orders": len(orders), "waitlist": len(entries)}
    log.info("Retention applied (events ended before %s): %s", cutoff.date(), counts)
    return counts


def tell_organizers(events):
    """Each event's organizer (its contact address) is told a seat's holder was erased and still counts."""
    for event in events:
        organizer = event.organizer if event.organizer_id else None
        if organizer is None or not organizer.email:
            continue
        with translation.override(event.language or None):
            context = {"event": event, "language": translation.get_language()}
            context["subject"] = _("An attendee's personal data was erased: %(title)s") % {"title": event.title}
            message = build_message("registrations/email/attendee_erased", context, organizer.email)
        try:
            message.send()
        except Exception:  # the erasure stands; the organizer's figures are right without the note
            log.exception("Could not tell the organizer of event %s about an erasure", event.pk)
