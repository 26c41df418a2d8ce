"""Attendance records as spreadsheet rows: one row per registration of one event.

Names, emails, professions and licence numbers are typed by attendees, so every text cell goes
through `escape_formula`: a spreadsheet must show `=HYPERLINK(…)` as text, never run it.
The rows are built from four queries whatever the number of registrations (registrations with
their ticket type and order, their orders' refunds, then their active check-ins with sessions).
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import CheckIn, Order, Registration
from . import credit

# Column keys, in order, with their headings.
COLUMNS = {
    "name": _("Name"),
    "email": _("Email"),
    "profession": _("Profession"),
    "licence_number": _("Licence number"),
    "ticket_type": _("Ticket type"),
    "status": _("Status"),
    "amount_paid": _("Amount paid"),
    "tax": _("Tax in it"),
    "refunded": _("Refunded"),
    "net_paid": _("Net paid"),
    "sessions_attended": _("Sessions attended"),
    "hours_attended": _("Hours attended"),
    "check_in_times": _("Check-in times"),
    "left_times": _("Check-out times"),
    "marketing": _("Wants the organizer's news"),
}
QUESTION = "question:"  # then the EventQuestion's key: one column per question of the event


def columns(event):
    """COLUMNS, then one per question the event asks (headed by the question as the event words it)."""
    return {**COLUMNS, **{QUESTION + question.key: question.label for question in event.questions.all()}}


def answer_text(answer):
    """A stored answer as a cell shows it: choices joined, yes/no in words."""
    if isinstance(answer, bool):
        return str(_("Yes") if answer else _("No"))
    if isinstance(answer, list):
        return SEPARATOR.join(answer)
    return "" if answer is None else str(answer)


# What a spreadsheet takes as the start of a formula (OWASP's list: tab and carriage return too).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

SEPARATOR = "; "


def escape_formula(value):
    """`value` with a leading `'` when a spreadsheet would read it as a formula; other values as
    they are. Idempotent: an escaped value starts with `'` and is left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def was_paid(order):
    """Money came for this order: it is paid, or it was paid and later cancelled."""
    return order.status == Order.Status.PAID or (order.status == Order.Status.CANCELLED and order.paid_at is not None)


def amount_paid(registration):
    """What the seat cost, tax included, when its order was paid and the seat was confirmed (even if
    later cancelled); None when nothing was paid for it (held, released, or never paid)."""
    paid_seat = registration.status in (Registration.Status.CONFIRMED, Registration.Status.CANCELLED)
    return registration.charged if paid_seat and was_paid(registration.order) else None


def seat_amounts(registrations):
    """{registration id: (paid, refunded)}: what each seat brought in and what went back to the
    buyer (both None for a seat nothing was paid for).

    A refund belongs to an order, not to a seat: the order's refunds that succeeded are set
    against its paid seats, cancelled seats first (cancelling a seat refunds it), each up to its
    price. A one-seat order, the usual case, is exact."""
    by_order = defaultdict(list)
    for registration in registrations:
        by_order[registration.order_id].append(registration)
    amounts = {}
    for seats in by_order.values():
        left = Decimal(seats[0].order.refunded_amount())
        for registration in sorted(seats, key=lambda r: (r.status != Registration.Status.CANCELLED, r.pk)):
            paid = amount_paid(registration)
            refunded = None if paid is None else min(paid, left).quantize(paid)
            if refunded is not None:
                left -= refunded
            amounts[registration.pk] = (paid, refunded)
    return amounts


def session_label(session, zone):
    """The session's title, else its start in the event's zone (`2031-06-12 10:00`)."""
    return session.title or timezone.localtime(session.start, zone).strftime("%Y-%m-%d %H:%M")


def attendance_registrations(event):
    active_check_ins = CheckIn.objects.active().select_related("session").order_by("at", "pk")
    return (
        Registration.objects.filter(event=event)
        .select_related("ticket_type", "order")
        .prefetch_related(
            "order__refunds", Prefetch("check_ins", queryset=active_check_ins, to_attr="active_check_ins")
        )
        .order_by(Lower("name"), "pk")
    )


def attendance_rows(event):
    """One dict per registration of `event` (keys: `columns(event)`), ready for a spreadsheet: text escaped,
    money and hours as Decimal, times as ISO 8601 in the event's zone."""
    zone = event.zone
    questions = [question.key for question in event.questions.all()]
    rows = []
    registrations = list(attendance_registrations(event))
    amounts = seat_amounts(registrations)
    for registration in registrations:
        paid, refunded = amounts[registration.pk]
        check_ins = registration.active_check_ins
        sessions = sorted({check_in.session for check_in in check_ins}, key=lambda s: (s.start, s.pk))
        row = {
            "name": registration.name,
            "email": registration.email,
            "profession": registration.profession,
            "licence_number": registration.licence_number,
            "ticket_type": registration.ticket_type.name,
            "status": str(registration.get_status_display()),
            "amount_paid": paid,
            "tax": None if paid is None else registration.tax,
            "refunded": refunded,
            "net_paid": None if paid is None else paid - refunded,
            "sessions_attended": SEPARATOR.join(session_label(session, zone) for session in sessions),
            "hours_attended": credit.total_hours(check_ins, event),
            "check_in_times": SEPARATOR.join(
                timezone.localtime(check_in.at, zone).isoformat(timespec="seconds") for check_in in check_ins
            ),
            "left_times": SEPARATOR.join(
                timezone.localtime(check_in.left_at, zone).isoformat(timespec="seconds")
                for check_in in check_ins
                if check_in.left_at
            ),
            "marketing": answer_text(bool(registration.order.consents.get("marketing"))),
            **{QUESTION + key: answer_text(registration.answers.get(key)) for key in questions},
        }
        rows.append({key: escape_formula(value) for key, value in row.items()})
    return rows
