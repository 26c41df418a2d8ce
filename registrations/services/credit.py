"""What attendance earns: the one rule behind the certificate's hours, the attendance export and the
CE transcript.

A check-in covers its session from the attendee's arrival (`arrived_at`: the door's scan, joining
through the personal online link; blank: from the start) to their leaving (`left_at`: a check-out
scan, a staff correction; blank: to the end), clamped to the session. Under the event's rules:

- `attendance_codes`: joining online counts only once the session's code was entered;
- `minimum_attendance` (percent): a session whose attended share is below it earns nothing;
- `attendance_credit`: "session" earns each session that counts in full, "minute" earns the whole
  minutes attended.

The sum is capped at the event's CE hours when it offers any. With the defaults (whole sessions,
no minimum) any check-in earns its session in full, whatever the times say.
"""

from decimal import Decimal

from events.models import EventPage

MINUTE = Decimal(60)


def minutes_attended(check_in):
    """Whole minutes of its session the check-in covers (see above)."""
    session = check_in.session
    arrived = max(check_in.arrived_at or session.start, session.start)
    left = min(check_in.left_at or session.end, session.end)
    return max(0, int((left - arrived).total_seconds() // 60))


def session_minutes(session):
    return int((session.end - session.start).total_seconds() // 60)


def counts(check_in, event):
    """Whether the check-in's session counts at all: joined online, with the attendance code when the
    event asks for one; and the minimum share met."""
    if event.attendance_codes and check_in.method == "online" and check_in.code_entered_at is None:
        return False
    if not event.minimum_attendance:
        return True
    return minutes_attended(check_in) * 100 >= event.minimum_attendance * session_minutes(check_in.session)


def hours(check_in, event):
    """The hours one check-in earns, before the event's cap."""
    if not counts(check_in, event):
        return Decimal(0)
    if event.attendance_credit == EventPage.Credit.MINUTE:
        return Decimal(minutes_attended(check_in)) / MINUTE
    return check_in.session.hours


def credited(check_ins, event):
    """The check-ins (active, with their sessions loaded) that earn something."""
    return [check_in for check_in in check_ins if hours(check_in, event) > 0]


def total_hours(check_ins, event):
    """What `check_ins` earn in all, capped at the event's CE hours when it offers any, to 0.01."""
    total = sum((hours(check_in, event) for check_in in check_ins), start=Decimal(0))
    if event.ce_hours:
        total = min(total, event.ce_hours)
    return total.quantize(Decimal("0.01"))
