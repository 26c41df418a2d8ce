"""Calendar invites that stay true (DESIGN.md, invariant 5).

Each registration has a stable UID per session (`<registration.uid>-<session pk>@<domain>`), so
every invite we send about it updates the same entries in the attendee's calendar:

- confirmation: METHOD:REQUEST, SEQUENCE = registration.invite_sequence (0 for a new one);
- a change of time, place, status, title or join link on publish: METHOD:REQUEST, SEQUENCE + 1;
- the registration or the whole event cancelled: METHOD:CANCEL, SEQUENCE + 1.

Whoever sends an update or a cancellation increments `invite_sequence` *before* calling
`emails.send_email` (see `send_updates_for_event`); the invite is built when the email is
delivered, from the registration's sequence at that moment.

`registration.invite_fingerprint` is a digest of what the last invite said
(`event_fingerprint`), so publishing a page without changes that matter to attendees sends
nothing, and publishing twice sends once. `registration.invite_facts` keeps those facts
themselves, so that an update can say what changed (`changes`).
"""

import datetime as dt
import logging
from email.utils import parseaddr
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from icalendar import vCalAddress, vText
from wagtail.signals import page_published

from events import conf as events_conf
from events.ical import calendar_facts, fingerprint, new_calendar, session_components, to_ics
from events.models import EventPage

from .models import Registration

log = logging.getLogger(__name__)

METHODS = ("REQUEST", "CANCEL")
DISPATCH_UID = "registrations.invites.event_published"


def invite_uid(registration, session):
    """Stable for a registration and a session, whatever else changes (never change the domain)."""
    return f"{registration.uid}-{session.pk}@{events_conf.get('EVENTS_UID_DOMAIN')}"


def event_url(event):
    """The event page's public address, on the event's own Wagtail Site (EventPage.public_url)."""
    return event.public_url()


def organizer_address():
    """ORGANIZER for events without an organizer: the address mail comes from."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address or 'noreply@' + events_conf.get('EVENTS_UID_DOMAIN')}")
    if name:
        organizer.params["cn"] = vText(name)
    return organizer


def attendee_address(registration):
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["cn"] = vText(" ".join(registration.name.split()))
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    return attendee


def join_url(registration, event):
    """The attendee's personal way into the online sessions (views.ticket_join): it records when they
    joined, then opens the meeting, so invites and emails never carry the meeting's own address."""
    return event.public_url(reverse("registrations:ticket_join", args=[registration.ticket_secret]))


def shows_online_link(registration, event, method="REQUEST"):
    """The join link is for confirmed registrants only, and pointless in a cancellation."""
    return (
        method == "REQUEST"
        and registration.status == Registration.Status.CONFIRMED
        and event.is_online
        and bool(event.online_url)
    )


def invite_calendar(registration, method="REQUEST", event=None, stamp=None) -> bytes:
    """The iTIP invite (RFC 5546) for `registration`: one VEVENT per session, with ORGANIZER,
    ATTENDEE and VTIMEZONE. `method` is "REQUEST" or "CANCEL" (every VEVENT then says CANCELLED).

    Texts (such as the location "Online") follow the active language: call it inside
    `translation.override(order.language)`.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown invite method {method!r}")
    event = event or registration.event
    url = event_url(event)
    calendar = new_calendar(method)
    components = session_components(
        event,
        url,
        uid=lambda session: invite_uid(registration, session),
        sequence=registration.invite_sequence,
        stamp=(stamp or timezone.now()).astimezone(dt.UTC),
        status="CANCELLED" if method == "CANCEL" else None,
    )
    for component in components:
        if shows_online_link(registration, event, method):
            join = gettext("Join online:")
            description = f"{component['description']}\n\n{join} {join_url(registration, event)}"
            component.pop("description")
            component.add("description", description)
        if "organizer" not in component:
            component.add("organizer", organizer_address())
        component.add("attendee", attendee_address(registration))
        calendar.add_component(component)
    return to_ics(calendar)


def event_fingerprint(event) -> str:
    """A digest of what an invite says that matters to an attendee (events.ical.calendar_facts:
    each session's times, the place, the status, the join link and the title)."""
    return fingerprint(calendar_facts(event))


def changes(previous, event):
    """What changed since an invite that said `previous` (calendar_facts), for the update email:
    a list of (what, before, now), what being "title", "status" (labels), "location", "online_url"
    or "sessions" (sessions with start and end in the event's zone). Empty when not known."""
    if not previous:
        return []
    current = calendar_facts(event)
    found = []
    for what in ("title", "status", "location", "online_url"):
        if previous.get(what) != current[what]:
            found.append([what, previous.get(what) or "", current[what]])
    for change in found:
        if change[0] == "status":
            change[1:] = [EventPage.Status(value).label if value in EventPage.Status else value for value in change[1:]]

    def sessions(facts):
        return [
            SimpleNamespace(
                title=title,
                start=dt.datetime.fromisoformat(start).astimezone(event.zone),
                end=dt.datetime.fromisoformat(end).astimezone(event.zone),
            )
            for _pk, title, start, end in facts.get("sessions", [])
        ]

    if [row[2:] for row in previous.get("sessions", [])] != [row[2:] for row in current["sessions"]]:
        found.append(["sessions", sessions(previous), sessions(current)])
    return [tuple(change) for change in found]


def send_updates_for_event(event):
    """Tell every confirmed registrant whose last invite no longer matches the published event:
    an "event_changed" REQUEST, or an "event_cancelled" CANCEL once the event is cancelled, each
    with SEQUENCE + 1. Idempotent: a second call finds every fingerprint current and sends nothing.

    Returns how many emails were queued.
    """
    from .emails import send_email  # emails imports this module

    # The page row holds the live content (drafts live in revisions): read what was published.
    event = EventPage.objects.select_related("venue", "organizer").get(pk=event.pk)
    facts = calendar_facts(event)
    digest = fingerprint(facts)
    kind = "event_cancelled" if event.status == EventPage.Status.CANCELLED else "event_changed"
    sent = 0
    with transaction.atomic():
        stale = (
            Registration.objects.select_for_update()
            .filter(event=event, status=Registration.Status.CONFIRMED)
            .exclude(invite_fingerprint=digest)
            .order_by("pk")
        )
        for registration in stale:
            previous = registration.invite_facts
            registration.invite_sequence += 1
            registration.invite_fingerprint = digest
            registration.invite_facts = facts
            registration.save(update_fields=["invite_sequence", "invite_fingerprint", "invite_facts"])
            send_email(kind, registration=registration, previous=previous)
            sent += 1
    if sent:
        log.info("Event %s: %s queued for %d registrations", event.pk, kind, sent)
    return sent


def event_published(sender, instance, **kwargs):
    """wagtail's page_published: send updates once the publish has committed."""
    event_id = instance.pk
    transaction.on_commit(lambda: send_updates_for_event(EventPage(pk=event_id)), robust=True)


def connect_signals():
    """Call from RegistrationsConfig.ready(). Safe to call more than once (dispatch_uid)."""
    page_published.connect(event_published, sender=EventPage, dispatch_uid=DISPATCH_UID)


def signals_connected():
    return any(key[0] == DISPATCH_UID for key, *_ in page_published.receivers)


def disconnect_signals():
    page_published.disconnect(event_published, sender=EventPage, dispatch_uid=DISPATCH_UID)
