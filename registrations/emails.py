"""The one email sender.

`send_email(kind, registration=…|order=…|waitlist_entry=…, **extra)` queues a django-tasks task once
the current transaction commits, so a rolled-back change sends nothing. The task (`deliver_email`)
loads the objects again, renders `registrations/email/<kind>_subject.txt`, `<kind>.txt` and
`<kind>.html` in the reader's language, and sends them. A delivery that fails (SMTP down) is tried
again later when the task backend can defer (the database queue); otherwise the task fails and the
failure is recorded by the backend. Logs name kinds and ids, never attendees' names or addresses.

A "certificate" email attaches the attendee's certificate of attendance (skipped when the
registration is no longer eligible for one at delivery time):

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
      application/pdf; name="certificate.pdf"  (attachment)

The buyer's confirmation (the order's first attendee) attaches the order's invoice, and a refund's
email its credit note, the same way (application/pdf; name="invoice-PREFIX-00001.pdf").

Invite emails (confirmation, event_changed, cancellation, handed_on, event_cancelled) are:

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
        text/calendar; method=REQUEST|CANCEL; charset="utf-8"
      application/ics; name="invite.ics"  (attachment)

For "event_changed", "cancellation", "handed_on" and "event_cancelled" the caller increments
`registration.invite_sequence` (and saves it) BEFORE calling `send_email`: the invite is built at
delivery time from the registration as it is then (see invites.py).
"""

import json
import logging
import smtplib
from dataclasses import dataclass
from decimal import Decimal
from email import encoders
from email.mime.base import MIMEBase
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from events.ical import calendar_facts, fingerprint, location_text
from events.mail import send_again_later

from .invites import changes, event_url, invite_calendar, join_url, shows_online_link
from .models import Invoice, Order, Registration, WaitlistEntry, is_erased

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    about: str  # "registration", "order" or "waitlist_entry": what the email is about, and who gets it
    method: str | None = None  # the invite's iTIP method, None for no invite


KINDS = {
    "confirmation": Kind("registration", "REQUEST"),
    "event_changed": Kind("registration", "REQUEST"),
    "cancellation": Kind("registration", "CANCEL"),
    "handed_on": Kind("registration", "CANCEL"),  # the ticket went to someone else (services/transfers.py)
    "event_cancelled": Kind("registration", "CANCEL"),
    "refund": Kind("order"),
    "sold_out_refunded": Kind("order"),
    "payment_failed": Kind("order"),
    "waitlist_confirm": Kind("waitlist_entry"),
    "waitlist_offer": Kind("waitlist_entry"),
    "certificate": Kind("registration"),  # the certificate of attendance attached: see services/certificates.py
    "organizer_message": Kind("registration"),  # written by the organizer: see services/messaging.py
    "evaluation_reminder": Kind("registration"),  # services/evaluations.py; skipped once submitted
}

# Sent only while the seat is still confirmed when the email goes out (it may be cancelled after
# the email was queued): an invite for it, or an organizer's message to its attendees.
CONFIRMED_ONLY = {kind for kind, spec in KINDS.items() if spec.method == "REQUEST"} | {"organizer_message"}


class Email(EmailMultiAlternatives):
    """Writes the calendar part's Content-Type as mail clients' own invites do:
    `text/calendar; charset="utf-8"; method=REQUEST` (the email package would quote the method)."""

    def message(self, *args, **kwargs):
        message = super().message(*args, **kwargs)
        for part in message.walk():
            method = part.get_param("method") if part.get_content_type() == "text/calendar" else None
            if method:
                part.replace_header("Content-Type", f'text/calendar; charset="utf-8"; method={method}')
        return message


# Links in emails: on the event's own Wagtail Site (EventPage.public_url), there is no request.


def ticket_url(registration):
    return registration.event.public_url(reverse("registrations:ticket", args=[registration.ticket_secret]))


def claim_url(entry):
    return entry.event.public_url(reverse("registrations:waitlist_claim", args=[entry.token]))


def confirm_url(entry):
    return entry.event.public_url(reverse("registrations:waitlist_confirm", args=[entry.token]))


def send_email(kind, *, registration=None, order=None, waitlist_entry=None, **extra):
    """Queue the `kind` email, sent once the current transaction commits (at once outside one).

    `extra` must be JSON-serialisable (it travels through the task queue) and reaches the templates
    as it is; "refund" takes `amount` (a string) and `credit_note` (an Invoice id), "waitlist_offer" may take `language`,
    "organizer_message" takes `message_subject` and `message_body` (the organizer's text).
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"Unknown email kind {kind!r}")
    if order is None and registration is not None:
        order = registration.order
    subject = {"registration": registration, "order": order, "waitlist_entry": waitlist_entry}[spec.about]
    if subject is None or subject.pk is None:
        raise ValueError(f"A {kind!r} email needs a saved {spec.about}")
    json.dumps(extra)  # fail now, in the caller, rather than in the queue
    enqueue = partial(
        deliver_email.enqueue,
        kind,
        registration_id=registration.pk if registration is not None else None,
        order_id=order.pk if order is not None else None,
        waitlist_entry_id=waitlist_entry.pk if waitlist_entry is not None else None,
        extra=extra,
    )
    # robust: a queue that cannot take the task must not turn a committed change into an error page.
    transaction.on_commit(enqueue, robust=True)


@task()
def deliver_email(kind, registration_id=None, order_id=None, waitlist_entry_id=None, extra=None, attempt=1):
    """Build and send one email (see `send_email`). Returns "sent", "skipped" or "retrying"."""
    try:
        message = build_email(
            kind, registration_id=registration_id, order_id=order_id, waitlist_entry_id=waitlist_entry_id, extra=extra
        )
    except (Registration.DoesNotExist, Order.DoesNotExist, WaitlistEntry.DoesNotExist):
        log.warning(
            "Email %s not sent: its object is gone (registration=%s order=%s waitlist=%s)",
            kind,
            registration_id,
            order_id,
            waitlist_entry_id,
        )
        return "skipped"
    if message is None:
        return "skipped"
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        if send_again_later(
            deliver_email, attempt, kind, registration_id=registration_id, order_id=order_id,
            waitlist_entry_id=waitlist_entry_id, extra=extra,
        ):  # fmt: skip
            log.warning(
                "Email %s (registration=%s order=%s waitlist=%s) failed, attempt %d: %s; retrying",
                kind,
                registration_id,
                order_id,
                waitlist_entry_id,
                attempt,
                type(error).__name__,
            )
            return "retrying"
        log.error(
            "Email %s (registration=%s order=%s waitlist=%s) failed, attempt %d: %s",
            kind,
            registration_id,
            order_id,
            waitlist_entry_id,
            attempt,
            type(error).__name__,
        )
        raise
    if message.invite_facts:
        # What the attendee's calendar now says: the next publish compares against this.
        Registration.objects.filter(pk=message.registration_id).update(
            invite_fingerprint=fingerprint(message.invite_facts), invite_facts=message.invite_facts
        )
    log.info("Email %s sent (registration=%s order=%s waitlist=%s)", kind, registration_id, order_id, waitlist_entry_id)
    return "sent"


def supported_language(code):
    try:
        return translation.get_supported_language_variant(code or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def build_email(kind, *, registration_id=None, order_id=None, waitlist_entry_id=None, extra=None):
    """The message for `kind`, ready to send; None when it should no longer be sent (an invite
    REQUEST for a registration that is not confirmed any more, a certificate no longer due)."""
    # Here, not at the top: these modules send emails through this one.
    from .services import certificates, evaluations, invoices

    spec = KINDS[kind]
    extra = dict(extra or {})
    registration = order = entry = None
    if spec.about == "registration":
        registration = Registration.objects.select_related(
            "order", "ticket_type", "event__venue", "event__organizer"
        ).get(pk=registration_id)
        order, event, recipient = registration.order, registration.event, registration.email
        name, language = registration.name, order.language
        if kind in CONFIRMED_ONLY and registration.status != Registration.Status.CONFIRMED:
            log.info("Email %s for registration %s skipped: it is %s", kind, registration.pk, registration.status)
            return None
        if kind == "certificate" and not certificates.eligible(registration):
            log.info("Email %s for registration %s skipped: no longer eligible", kind, registration.pk)
            return None
        if kind == "evaluation_reminder" and not evaluations.due(registration):
            log.info("Email %s for registration %s skipped: nothing to evaluate now", kind, registration.pk)
            return None
    elif spec.about == "order":
        order = Order.objects.select_related("event__venue", "event__organizer").get(pk=order_id)
        event, recipient, name, language = order.event, order.buyer_email, order.buyer_name, order.language
    else:
        entry = WaitlistEntry.objects.select_related("ticket_type", "event__venue", "event__organizer").get(
            pk=waitlist_entry_id
        )
        # The waitlist keeps no language: the one it was asked in, else the event's own.
        event, recipient, name = entry.event, entry.email, entry.name
        language = extra.pop("language", None) or event.language

    if is_erased(recipient):  # queued before its person's data was erased (services/erasure.py)
        log.info("Email %s skipped: its recipient's data was erased", kind)
        return None
    language = supported_language(language)
    with translation.override(language):
        shown = event.localized  # its page in the reader's language, where the event has one
        context = {
            **extra,
            "kind": kind,
            "language": language,
            "name": name,
            "event": shown,
            "event_url": event_url(shown),
            "sessions": event.ordered_sessions,
            "location": location_text(event),
            "organizer": event.organizer if event.organizer_id else None,
            "registration": registration,
            "order": order,
            "entry": entry,
        }
        if registration is not None:
            context["ticket_type"] = registration.ticket_type
            context["ticket_url"] = ticket_url(registration)
            context["evaluation_url"] = event.public_url(
                reverse("registrations:ticket_evaluation", args=[registration.ticket_secret])
            )
            context["online_url"] = (
                join_url(registration, event) if shows_online_link(registration, event, spec.method) else ""
            )
        if order is not None:
            context["amount"] = Decimal(str(extra["amount"])) if "amount" in extra else order.total
            context["currency"] = order.currency
            context["documents"] = documents(kind, order, registration, extra)
        if kind == "event_changed":
            context["changes"] = changes(extra.get("previous"), event)
        if kind == "certificate":
            context["certificate"] = certificates.details(registration)
        if entry is not None:
            context["ticket_type"] = entry.ticket_type
            context["claim_url"] = claim_url(entry)
            context["confirm_url"] = confirm_url(entry)
            context["offer_expires_at"] = entry.offer_expires_at

        template = f"registrations/email/{kind}"
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        context["subject"] = subject
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
        ics = invite_calendar(registration, spec.method, event=event) if spec.method else None

    organizer_email = event.organizer.email if event.organizer_id else ""
    message = Email(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        reply_to=[organizer_email] if organizer_email else None,
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    message.registration_id = registration.pk if registration is not None else None
    message.invite_facts = None
    if kind == "certificate":
        message.attach("certificate.pdf", certificates.render_pdf(registration), "application/pdf")
    for document in context.get("documents", ()):  # the order's invoice, a refund's credit note
        message.attach(invoices.pdf_name(document), invoices.render_pdf(document), "application/pdf")
    if ics is not None:
        message.attach_alternative(ics.decode(), f"text/calendar; method={spec.method}")
        message.attach(ics_attachment(ics))
        if spec.method == "REQUEST":
            message.invite_facts = calendar_facts(event)
    return message


def documents(kind, order, registration, extra):
    """The PDFs an email carries: the order's invoice with the buyer's confirmation (the order's
    first attendee), a refund's credit note with the refund's email."""
    if kind == "confirmation":
        first = order.registrations.order_by("pk").values_list("pk", flat=True).first()
        return list(order.invoices.filter(kind=Invoice.Kind.INVOICE)) if first == registration.pk else []
    if "credit_note" in extra:
        return list(order.invoices.filter(pk=extra["credit_note"]))
    return []


def ics_attachment(ics, filename="invite.ics"):
    part = MIMEBase("application", "ics", name=filename)
    part.set_payload(ics)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part
