"""The one calendar builder: feeds, single events and (in `registrations`) invites all use it.

Every event becomes one VEVENT per session, with TZID times and the VTIMEZONE they need.

A feed lists up to 500 events, and icalendar takes some 2 ms to make and write one: so a feed
(`feed_calendar`) reuses each event's entry, written once per language and kept in CalendarEntry
under the digest of everything it says, and each zone's VTIMEZONE, made once per process.
"""

import datetime as dt
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext
from icalendar import Calendar, Event, Timezone, vCalAddress, vText
from wagtail.models import Site

from . import conf
from .addresses import address_lines
from .lookups import OneOf
from .timestamps import time_zone

PRODID = "-//Wagtail Events//Event calendar//EN"
STATUS = {"scheduled": "CONFIRMED", "postponed": "TENTATIVE", "cancelled": "CANCELLED"}


def new_calendar(method="PUBLISH", name=None):
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", " ".join(name.split()))  # a one-line name: some clients show only that
    return calendar


def session_uid(session):
    return f"event-{session.page_id}-session-{session.pk}@{conf.get('EVENTS_UID_DOMAIN')}"


def location_text(event):
    """The place on one line, its address in the venue's country's order ("Boston, MA 02210")."""
    if event.format == event.Format.ONLINE or not event.venue_id:
        return gettext("Online")
    text = ", ".join([event.venue.name, *address_lines(event.venue)])
    return gettext("%(place)s (and online)") % {"place": text} if event.format == event.Format.HYBRID else text


def _place_fact(event):
    """The place as calendar_facts() has always written it (stored digests stay valid)."""
    if event.format == event.Format.ONLINE or not event.venue_id:
        return "Online"
    venue = event.venue
    parts = [venue.name, venue.address.replace("\n", ", "), venue.city, venue.region, venue.postal_code]
    with translation.override(None):
        text = ", ".join(part for part in [*parts, str(venue.country.name)] if part)
    return f"{text} (and online)" if event.format == event.Format.HYBRID else text


def calendar_facts(event):
    """What a calendar entry of `event` says that matters to whoever holds it: the title, status,
    place, join link and each session's times (UTC). The same in every language; JSON-ready."""
    return {
        "title": event.title,
        "status": event.status,
        "location": _place_fact(event),
        "online_url": event.online_url,
        "sessions": [
            [
                session.pk,
                session.title,
                session.start.astimezone(dt.UTC).isoformat(),
                session.end.astimezone(dt.UTC).isoformat(),
            ]
            for session in event.ordered_sessions
        ],
    }


def fingerprint(facts):
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def public_fingerprint(event):
    """The digest of what the public calendars say (not the join link, which they do not show)."""
    facts = calendar_facts(event)
    del facts["online_url"]
    return fingerprint(facts)


def record_calendar_change(event):
    """After a publish: raise the event's public SEQUENCE when what its calendar entries say changed
    (RFC 5545: subscribed calendars then replace their copy), as invites do for attendees."""
    from .models import EventPage

    event = EventPage.objects.select_related("venue").prefetch_related("sessions").get(pk=event.pk)
    digest = public_fingerprint(event)
    if digest == event.calendar_fingerprint:
        return event.calendar_sequence
    # Unchanged only on the first publish; an event published before its digest was first kept
    # may have changed: a needless raise costs nothing, a missing one leaves calendars stale.
    first = not event.calendar_fingerprint and event.first_published_at == event.last_published_at
    sequence = event.calendar_sequence if first else event.calendar_sequence + 1
    EventPage.objects.filter(pk=event.pk).update(calendar_fingerprint=digest, calendar_sequence=sequence)
    return sequence


def session_components(event, url, uid=session_uid, sequence=0, stamp=None, status=None):
    """VEVENTs for each session of `event`; `uid` maps a session to its UID."""
    stamp = stamp or timezone.now()
    sessions = event.ordered_sessions
    for session in sessions:
        component = Event()
        component.add("uid", uid(session))
        component.add("dtstamp", stamp.astimezone(dt.UTC))
        component.add("dtstart", session.start.astimezone(event.zone))
        component.add("dtend", session.end.astimezone(event.zone))
        title = event.title if len(sessions) == 1 or not session.title else f"{event.title}: {session.title}"
        component.add("summary", title)
        component.add("description", f"{strip_tags(event.summary)}\n\n{url}")
        component.add("location", location_text(event))
        component.add("url", url)
        component.add("status", status or STATUS[event.status])
        component.add("sequence", sequence)
        if event.last_published_at:
            component.add("last-modified", event.last_published_at.astimezone(dt.UTC))
        if event.venue_id and event.venue.latitude is not None:
            component.add("geo", (float(event.venue.latitude), float(event.venue.longitude)))
        if event.organizer_id:
            organizer = vCalAddress(f"mailto:{event.organizer.email or 'noreply@' + conf.get('EVENTS_UID_DOMAIN')}")
            organizer.params["cn"] = vText(event.organizer.name)
            component.add("organizer", organizer)
        topics = [topic.name for topic in event.topics.all()]
        if topics:
            component.add("categories", topics)
        yield component


def to_ics(calendar):
    """The calendar as bytes, with a VTIMEZONE for every zone its times use.

    Each VTIMEZONE covers the calendar's dates and a year either side, not icalendar's default
    of 1970-2038, so feeds stay small and events after 2038 still get their rules.
    """
    days = [event.decoded(name).date() for event in calendar.walk("VEVENT") for name in ("dtstart", "dtend")]
    if days:
        margin = dt.timedelta(days=366)
        calendar.add_missing_timezones(first_date=min(days) - margin, last_date=max(days) + margin)
    return calendar.to_ical()


def events_calendar(events, request, name=None):
    calendar = new_calendar("PUBLISH", name=name)
    for event in events:
        for component in session_components(event, event.absolute_url(request), sequence=event.calendar_sequence):
            calendar.add_component(component)
    return to_ics(calendar)


# What makes an entry: a change to this code or to how addresses are written makes every one anew.
CODE_DIGEST = hashlib.sha256(
    b"".join(Path(__file__).with_name(name).read_bytes() for name in ("ical.py", "addresses.py"))
).hexdigest()


# What an entry says of an event, read for a feed's events from the listing rows as the listing
# reads its page (PageEvents.read: the same events, in the same order, with a broad search's title
# matches first), with their sessions and topics, without making a page of each: an entry
# kept under the digest of these is served as it is, and only the others fetch their page.
ENTRY_FACTS = (
    "page_id",
    *(
        f"page__{name}"
        for name in (
            *("title", "url_path", "summary", "status", "format", "time_zone", "calendar_sequence"),
            *("last_published_at", "venue__name", "venue__address", "venue__city", "venue__region"),
            *("venue__postal_code", "venue__country", "venue__latitude", "venue__longitude"),
            *("organizer__name", "organizer__email"),
        )
    ),
)


def entry_facts(events):
    """[(page id, time zone, sessions as (pk, title, start, end), facts)] of a feed's `events` (a
    PageEvents), in its order: all that `session_components` writes of each but its address.

    A session's start and end are read as the database writes them, in UTC (`utc_text`): a feed
    of 500 events has a thousand sessions or more, and making each moment a datetime was a sixth
    of the feed's time. Only each zone's first and last are made moments (`feed_calendar`)."""
    from .models import EventPage, EventSession

    rows = [tuple(row[name] for name in ENTRY_FACTS) for row in events.read(*ENTRY_FACTS)]
    ids = [row[0] for row in rows]
    sessions, topics = {pk: [] for pk in ids}, {pk: [] for pk in ids}
    for page_id, *session in (
        EventSession.objects.filter(OneOf("page_id", ids))
        .order_by("start", "pk")
        .values_list("page_id", "pk", "title", utc_text("start"), utc_text("end"))
    ):
        sessions[page_id].append(session)
    for page_id, topic in EventPage.topics.through.objects.filter(OneOf("eventpage_id", ids)).values_list(
        "eventpage_id", "topic__name"
    ):
        topics[page_id].append(topic)
    return [(row[0], row[6], sessions[row[0]], [row, sessions[row[0]], sorted(topics[row[0]])]) for row in rows]


def utc_text(field):
    """A moment as text, as the database writes it in the connection's zone, which Django keeps at
    UTC unless DATABASES sets a TIME_ZONE: on PostgreSQL "2027-03-01 09:00:00+00", on SQLite
    "2027-03-01 09:00:00". In one database and one form, so the text's order is the moments'."""
    return Cast(field, TextField())


def text_moment(text):
    """The moment of a `utc_text` (without an offset, as SQLite writes it: in UTC)."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def entry_digest(common, facts):
    """The digest of an entry's `facts` (strings, numbers, None and moments, in lists and tuples)
    after what is `common` to every entry (a sha256 of it, hashed once for a feed). Written with
    `repr`, which, for these, tells every value and its type apart as `json.dumps` did, in half
    its time: of a feed of 500 events, json took a sixth of the instructions."""
    digest = common.copy()
    digest.update(repr(facts).encode())
    return digest.hexdigest()


def entry_text(event, url):
    """`event`'s VEVENTs as a calendar writes them."""
    components = session_components(event, url, sequence=event.calendar_sequence)
    return b"".join(component.to_ical() for component in components).decode()


def stored_entries(events, facts, request, language):
    """{event pk: entry text} for a feed's `events` (a PageEvents) and their `facts`
    (`entry_facts`): those kept whose digest still matches, the others made now from their pages
    and kept (a feed that cannot write them, the database being busy, still gets them)."""
    from .models import CalendarEntry

    # What is the same for every entry: this code, the language and its words, the addresses'
    # scheme, host and sites (each entry's address is then its `url_path` under them), hashed once.
    common = hashlib.sha256(json.dumps([
        CODE_DIGEST, language, conf.get("EVENTS_UID_DOMAIN"), gettext("Online"), gettext("%(place)s (and online)"),
        request.scheme, request.get_host(), Site.get_site_root_paths(),
    ], default=str).encode())  # fmt: skip
    digests = {pk: entry_digest(common, facts) for pk, _zone, _sessions, facts in facts}
    kept = CalendarEntry.objects.filter(OneOf("page_id", digests), language=language)
    texts = {pk: text for pk, digest, text in kept.values_list("page_id", "digest", "text") if digests[pk] == digest}
    made = [
        CalendarEntry(page_id=event.pk, language=language, digest=digests[event.pk], text=entry_text(event, url))
        for event in events.fetch(sorted(pk for pk in digests if pk not in texts))  # one lock order
        for url in [event.absolute_url(request)]
    ]
    texts.update((entry.page_id, entry.text) for entry in made)
    if made:
        try:
            with transaction.atomic():
                CalendarEntry.objects.bulk_create(
                    made, update_conflicts=True, unique_fields=["page", "language"], update_fields=["digest", "text"]
                )
        except DatabaseError:
            pass  # made again next time
    return texts


@lru_cache(maxsize=512)
def vtimezone(tzid, first_year, last_year):
    """The VTIMEZONE of `tzid` from the first day of `first_year` to the last of `last_year` (none
    for a zone icalendar does not know, as `add_missing_timezones` does)."""
    try:
        zone = Timezone.from_tzid(tzid, first_date=dt.date(first_year, 1, 1), last_date=dt.date(last_year, 12, 31))
    except ValueError:
        return b""
    return zone.to_ical()


def feed_calendar(events, request, name=None):
    """The calendar of a feed of `events` (a listing's PageEvents): as `events_calendar` writes it,
    from each event's stored entry. Each zone's VTIMEZONE covers the calendar's years and one
    either side."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    facts = entry_facts(events)
    texts = stored_entries(events, facts, request, language)
    spans = {}  # {zone: (first moment, last moment)} of the sessions in it, as `utc_text`
    for _pk, zone, sessions, _facts in facts:
        for _session, _title, start, end in sessions:
            first, last = spans.get(zone, (start, end))
            spans[zone] = (min(first, start), max(last, end))
    years = {text_moment(text).astimezone(time_zone(zone)).year for zone, span in spans.items() for text in span}
    zones = b"".join(vtimezone(tzid, min(years) - 1, max(years) + 1) for tzid in sorted(spans.keys() - {"UTC"}))
    head, end = new_calendar("PUBLISH", name=name).to_ical().rsplit(b"END:VCALENDAR", 1)
    body = "".join(texts.get(pk, "") for pk, *_ in facts).encode()
    return head + zones + body + b"END:VCALENDAR" + end
