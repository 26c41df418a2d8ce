"""Invariant 5, invites stay true: stable UIDs, SEQUENCE that only grows, REQUEST then CANCEL, and
one update per attendee when a change that matters is published through Wagtail."""

import datetime as dt

import pytest
from django.utils import translation

from events.models import EventPage
from registrations import invites
from registrations.emails import send_email
from registrations.models import Registration
from tests.calendar_checks import parse_valid_calendar
from tests.factories import VenueFactory, edited, local, make_event, make_registration

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ONLINE_URL = "https://meet.example.com/j/alliance-123"


@pytest.fixture
def published_signal():
    """The page_published receiver, as RegistrationsConfig.ready() connects it."""
    was_connected = invites.signals_connected()
    invites.connect_signals()
    invites.connect_signals()  # harmless twice (dispatch_uid)
    yield
    if not was_connected:
        invites.disconnect_signals()


@pytest.fixture
def event():
    venue = VenueFactory(name="Wellcome Hall", city="London", country="GB", time_zone="Europe/London")
    return make_event(
        "Alliance workshop",
        venue=venue,
        start=local("Europe/London", 2031, 6, 12, 10),
        hours=3,
        tickets=[("Standard", "120")],
        currency="GBP",
    )


def register(event, status=Registration.Status.CONFIRMED, language="en", email="ana@example.com", name="Ana Pérez"):
    return make_registration(event, name=name, email=email, status=status, language=language)


def calendar_part(message):
    """(MIME method parameter, calendar bytes) of the text/calendar alternative of a sent email."""
    parts = [part for part in message.message().walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0].get_param("method"), parts[0].get_payload(decode=True)


def invite_in(message):
    method, data = calendar_part(message)
    calendar = parse_valid_calendar(data)
    assert calendar["METHOD"] == method
    return calendar


def confirm(registration, capture):
    """Send the confirmation as fulfilment does, and run the queued delivery."""
    with capture(execute=True):
        send_email("confirmation", registration=registration)


def publish_with(event, capture, **changes):
    """Change the live page as an editor would (a new revision, published), sessions included."""
    page = edited(event, **changes)
    with capture(execute=True):
        page.save_revision().publish()
    return page


def moved(event, hours=2):
    session = event.ordered_sessions[0]
    return {0: (session.start + dt.timedelta(hours=hours), session.end + dt.timedelta(hours=hours))}


# The invite itself


def test_invite_is_a_valid_request_with_organizer_attendee_and_timezone(event):
    registration = register(event)
    calendar = parse_valid_calendar(invites.invite_calendar(registration))
    assert calendar["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == f"{registration.uid}-{event.sessions.get().pk}@events.invalid"
    assert vevent["SEQUENCE"] == 0
    assert vevent["STATUS"] == "CONFIRMED"
    assert vevent["DTSTART"].params["TZID"] == "Europe/London"
    assert vevent.decoded("DTSTART").astimezone(dt.UTC) == dt.datetime(2031, 6, 12, 9, tzinfo=dt.UTC)  # BST
    assert vevent.decoded("DTSTAMP").tzinfo is not None and vevent.decoded("DTSTAMP").utcoffset() == dt.timedelta(0)
    assert b"DTSTAMP:" in invites.invite_calendar(registration) and b"Z\r\n" in invites.invite_calendar(registration)
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:ana@example.com"
    assert attendee.params["CN"] == "Ana Pérez"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["RSVP"] == "FALSE"
    assert str(vevent["ORGANIZER"]) == f"mailto:{event.organizer.email}"
    assert vevent["ORGANIZER"].params["CN"] == event.organizer.name
    assert str(vevent["URL"]) == "http://localhost" + event.url


def test_invite_has_an_organizer_even_when_the_event_has_none(event, settings):
    settings.DEFAULT_FROM_EMAIL = "Clinic Events <events@clinic.example>"
    EventPage.objects.filter(pk=event.pk).update(organizer=None)
    registration = register(EventPage.objects.get(pk=event.pk))
    (vevent,) = parse_valid_calendar(invites.invite_calendar(registration)).walk("VEVENT")
    assert str(vevent["ORGANIZER"]) == "mailto:events@clinic.example"
    assert vevent["ORGANIZER"].params["CN"] == "Clinic Events"


def test_cancel_invite_says_cancelled_with_the_same_uid(event):
    registration = register(event)
    request = parse_valid_calendar(invites.invite_calendar(registration))
    cancel = parse_valid_calendar(invites.invite_calendar(registration, method="CANCEL"))
    assert cancel["METHOD"] == "CANCEL"
    assert [str(e["UID"]) for e in cancel.walk("VEVENT")] == [str(e["UID"]) for e in request.walk("VEVENT")]
    assert all(e["STATUS"] == "CANCELLED" for e in cancel.walk("VEVENT"))
    with pytest.raises(ValueError):
        invites.invite_calendar(registration, method="PUBLISH")


def test_online_link_only_for_confirmed_registrants():
    event = make_event(
        "Online alliance workshop", start=local("America/New_York", 2031, 1, 15, 12), time_zone="America/New_York",
        online_url=ONLINE_URL,
    )  # fmt: skip
    confirmed = register(event, email="confirmed@example.com")
    held = register(event, email="held@example.com", status=Registration.Status.HELD)
    (vevent,) = parse_valid_calendar(invites.invite_calendar(confirmed)).walk("VEVENT")
    # The attendee's personal join link (it records the arrival), never the meeting's own address.
    assert f"http://localhost/tickets/{confirmed.ticket_secret}/join/" in str(vevent["DESCRIPTION"])
    assert ONLINE_URL not in str(vevent["DESCRIPTION"])
    assert [tz["TZID"] for tz in parse_valid_calendar(invites.invite_calendar(confirmed)).walk("VTIMEZONE")] == [
        "America/New_York"
    ]
    for data in (invites.invite_calendar(held), invites.invite_calendar(confirmed, method="CANCEL")):
        (vevent,) = parse_valid_calendar(data).walk("VEVENT")
        assert "meet.example.com" not in str(vevent["DESCRIPTION"]) and "/join/" not in str(vevent["DESCRIPTION"])
        assert str(vevent["URL"]).startswith("http://localhost/")  # the public page, for everyone


def test_multi_session_event_has_one_vevent_per_session_with_stable_uids():
    venue = VenueFactory(time_zone="Europe/Madrid", city="Madrid", country="ES")
    event = make_event(
        "Two-day intensive",
        venue=venue,
        sessions=[
            (local("Europe/Madrid", 2031, 3, 29, 9), local("Europe/Madrid", 2031, 3, 29, 17)),
            (local("Europe/Madrid", 2031, 3, 30, 9), local("Europe/Madrid", 2031, 3, 30, 17)),  # CEST from today
        ],
    )
    registration = register(event)
    other = register(event, email="other@example.com")
    first = parse_valid_calendar(invites.invite_calendar(registration)).walk("VEVENT")
    again = parse_valid_calendar(invites.invite_calendar(registration)).walk("VEVENT")
    uids = [str(e["UID"]) for e in first]
    assert len(uids) == 2 and len(set(uids)) == 2
    assert uids == [str(e["UID"]) for e in again]
    assert all(uid.startswith(str(registration.uid)) for uid in uids)
    assert set(uids).isdisjoint(
        str(e["UID"]) for e in parse_valid_calendar(invites.invite_calendar(other)).walk("VEVENT")
    )
    assert [e.decoded("DTSTART").astimezone(dt.UTC).hour for e in first] == [8, 7]


def test_fingerprint_follows_what_matters_and_not_the_language(event):
    before = invites.event_fingerprint(event)
    with translation.override("es"):
        assert invites.event_fingerprint(event) == before
    event.summary = "A new summary is not worth an update."
    assert invites.event_fingerprint(event) == before
    for field, value in (("title", "Renamed"), ("status", "postponed"), ("online_url", ONLINE_URL)):
        changed = EventPage.objects.get(pk=event.pk)
        setattr(changed, field, value)
        assert invites.event_fingerprint(changed) != before, field
    later = EventPage.objects.get(pk=event.pk)
    later.ordered_sessions[0].start += dt.timedelta(minutes=30)
    assert invites.event_fingerprint(later) != before


# The lifecycle through Wagtail publishing


def test_uid_stable_and_sequence_grows_from_confirmation_to_update_to_cancel(
    event, published_signal, mailoutbox, django_capture_on_commit_callbacks
):
    registration = register(event)
    confirm(registration, django_capture_on_commit_callbacks)
    publish_with(event, django_capture_on_commit_callbacks, sessions=moved(event))
    publish_with(event, django_capture_on_commit_callbacks, status=EventPage.Status.CANCELLED)

    assert len(mailoutbox) == 3
    confirmation, update, cancel = (invite_in(message) for message in mailoutbox)
    assert [c["METHOD"] for c in (confirmation, update, cancel)] == ["REQUEST", "REQUEST", "CANCEL"]
    (first,), (second,), (third,) = (c.walk("VEVENT") for c in (confirmation, update, cancel))
    assert str(first["UID"]) == str(second["UID"]) == str(third["UID"])
    assert [first["SEQUENCE"], second["SEQUENCE"], third["SEQUENCE"]] == [0, 1, 2]
    assert second.decoded("DTSTART") - first.decoded("DTSTART") == dt.timedelta(hours=2)
    assert third["STATUS"] == "CANCELLED"
    assert "ATTENDEE" in third and "ORGANIZER" in third
    registration.refresh_from_db()
    assert registration.invite_sequence == 2


def test_publishing_a_new_time_sends_one_update_per_confirmed_attendee(
    event, published_signal, mailoutbox, django_capture_on_commit_callbacks
):
    confirmed = [register(event, name=f"Attendee {n}", email=f"a{n}@example.com") for n in range(3)]
    for registration in confirmed:
        confirm(registration, django_capture_on_commit_callbacks)
    cancelled = register(event, email="gone@example.com", status=Registration.Status.CANCELLED)
    held = register(event, email="held@example.com", status=Registration.Status.HELD)
    mailoutbox.clear()

    publish_with(event, django_capture_on_commit_callbacks, sessions=moved(event, hours=1))

    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.email for r in confirmed)
    assert all(m.subject.startswith("Updated:") for m in mailoutbox)
    for message in mailoutbox:
        (vevent,) = invite_in(message).walk("VEVENT")
        assert vevent["SEQUENCE"] == 1
        assert vevent.decoded("DTSTART").astimezone(dt.UTC) == dt.datetime(2031, 6, 12, 10, tzinfo=dt.UTC)
    for registration in (cancelled, held):
        registration.refresh_from_db()
        assert registration.invite_sequence == 0

    mailoutbox.clear()
    publish_with(event, django_capture_on_commit_callbacks)  # nothing that matters changed
    publish_with(event, django_capture_on_commit_callbacks, summary="Only the summary changed.")
    assert mailoutbox == []


def test_publishing_a_new_venue_sends_an_update(
    event, published_signal, mailoutbox, django_capture_on_commit_callbacks
):
    registration = register(event)
    confirm(registration, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    elsewhere = VenueFactory(name="Conway Hall", city="London", country="GB", time_zone="Europe/London")
    publish_with(event, django_capture_on_commit_callbacks, venue=elsewhere)
    assert len(mailoutbox) == 1
    (vevent,) = invite_in(mailoutbox[0]).walk("VEVENT")
    assert "Conway Hall" in str(vevent["LOCATION"])


def test_publishing_a_cancelled_event_sends_cancel(
    event, published_signal, mailoutbox, django_capture_on_commit_callbacks
):
    registration = register(event)
    confirm(registration, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    publish_with(event, django_capture_on_commit_callbacks, status=EventPage.Status.CANCELLED)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.subject.startswith("Cancelled:")
    method, data = calendar_part(message)
    assert method == "CANCEL"
    assert b"METHOD:CANCEL" in data
    (vevent,) = invite_in(message).walk("VEVENT")
    assert vevent["STATUS"] == "CANCELLED" and vevent["SEQUENCE"] == 1

    mailoutbox.clear()
    publish_with(event, django_capture_on_commit_callbacks)
    assert mailoutbox == []


def test_send_updates_is_idempotent(event, mailoutbox, django_capture_on_commit_callbacks):
    registration = register(event)
    confirm(registration, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    EventPage.objects.filter(pk=event.pk).update(title="Alliance workshop (new title)")
    with django_capture_on_commit_callbacks(execute=True):
        assert invites.send_updates_for_event(event) == 1
        assert invites.send_updates_for_event(event) == 0
    assert len(mailoutbox) == 1
    assert "Alliance workshop (new title)" in mailoutbox[0].subject


def test_a_failure_sending_updates_never_breaks_the_publish(
    event, published_signal, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    def broken(event):
        raise RuntimeError("mail queue down")

    monkeypatch.setattr(invites, "send_updates_for_event", broken)
    page = publish_with(event, django_capture_on_commit_callbacks, title="Alliance workshop, new title")
    page.refresh_from_db()
    assert page.title == "Alliance workshop, new title" and page.live_revision.content["title"] == page.title
    assert mailoutbox == []


def test_the_app_connects_the_receiver_and_updates_come_only_from_it(
    event, mailoutbox, django_capture_on_commit_callbacks
):
    assert invites.signals_connected()  # RegistrationsConfig.ready()
    registration = register(event)
    confirm(registration, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    invites.disconnect_signals()
    try:
        publish_with(event, django_capture_on_commit_callbacks, sessions=moved(event))
    finally:
        invites.connect_signals()
    assert mailoutbox == []


def test_multi_session_update_keeps_each_sessions_uid(published_signal, mailoutbox, django_capture_on_commit_callbacks):
    event = make_event(
        "Two mornings",
        sessions=[
            (local("UTC", 2031, 5, 6, 9), local("UTC", 2031, 5, 6, 12)),
            (local("UTC", 2031, 5, 7, 9), local("UTC", 2031, 5, 7, 12)),
        ],
    )
    registration = register(event)
    confirm(registration, django_capture_on_commit_callbacks)
    publish_with(
        event,
        django_capture_on_commit_callbacks,
        sessions={1: (local("UTC", 2031, 5, 8, 9), local("UTC", 2031, 5, 8, 12))},
    )
    assert len(mailoutbox) == 2
    before, after = (invite_in(m).walk("VEVENT") for m in mailoutbox)
    assert [str(e["UID"]) for e in before] == [str(e["UID"]) for e in after]
    assert len({str(e["UID"]) for e in after}) == 2
    assert [e["SEQUENCE"] for e in after] == [1, 1]
    assert after[1].decoded("DTSTART").day == 8


def test_an_update_email_says_what_changed(event, published_signal, mailoutbox, django_capture_on_commit_callbacks):
    registration = register(event)
    confirm(registration, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    elsewhere = VenueFactory(name="Conway Hall", city="London", country="GB", time_zone="Europe/London")
    publish_with(
        event, django_capture_on_commit_callbacks, sessions=moved(event, hours=2), venue=elsewhere, status="postponed"
    )
    (message,) = mailoutbox
    text = message.body
    assert "What changed:" in text
    before, now = text.split("When, before:")[1].split("When, now:")
    assert "10 a.m. – 1 p.m. BST" in before and "noon – 3 p.m. BST" in now.split("Where:")[0]
    assert "Where: Wellcome Hall, 1 Example Street, London, United Kingdom → Conway Hall" in text
    assert "Status: Scheduled → Postponed" in text
    html = message.alternatives[0][0]
    assert "<s>Scheduled</s> → <strong>Postponed</strong>" in html

    mailoutbox.clear()
    publish_with(event, django_capture_on_commit_callbacks, status="scheduled")
    (message,) = mailoutbox
    assert "Status: Postponed → Scheduled" in message.body
    assert "When, before:" not in message.body and "Where:" not in message.body.split("Your ticket:")[0]


def test_an_update_email_for_a_new_meeting_gives_the_personal_link_that_leads_to_it(
    published_signal, mailoutbox, django_capture_on_commit_callbacks
):
    webinar = make_event("Webinar", format="online", online_url=ONLINE_URL, start=local("UTC", 2031, 6, 12, 10))
    confirm(register(webinar), django_capture_on_commit_callbacks)
    mailoutbox.clear()
    publish_with(webinar, django_capture_on_commit_callbacks, online_url="https://meet.example.com/j/new-room")
    (message,) = mailoutbox
    assert "The online link changed (the new one is below)." in message.body
    registration = Registration.objects.get()
    assert f"http://localhost/tickets/{registration.ticket_secret}/join/" in message.body
    assert "https://meet.example.com/j/new-room" not in message.body and ONLINE_URL not in message.body
