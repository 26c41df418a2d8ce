"""Evaluations: the questions an event asks its attendees once it is over (events/evaluation.py),
their answers, the reminders, and the results for the organizer and the accreditor.

Who is asked: a confirmed attendee checked in to at least one session of an event that is over and
has questions; once. A question about "each session" is asked for each session the attendee was
checked in to, one about "each presenter" for each of the event's presenters; each such answer is
stored under `key/s<session id>` or `key/p<presenter block id>`, an event-wide one under `key`.
Ratings are stored as their number, choices as their positions (so the answers given in every
language of the page meet), free text as typed.

When the event requires it, the certificate waits for the evaluation (certificates.availability's
NOT_EVALUATED). Submitting is decided under the registration's row lock, so a double click stores
one response. Anonymous answers (the event's setting) are stored apart from the registration.

Reminders go by email after the event (REMINDER_DELAYS after its end; the sweep sends them), each
logged on the order ("evaluation_reminded", {"registration": id, "round": n}) under the row lock, so
none is ever sent twice; events over for longer than REMINDER_WINDOW are left alone.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from events.evaluation import PRESENTER, SESSION
from events.models import EventPage

from ..emails import send_email
from ..models import CheckIn, EvaluationResponse, OrderLogEntry, Registration
from .exports import escape_formula, session_label

SUBMITTED = "evaluation_submitted"
REMINDED = "evaluation_reminded"
REMINDER_DELAYS = (dt.timedelta(hours=2), dt.timedelta(days=4))  # after the event's end
REMINDER_WINDOW = dt.timedelta(days=30)


class NotDue(Exception):
    """This registration has no evaluation to submit (now); the message says why."""


# Who is asked what


@dataclass(frozen=True)
class Item:
    """One question about one subject: what one form field asks and one answer holds."""

    key: str
    question: object  # events.evaluation.Question
    subject: str  # the session's label or the presenter's name; "" for the whole event


def asks(event):
    return bool(event.evaluation_questions)


def presenters(event):
    """(block id, name) of the event's presenters."""
    return [(block.id, block.value["name"]) for block in event.presenters]


def items(event, sessions=None, words=None):
    """What `event` asks: each question for each of `sessions` (the attendee's; every session of the
    event when None) or each presenter, as the question asks. `words`: the event's page in the
    reader's language (`event.localized`), whose wording is used for the questions it shares."""
    if sessions is None:
        sessions = event.ordered_sessions
    sessions = sorted(sessions, key=lambda s: (s.start, s.pk))
    worded = {question.key: question for question in (words or event).evaluation_questions}
    found = []
    for question in (worded.get(q.key, q) for q in event.evaluation_questions):
        if question.asked_for == SESSION:
            found += [Item(f"{question.key}/s{s.pk}", question, session_label(s, event.zone)) for s in sessions]
        elif question.asked_for == PRESENTER:
            found += [Item(f"{question.key}/p{pid}", question, name) for pid, name in presenters(event)]
        else:
            found.append(Item(question.key, question, ""))
    return found


def due(registration, now=None, attended=None):
    """Whether the attendee has an evaluation to submit now."""
    return not unavailable_reason(registration, now, attended)


def unavailable_reason(registration, now=None, attended=None):
    """ "" when the evaluation is due; else why not, for the attendee. `attended`: whether they were
    checked in anywhere, when the caller read it already."""
    now = now or timezone.now()
    event = registration.event
    if not asks(event):
        return _("This event has no evaluation.")
    if registration.evaluated_at is not None:
        return _("Thank you: your evaluation has been received.")
    if registration.status != Registration.Status.CONFIRMED:
        return _("Evaluations are for confirmed attendees only.")
    if event.end is None or event.end >= now:
        return _("The evaluation opens when the event is over.")
    if attended is None:
        attended = CheckIn.objects.active().filter(registration=registration).exists()
    if not attended:
        return _("We have no record of your attendance, so there is nothing to evaluate. If you were there, please contact the organizer.")  # fmt: skip
    return ""


def required_and_missing(registration):
    """The certificate waits for this evaluation (the event requires one, and it was not submitted)."""
    event = registration.event
    return event.evaluation_required and asks(event) and registration.evaluated_at is None


# Submitting


def submit(registration, answers, language="en"):
    """Store the attendee's `answers` ({item key: value}, as EvaluationForm cleans them) once;
    raises NotDue when there is nothing to submit (already submitted, not attended…)."""
    with transaction.atomic():
        locked = Registration.objects.select_for_update().select_related("event", "order").get(pk=registration.pk)
        reason = unavailable_reason(locked)
        if reason:
            raise NotDue(reason)
        event = locked.event
        EvaluationResponse.objects.create(
            event=event,
            registration=None if event.evaluation_anonymous else locked,
            language=language,
            answers=answers,
        )
        locked.evaluated_at = timezone.now()
        locked.save(update_fields=["evaluated_at"])
        locked.order.log(SUBMITTED, registration=locked.pk)
    registration.evaluated_at = locked.evaluated_at


# Reminders


def reminded_rounds(event):
    """{registration id: rounds of reminder sent} for `event`."""
    sent = defaultdict(set)
    for detail in OrderLogEntry.objects.filter(order__event=event, action=REMINDED).values_list("detail", flat=True):
        sent[detail.get("registration")].add(detail.get("round"))
    return sent


def awaiting(event):
    """Confirmed attendees of `event` checked in somewhere who have not submitted its evaluation."""
    checked_in = CheckIn.objects.active().filter(registration__event=event).values("registration_id")
    return event.registrations.confirmed().filter(pk__in=checked_in, evaluated_at__isnull=True).order_by("pk")


def send_reminders(now=None):
    """Queue each reminder that is due (see the module's docstring); returns how many."""
    now = now or timezone.now()
    queued = 0
    events = EventPage.objects.filter(end__lte=now - REMINDER_DELAYS[0], end__gte=now - REMINDER_WINDOW).filter(
        Q(evaluation_template__isnull=False) | ~Q(evaluation=[])
    )
    for event in events.select_related("evaluation_template"):
        if not asks(event):
            continue
        rounds = [n for n, delay in enumerate(REMINDER_DELAYS, start=1) if event.end <= now - delay]
        sent = reminded_rounds(event)
        for registration in awaiting(event):
            missing = [n for n in rounds if n not in sent[registration.pk]]
            if missing:
                queued += remind(registration, max(missing))
    return queued


def remind(registration, round_):
    """Queue reminder `round_` (and count the earlier ones as sent: one email, never a burst)."""
    with transaction.atomic():
        locked = Registration.objects.select_for_update().select_related("order", "event").get(pk=registration.pk)
        logged = OrderLogEntry.objects.filter(order_id=locked.order_id, action=REMINDED, detail__registration=locked.pk)
        if locked.evaluated_at is not None or logged.filter(detail__round__gte=round_).exists():
            return 0
        for earlier in range(1, round_ + 1):
            if not logged.filter(detail__round=earlier).exists():
                locked.order.log(REMINDED, registration=locked.pk, round=earlier)
        send_email("evaluation_reminder", registration=locked, round=round_)
    return 1


# Results


@dataclass
class Result:
    item: Item
    answered: int = 0
    counts: list = None  # ratings: [(point, count)]; choices: [(choice, count)]
    mean: Decimal | None = None
    texts: list = None


def responses(event):
    return EvaluationResponse.objects.filter(event=event).select_related("registration").order_by("pk")


def results(event):
    """Per item (every session and presenter of the event): how many answered, the count of each
    point or choice, a rating's mean (to 2 places), and the free-text answers (in alphabetical
    order, which tells nothing of who wrote them)."""
    answers = [response.answers for response in responses(event)]
    found = []
    for item in items(event):
        given = [a[item.key] for a in answers if a.get(item.key) not in (None, "", [])]
        result = Result(item, answered=len(given))
        question = item.question
        if question.kind == "rating":
            counted = Counter(given)
            result.counts = [(point, counted[point]) for point in range(1, question.scale + 1)]
            if given:
                result.mean = (Decimal(sum(given)) / len(given)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        elif question.kind == "choice":
            counted = Counter(index for value in given for index in (value if isinstance(value, list) else [value]))
            result.counts = [(choice, counted[index]) for index, choice in enumerate(question.choices)]
        else:
            result.texts = sorted(given, key=str.casefold)
        found.append(result)
    return found


def answer_text(item, value):
    """An answer as a cell shows it: a rating's number, the chosen choices' words, the text."""
    if value in (None, "", []):
        return ""
    if item.question.kind == "choice":
        chosen = value if isinstance(value, list) else [value]
        return "; ".join(item.question.choices[i] for i in chosen if 0 <= i < len(item.question.choices))
    return value


def item_heading(item):
    return f"{item.question.label} ({item.subject})" if item.subject else item.question.label


def columns(event):
    """{column key: heading} of the export: who (unless anonymous), when, then one per item."""
    who = {} if event.evaluation_anonymous else {"name": _("Name"), "email": _("Email")}
    return {**who, "submitted_on": _("Submitted"), **{item.key: item_heading(item) for item in items(event)}}


def rows(event):
    """One dict per response (keys: `columns(event)`), text escaped for spreadsheets."""
    event_items = items(event)
    found = []
    for response in responses(event):
        registration = response.registration
        row = {"submitted_on": response.submitted_on}
        if not event.evaluation_anonymous:
            row["name"] = registration.name if registration else ""
            row["email"] = registration.email if registration else ""
        for item in event_items:
            row[item.key] = answer_text(item, response.answers.get(item.key))
        found.append({key: escape_formula(value) for key, value in row.items()})
    return found
