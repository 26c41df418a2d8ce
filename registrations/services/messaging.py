"""Organizers writing to their attendees: one email per confirmed seat, through the one sender.

Each email is queued by `send_email` once the transaction commits, so a failure halfway through
queues nothing. Logs carry counts and ids, never names or addresses.
"""

import logging

from django.db import transaction

from ..emails import send_email
from ..models import Registration

log = logging.getLogger(__name__)

SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 10_000


def recipients(event):
    """The seats a message to `event`'s attendees goes to: the confirmed ones."""
    return Registration.objects.confirmed().filter(event=event)


def email_attendees(event, subject, body, sender_user):
    """Queue the "organizer_message" email to every confirmed registration of `event`; return how
    many were queued. Held, released and cancelled seats get nothing."""
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise ValueError("A message to attendees needs a subject and a body")
    if len(subject) > SUBJECT_MAX_LENGTH or len(body) > BODY_MAX_LENGTH:
        raise ValueError("The subject or body of a message to attendees is too long")
    seats = list(recipients(event).select_related("order").order_by("pk"))
    with transaction.atomic():
        for registration in seats:
            send_email("organizer_message", registration=registration, message_subject=subject, message_body=body)
    log.info(
        "Organizer message for event %s queued to %d attendees by user %s",
        event.pk,
        len(seats),
        getattr(sender_user, "pk", None),
    )
    return len(seats)
