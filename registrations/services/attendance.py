"""Attendance: which sessions each attendee was at, and the hours that makes."""

from decimal import Decimal

from ..models import CheckIn


def attended_sessions(registration):
    """The sessions with an active (not undone) check-in for this registration."""
    return [
        check_in.session
        for check_in in CheckIn.objects.active().filter(registration=registration).select_related("session")
    ]


def hours_attended(registration):
    """Hours of the sessions attended, capped at the event's CE hours when it offers any."""
    hours = sum((session.hours for session in attended_sessions(registration)), start=Decimal(0))
    cap = registration.event.ce_hours
    if cap:
        hours = min(hours, cap)
    return hours.quantize(Decimal("0.01"))
