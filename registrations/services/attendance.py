"""Attendance: checking people in at the door, which sessions each attendee was at, and the hours
that makes.

The locking rule for check-in, written once and obeyed by `redeem`, `undo` and `mark_attended`:

    inside one transaction, first lock the registration's row (SELECT ... FOR UPDATE on
    PostgreSQL; on SQLite the IMMEDIATE transaction already holds the database's write lock),
    then look for an active check-in for that session, then write.

Two phones scanning the same ticket at once therefore answer "ok" once and "already" after it:
the second waits for the first's commit and then sees its check-in. The partial unique constraint
on CheckIn (one active check-in per registration and session) is the last guard: should a write
ever slip past the lock, the database refuses it and the scan answers "already".

Nothing is deleted: an undo marks the check-in undone (when, by whom), so the door's log stays
complete and the person can be checked in again.
"""

import datetime as dt
import hashlib
import hmac
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import EventPage

from ..models import DOOR_CODE_ALPHABET, DOOR_CODE_LENGTH, CheckIn, Registration
from . import credit
from .exports import answer_text

log = logging.getLogger(__name__)

MAX_SECRET_LENGTH = 200  # ours are 43 characters; anything far longer is not one of ours
SEARCH_LIMIT = 20
METHODS = ("scan", "typed", "search", "bulk")


class Result:
    OK = "ok"
    ALREADY = "already"
    UNPAID = "unpaid"
    CANCELLED = "cancelled"
    HANDED_ON = "handed_on"
    WRONG_EVENT = "wrong_event"
    UNKNOWN = "unknown"
    LEFT = "left"  # a check-out scan: `left_at` recorded
    NOT_IN = "not_in"  # a check-out scan of someone not checked in at the session


class BadSession(ValueError):
    """The session asked for is not one of this event's (or the event has none): a bad request."""


# Reading attendance


def active_check_ins(registration):
    """The registration's active (not undone) check-ins, with their sessions."""
    return list(CheckIn.objects.active().filter(registration=registration).select_related("session"))


def attended_sessions(registration):
    """The sessions with an active (not undone) check-in for this registration."""
    return [check_in.session for check_in in active_check_ins(registration)]


def credited_sessions(registration):
    """The sessions whose attendance counts under the event's rules (services/credit.py)."""
    return [check_in.session for check_in in credit.credited(active_check_ins(registration), registration.event)]


def hours_attended(registration):
    """The hours the attendance earns under the event's rules, capped at its CE hours (credit.py)."""
    return credit.total_hours(active_check_ins(registration), registration.event)


def session_counts(event, session):
    """Checked in (at `session`) and confirmed: what the door shows as "12 / 40"."""
    confirmed = Registration.objects.confirmed().filter(event=event)
    checked_in = CheckIn.objects.active().filter(session=session, registration__in=confirmed)
    return {"checked_in": checked_in.count(), "confirmed": confirmed.count()}


def recent_check_ins(event, session, limit=20):
    """The latest active check-ins at `session`, newest first, for the door's list."""
    return (
        CheckIn.objects.active()
        .filter(session=session, registration__event=event)
        .select_related("registration", "operator")
        .order_by("-at", "-pk")[:limit]
    )


# Choosing the session


def current_session(event, now=None):
    """The session happening now, else the next one starting later today (in the event's zone),
    else the first: the one the door most likely means."""
    sessions = event.ordered_sessions
    if not sessions:
        return None
    now = now or timezone.now()
    for session in sessions:
        if session.start <= now < session.end:
            return session
    today = timezone.localtime(now, event.zone).date()
    for session in sessions:
        if session.start > now and timezone.localtime(session.start, event.zone).date() == today:
            return session
    return sessions[0]


def session_of(event, session_id):
    """`session_id` as one of this event's sessions (None: the current one); BadSession otherwise."""
    if session_id is None:
        session = current_session(event)
        if session is None:
            raise BadSession(_("This event has no sessions."))
        return session
    session = next((s for s in event.ordered_sessions if s.pk == session_id), None)
    if session is None:
        raise BadSession(_("That session is not part of this event."))
    return session


# Checking in


def operator_name(user):
    """How a check-in names who made it: a person's name, never an email address."""
    if user is None:
        return ""
    name = user.get_full_name().strip()
    if name:
        return name
    return user.get_username().split("@", 1)[0]


def iso(moment):
    return moment.isoformat() if moment else None


def redeem(event, secret, session_id, operator, method="scan", leaving=False):
    """Check in the ticket whose secret is `secret` at a session of `event` (None: the current one);
    or, `leaving`, check it out: its active check-in there records the time they left ("left"; a
    later scan moves it), and someone never checked in there is "not_in".

    Returns a dict: `result` (see Result), `name`, `checked_in_at` (ISO 8601 or None), `session`;
    with `check_in` (its id) for "ok" and "already", and `checked_in_by` for "already"; `event` (the
    ticket's own event's title) for "wrong_event". Raises BadSession for a session not of `event`.
    Idempotent: the same ticket twice gives "ok", then "already".
    """
    session = session_of(event, session_id)
    secret = "".join(str(secret or "").split())
    if not secret or len(secret) > MAX_SECRET_LENGTH or "\x00" in secret:  # PostgreSQL refuses NUL in text
        return answer(Result.UNKNOWN, session)
    code = door_code(secret)
    if code is None:
        return _check_in(event, session, operator, method, Q(ticket_secret=secret), leaving)
    # A door code is unique within its event: this event's ticket, else another's (the wrong door).
    here = Registration.objects.filter(door_code=code, event=event).values_list("pk", flat=True).first()
    elsewhere = here or Registration.objects.filter(door_code=code).values_list("pk", flat=True).first()
    return _check_in(event, session, operator, method, Q(pk=elsewhere) if elsewhere else Q(pk__in=[]), leaving)


def readable(typed):
    """A typed code read the forgiving way (door codes, attendance codes): any case, dashes and spaces
    ignored, O read as 0 and I or L as 1, as Crockford's base32 reads."""
    return (
        "".join(str(typed or "").split()).upper().replace("-", "").replace("O", "0").replace("I", "1").replace("L", "1")
    )


def door_code(typed):
    """The door code `typed` stands for, read the forgiving way (any case, with or without dashes
    and spaces, O for 0 and I or L for 1, as Crockford's base32 reads), or None if it is not one."""
    code = readable(typed)
    if len(code) != DOOR_CODE_LENGTH or any(char not in DOOR_CODE_ALPHABET for char in code):
        return None
    return code


def redeem_registration(event, registration_id, session_id, operator, method="search", leaving=False):
    """As `redeem`, for a registration staff found by name: only this event's are found."""
    session = session_of(event, session_id)
    return _check_in(event, session, operator, method, Q(pk=registration_id, event=event), leaving)


def door_notes(registration):
    """The attendee's answers to the questions the event shows at check-in ("Access needs: ramp")."""
    return [
        {"question": question.label, "answer": answer_text(registration.answers[question.key])}
        for question in registration.event.questions.filter(at_check_in=True)
        if question.key in registration.answers  # unanswered questions are not stored (AttendeeForm.attendee)
    ]


def answer(result, session, registration=None, check_in=None, **extra):
    shown = registration is not None and result != Result.WRONG_EVENT
    return {
        "result": result,
        "name": registration.name if registration is not None else "",
        "notes": door_notes(registration) if shown and registration.answers else [],
        "checked_in_at": iso(check_in.at) if check_in is not None else None,
        "session": session.pk,
        **({"check_in": check_in.pk} if check_in is not None else {}),
        **extra,
    }


def _check_in(event, session, operator, method, lookup, leaving=False):
    if method not in METHODS:
        method = "scan"
    with transaction.atomic():
        registration = Registration.objects.select_for_update().filter(lookup).first()
        if registration is None:
            return answer(Result.UNKNOWN, session)
        if registration.event_id != event.pk:
            # The person is at the wrong door: say which event the ticket is for, so staff can send them on.
            title = EventPage.objects.filter(pk=registration.event_id).values_list("title", flat=True).first()
            return answer(Result.WRONG_EVENT, session, registration, event=title or "")
        if registration.status in (Registration.Status.HELD, Registration.Status.RELEASED):
            return answer(Result.UNPAID, session, registration)
        if registration.status == Registration.Status.HANDED_ON:
            return answer(Result.HANDED_ON, session, registration)
        if registration.status != Registration.Status.CONFIRMED:  # only a confirmed ticket gets in
            return answer(Result.CANCELLED, session, registration)
        existing = active_check_in(registration, session)
        if leaving:
            return _check_out(session, registration, existing)
        if existing is not None:
            return already(session, registration, existing)
        try:
            with transaction.atomic():
                now = timezone.now()
                check_in = CheckIn.objects.create(
                    registration=registration, session=session, operator=operator, method=method, at=now, arrived_at=now
                )
        except IntegrityError:
            # The unique constraint caught a concurrent check-in the lock did not (it should not happen).
            return already(session, registration, active_check_in(registration, session))
    log.info("Check-in %s: registration %s at session %s (%s)", check_in.pk, registration.pk, session.pk, method)
    return answer(Result.OK, session, registration, check_in)


def _check_out(session, registration, check_in):
    """The departure of someone checked in at `session` (under the registration's lock)."""
    if check_in is None:
        return answer(Result.NOT_IN, session, registration)
    check_in.left_at = timezone.now()
    check_in.save(update_fields=["left_at"])
    log.info("Check-out %s: registration %s left session %s", check_in.pk, registration.pk, session.pk)
    return answer(Result.LEFT, session, registration, check_in, left_at=iso(check_in.left_at))


# Joining online


JOIN_OPENS_BEFORE = dt.timedelta(minutes=15)


def joinable_session(event, now=None):
    """The session an online attendee may join now: from JOIN_OPENS_BEFORE its start to its end."""
    now = now or timezone.now()
    return next((s for s in event.ordered_sessions if s.start - JOIN_OPENS_BEFORE <= now < s.end), None)


def may_join_online(registration):
    event = registration.event
    return registration.status == Registration.Status.CONFIRMED and event.is_online and bool(event.online_url)


def join_online(registration, session):
    """The attendee joins `session` through their personal link: the time they joined is their
    arrival (a check-in by the method "online"); joining again keeps the first arrival."""
    with transaction.atomic():
        Registration.objects.select_for_update().filter(pk=registration.pk).first()
        existing = active_check_in(registration, session)
        if existing is not None:
            return existing
        now = timezone.now()
        check_in = CheckIn.objects.create(
            registration=registration, session=session, method="online", at=now, arrived_at=now
        )
    log.info("Check-in %s: registration %s joined session %s online", check_in.pk, registration.pk, session.pk)
    return check_in


# Attendance codes: shown during a session, entered by attendees on their ticket


CODE_LENGTH = 6
CODE_GRACE = dt.timedelta(minutes=30)  # after the session's end, for those who type slowly


class WrongCode(ValueError):
    """Not the code of a session open for codes now."""


def attendance_code(session):
    """The session's code: derived from its id and the site's secret key (nothing to store, the same
    on every screen; unguessable without the key), in the door code's unambiguous alphabet."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"attendance-code:{session.pk}".encode(), hashlib.sha256)
    number = int.from_bytes(digest.digest()[:8], "big")
    return "".join(DOOR_CODE_ALPHABET[(number >> (5 * i)) & 31] for i in range(CODE_LENGTH))


def code_session(event, now=None):
    """The session whose code may be entered now: from its start to CODE_GRACE after its end."""
    now = now or timezone.now()
    return next((s for s in event.ordered_sessions if s.start <= now < s.end + CODE_GRACE), None)


def may_enter_code(registration):
    return registration.status == Registration.Status.CONFIRMED and registration.event.attendance_codes


def enter_code(registration, typed, now=None):
    """The attendee typed `typed` on their ticket: if it is the code of the session open for codes,
    their attendance there is confirmed (their online check-in gets `code_entered_at`, or a check-in
    by the method "code" is made) and the session returned; else WrongCode."""
    now = now or timezone.now()
    session = code_session(registration.event, now)
    if session is None or not hmac.compare_digest(readable(typed).encode(), attendance_code(session).encode()):
        raise WrongCode
    with transaction.atomic():
        Registration.objects.select_for_update().filter(pk=registration.pk).first()
        existing = active_check_in(registration, session)
        if existing is None:
            CheckIn.objects.create(registration=registration, session=session, method="code", code_entered_at=now)
        elif existing.code_entered_at is None:
            existing.code_entered_at = now
            existing.save(update_fields=["code_entered_at"])
    return session


def active_check_in(registration, session):
    return (
        CheckIn.objects.active().filter(registration=registration, session=session).select_related("operator").first()
    )


def already(session, registration, check_in):
    by = operator_name(check_in.operator) if check_in is not None else ""
    return answer(Result.ALREADY, session, registration, check_in, checked_in_by=by)


def undo(check_in, operator):
    """Mark a mistaken check-in undone (kept, with who undid it and when). Undoing twice changes nothing."""
    with transaction.atomic():
        Registration.objects.select_for_update().filter(pk=check_in.registration_id).first()
        check_in = CheckIn.objects.select_for_update().get(pk=check_in.pk)
        if check_in.undone_at is None:
            check_in.undone_at = timezone.now()
            check_in.undone_by = operator
            check_in.save(update_fields=["undone_at", "undone_by"])
            log.info("Check-in %s undone", check_in.pk)
    return check_in


def mark_attended(registrations, session, operator):
    """Organizers mark several confirmed attendees as present at `session` (method "bulk").

    Skips anyone already checked in there, anyone not confirmed, and anyone of another event.
    Returns the check-ins made.
    """
    ids = [r.pk if isinstance(r, Registration) else r for r in registrations]
    with transaction.atomic():
        locked = list(
            Registration.objects.select_for_update()
            .filter(pk__in=ids, event_id=session.page_id, status=Registration.Status.CONFIRMED)
            .order_by("pk")
        )
        present = set(
            CheckIn.objects.active()
            .filter(session=session, registration__in=locked)
            .values_list("registration_id", flat=True)
        )
        now = timezone.now()
        made = CheckIn.objects.bulk_create(
            CheckIn(registration=r, session=session, operator=operator, method="bulk", at=now)
            for r in locked
            if r.pk not in present
        )
    log.info("Marked %d attended at session %s", len(made), session.pk)
    return made


def search(event, query, limit=SEARCH_LIMIT):
    """Confirmed and held registrations of `event` whose name or email contains `query`."""
    query = " ".join(str(query or "").replace("\x00", "").split())[:100]  # PostgreSQL refuses NUL in text
    if len(query) < 2:
        return Registration.objects.none()
    words = Q()
    for word in query.split(" "):
        words &= Q(name__icontains=word) | Q(email__icontains=word)
    return (
        Registration.objects.filter(
            words, event=event, status__in=(Registration.Status.CONFIRMED, Registration.Status.HELD)
        )
        .select_related("ticket_type")
        .order_by("name", "pk")[:limit]
    )


def check_ins_at(session, registrations):
    """{registration id: its active check-in at `session`} for the given registrations."""
    return {
        c.registration_id: c
        for c in CheckIn.objects.active()
        .filter(session=session, registration__in=list(registrations))
        .select_related("operator")
    }


# Staff corrections


CORRECTED = "attendance_corrected"  # the order log's action: who, why, and the hours before and after


def correct(registration, sessions, reason, operator):
    """Staff set what `registration` attended: `sessions` is {session: None (absent) or (arrived,
    left)} (either time None: from the start, to the end). Check-ins are made, retimed or undone
    (method "corrected"), under the registration's lock; the change is logged on the order with
    `reason` and the hours before and after, which the certificate's verification page shows as a
    reissue. Returns (hours before, hours after)."""
    with transaction.atomic():
        locked = Registration.objects.select_for_update().select_related("event", "order").get(pk=registration.pk)
        before = hours_attended(locked)
        changed = []
        for session, times in sessions.items():
            existing = active_check_in(locked, session)
            if times is None:
                if existing is not None:
                    existing.undone_at, existing.undone_by = timezone.now(), operator
                    existing.save(update_fields=["undone_at", "undone_by"])
                    changed.append(session.pk)
                continue
            arrived, left = times
            if existing is None:
                CheckIn.objects.create(
                    registration=locked, session=session, operator=operator, method="corrected",
                    arrived_at=arrived, left_at=left,
                )  # fmt: skip
                changed.append(session.pk)
            elif (existing.arrived_at, existing.left_at) != (arrived, left):
                existing.arrived_at, existing.left_at = arrived, left
                existing.save(update_fields=["arrived_at", "left_at"])
                changed.append(session.pk)
        after = hours_attended(locked)
        if changed:
            locked.order.log(
                CORRECTED, user=operator, registration=locked.pk, reason=reason, sessions=changed,
                hours_before=str(before), hours_after=str(after),
            )  # fmt: skip
    return before, after
