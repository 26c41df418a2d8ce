"""Certificates of attendance: who may have one, its verification code, the PDF, and emailing them.

A certificate exists once `registration.certificate_code` is set. `issue` sets it once, under a
row lock, and never changes it: the code is what the public verification page looks up, so it is
random (192 bits from the OS) and never derived from an id. Issuing is logged on the order
("certificate_issued"), and that entry's time is the certificate's issue date. Emailing one is
logged too ("certificate_emailed", {"registration": id}), which is how `email_certificates` knows
whom it has already sent one, so running it twice sends nothing twice.

The PDF is rendered by WeasyPrint from `registrations/certificates/certificate.html` in the
language the attendee registered in, with no external resources (the organizer's logo is embedded).
"""

import base64
import logging
import secrets
from decimal import Decimal

from babel.dates import format_date
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from ..emails import send_email, supported_language
from ..models import CheckIn, OrderLogEntry, Registration, is_erased
from . import credit, evaluations
from .attendance import CORRECTED, credited_sessions, hours_attended

log = logging.getLogger(__name__)

TEMPLATE = "registrations/certificates/certificate.html"
CODE_BYTES = 24  # 192 bits: 32 URL-safe characters
CODE_MAX_LENGTH = 64  # the model field's; a longer "code" cannot exist
ISSUED = "certificate_issued"
EMAILED = "certificate_emailed"
LOGO_RENDITION = "max-800x240|format-png"


class NotEligible(Exception):
    """This registration has no certificate (yet); the message says why, for the attendee."""


# Who may have one


class Availability:
    AVAILABLE = "available"
    NOT_CONFIRMED = "not_confirmed"
    NOT_ENDED = "not_ended"
    NOT_ATTENDED = "not_attended"
    NOT_EVALUATED = "not_evaluated"  # the event requires its evaluation first (services/evaluations.py)


def availability(registration, now=None, attended=None):
    """Whether the certificate can be had now, or the first reason it cannot (`Availability`).
    `attended`: whether any of the attendance counts (credit.credited), when the caller read it already."""
    now = now or timezone.now()
    event = registration.event
    if registration.status != Registration.Status.CONFIRMED or is_erased(registration.email):
        return Availability.NOT_CONFIRMED
    if event.end is None or event.end >= now:
        return Availability.NOT_ENDED
    if not (credited_sessions(registration) if attended is None else attended):
        return Availability.NOT_ATTENDED
    if evaluations.required_and_missing(registration):
        return Availability.NOT_EVALUATED
    return Availability.AVAILABLE


def eligible(registration, now=None, attended=None):
    """Confirmed (and not erased), the event is over, some of the attendance counts under the event's
    rules (services/credit.py), and the evaluation was submitted when the event requires one."""
    return availability(registration, now, attended) == Availability.AVAILABLE


def eligible_registrations(event, now=None):
    """The event's registrations that are `eligible`, as one query (the same rule)."""
    now = now or timezone.now()
    if event.end is None or event.end >= now:
        return Registration.objects.none()
    attended = CheckIn.objects.active().filter(registration__event=event)
    if event.minimum_attendance or event.attendance_credit != event.Credit.SESSION:  # the times matter
        attended = {check_in.registration_id for check_in in credit.credited(attended.select_related("session"), event)}
    else:
        attended = attended.values("registration_id")
    found = event.registrations.confirmed().filter(pk__in=attended)
    if event.evaluation_required and evaluations.asks(event):
        found = found.filter(evaluated_at__isnull=False)
    return found


# Issuing


def new_code():
    return secrets.token_urlsafe(CODE_BYTES)


def issue(registration):
    """The registration's certificate code, made the first time (idempotent; refuses the ineligible)."""
    if registration.certificate_code:
        return registration.certificate_code
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if not locked.certificate_code:
            if not eligible(locked):
                raise NotEligible(unavailable_message(locked))
            locked.certificate_code = new_code()
            locked.save(update_fields=["certificate_code"])
            locked.order.log(ISSUED, registration=locked.pk)
    registration.certificate_code = locked.certificate_code
    return registration.certificate_code


def find(code):
    """The registration holding certificate `code`, or None (any string is safe to pass)."""
    if not code or len(code) > CODE_MAX_LENGTH or "\x00" in code:  # PostgreSQL refuses NUL in text
        return None
    return (
        Registration.objects.select_related("event", "event__venue", "event__organizer", "order")
        .filter(certificate_code=code)
        .first()
    )


def issued_at(registration):
    """When the certificate was issued (the order log), else when the event ended."""
    at = (
        OrderLogEntry.objects.filter(
            order_id=registration.order_id, action=ISSUED, detail__registration=registration.pk
        )
        .values_list("at", flat=True)
        .first()
    )
    return at or registration.event.end


def reissued_at(registration):
    """When staff last corrected the attendance after the certificate was issued (its hours then
    changed: the verification page and the PDF say it was reissued), else None."""
    if not registration.certificate_code:
        return None
    return (
        OrderLogEntry.objects.filter(
            order_id=registration.order_id, action=CORRECTED, detail__registration=registration.pk,
            at__gt=issued_at(registration),
        )
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )  # fmt: skip


def verification_url(event, code):
    """Where anyone checks the certificate: on the event's own Wagtail Site."""
    return event.public_url(reverse("registrations:certificate_verify", args=[code]))


# What a certificate says (the PDF, the verification page and the email share it)


def format_hours(hours):
    """3.50 -> "3.5", 6.00 -> "6", in the active language's way (3,5 in Spanish)."""
    if hours is None:
        return ""
    return formats.number_format(Decimal(f"{Decimal(hours).normalize():f}"), use_l10n=True)


def long_date(value):
    """A date written out in the active language (November 22, 2026; 22 de noviembre de 2026)."""
    return format_date(value, "long", locale=translation.to_locale(translation.get_language() or "en"))


def format_dates(event):
    """The event's first and last day in its own zone, in the active language."""
    if event.start is None:
        return ""
    first = timezone.localtime(event.start, event.zone).date()
    last = timezone.localtime(event.end, event.zone).date()
    return long_date(first) if first == last else f"{long_date(first)} – {long_date(last)}"


def place(event):
    """The venue's name and city, or "Online" (both, for a hybrid event)."""
    venue = event.venue if event.venue_id else None
    in_person = f"{venue.name}, {venue.city}" if venue and event.format != event.Format.ONLINE else ""
    online = _("Online") if event.is_online or not in_person else ""
    return " · ".join(part for part in (in_person, online) if part)


def details(registration):
    """Everything a certificate states; call it inside the reader's language."""
    event = registration.event
    organizer = event.organizer if event.organizer_id else None
    issued = issued_at(registration)
    reissued = reissued_at(registration)
    code = registration.certificate_code
    return {
        "registration": registration,
        "event": event,
        "name": registration.name,
        "licence_number": registration.licence_number,
        "profession": registration.profession,
        "dates": format_dates(event),
        "place": place(event),
        "hours_attended": format_hours(hours_attended(registration)),
        "ce_hours": format_hours(event.ce_hours) if event.ce_hours else "",
        "ce_accreditor": event.ce_accreditor,
        "organizer": organizer,
        "issued_at": long_date(timezone.localtime(issued, event.zone).date()) if issued else "",
        "reissued_at": long_date(timezone.localtime(reissued, event.zone).date()) if reissued else "",
        "code": code,
        "verification_url": verification_url(registration.event, code) if code else "",
    }


def language_of(registration):
    """The language the attendee registered in, if the site speaks it."""
    return supported_language(registration.order.language)


def unavailable_message(registration, now=None):
    """Why there is no certificate yet, for the attendee (in the active language)."""
    reason = availability(registration, now)
    event = registration.event
    if reason == Availability.NOT_CONFIRMED:
        return _("Certificates of attendance are issued for confirmed registrations only.")
    if reason == Availability.NOT_ENDED:
        if event.end is None:
            return _("Your certificate of attendance will be available once the event has ended.")
        ends = timezone.localtime(event.end, event.zone)
        return _(
            "Your certificate of attendance will be available after the event ends, on %(date)s at %(time)s (%(zone)s)."
        ) % {
            "date": long_date(ends.date()),
            "time": formats.time_format(ends.time(), "TIME_FORMAT"),
            "zone": event.time_zone,
        }
    if reason == Availability.NOT_ATTENDED:
        return _("We have no record of your attendance at this event. If you were there, please contact the organizer.")
    if reason == Availability.NOT_EVALUATED:
        return _("Your certificate of attendance will be available once you have completed the event's evaluation.")
    return ""


# The PDF


def logo_data_uri(organizer):
    """The organizer's logo as a data: URI (WeasyPrint fetches nothing), or "" when there is none."""
    logo = organizer.logo if organizer is not None and organizer.logo_id else None
    if logo is None:
        return ""
    try:
        if logo.is_svg():
            with logo.open_file() as file:
                data, mime = file.read(), "image/svg+xml"
        else:
            rendition = logo.get_rendition(LOGO_RENDITION)
            with rendition.file.open("rb") as file:
                data, mime = file.read(), "image/png"
    except Exception:  # a missing or broken image file must never stop a certificate
        log.warning("Certificate logo of organizer %s could not be read; left out", organizer.pk, exc_info=True)
        return ""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def render_pdf(registration):
    """The certificate as PDF bytes, in the attendee's language (issuing the code if needed)."""
    from weasyprint import HTML  # loaded on first use: it brings in pango, which web processes rarely need
    from weasyprint.urls import URLFetcher

    issue(registration)
    with translation.override(language_of(registration)):
        context = details(registration)
        context["language"] = translation.get_language()
        context["logo"] = logo_data_uri(context["organizer"])
        html = render_to_string(TEMPLATE, context)
    # Only data: URIs: a certificate never reaches out to the network or the file system.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


# Emailing them all


def emailed(registration):
    return OrderLogEntry.objects.filter(
        order_id=registration.order_id, action=EMAILED, detail__registration=registration.pk
    ).exists()


def awaiting_email(event, now=None):
    """The eligible registrations of `event` that have not been emailed a certificate."""
    sent = {
        entry.detail.get("registration")
        for entry in OrderLogEntry.objects.filter(order__event=event, action=EMAILED).only("detail")
    }
    return [r for r in eligible_registrations(event, now).order_by("pk") if r.pk not in sent]


def email_certificates(event, user=None):
    """Issue and queue a certificate email (PDF attached) for each eligible attendee not yet sent
    one; returns how many were queued. Each is decided under its registration's row lock, so two
    organizers pressing the button at once still send one email each."""
    queued = 0
    for candidate in awaiting_email(event):
        with transaction.atomic():
            registration = Registration.objects.select_for_update().get(pk=candidate.pk)
            if not eligible(registration) or emailed(registration):
                continue
            issue(registration)
            registration.order.log(EMAILED, user=user, registration=registration.pk)
            send_email("certificate", registration=registration)
        queued += 1
    log.info("Certificates queued for event %s: %d", event.pk, queued)
    return queued
