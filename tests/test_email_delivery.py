"""What our emails look like on the wire: the invite MIME structure, each kind in English and
Spanish, nothing sent for a rolled-back change, retries, and one real SMTP delivery."""

import datetime as dt
import email
import logging
from decimal import Decimal

import pytest
from django.db import transaction

from events.models import EventPage
from registrations.emails import KINDS, deliver_email, send_email
from registrations.models import Registration
from tests import local_servers
from tests.calendar_checks import parse_valid_calendar
from tests.factories import VenueFactory, local, make_event, make_registration, make_waitlist_entry
from tests.local_servers import free_port

pytestmark = pytest.mark.django_db

ONLINE_URL = "https://meet.example.com/j/alliance-123"
INVITE_KINDS = {kind: spec.method for kind, spec in KINDS.items() if spec.method}


@pytest.fixture
def event():
    venue = VenueFactory(name="Wellcome Hall", city="London", country="GB", time_zone="Europe/London")
    return make_event(
        "Alliance & rupture workshop",
        venue=venue,
        format=EventPage.Format.HYBRID,
        online_url=ONLINE_URL,
        start=local("Europe/London", 2031, 6, 12, 10),  # Thursday, 09:00 UTC, British Summer Time
        hours=3,
        tickets=[("Standard", "120")],
        currency="GBP",
    )


def register(event, status=Registration.Status.CONFIRMED, language="en", email="ana@example.com", name="Ana Pérez"):
    return make_registration(
        event, name=name, email=email, status=status, language=language, buyer=("Bea Buyer", "buyer@example.com")
    )


def deliver(capture, kind, **objects):
    with capture(execute=True):
        send_email(kind, **objects)


def parts_of(message):
    """The tree as (content type, children or payload) to compare structures at a glance."""
    if message.is_multipart():
        return (message.get_content_type(), [parts_of(part) for part in message.get_payload()])
    return message.get_content_type()


INVITE_TREE = (
    "multipart/mixed",
    [("multipart/alternative", ["text/plain", "text/html", "text/calendar"]), "application/ics"],
)


def assert_invite_structure(mime, method):
    assert parts_of(mime) == INVITE_TREE
    alternative, attachment = mime.get_payload()
    calendar_part = alternative.get_payload()[2]
    assert calendar_part["Content-Type"] == f'text/calendar; charset="utf-8"; method={method}'
    assert calendar_part.get_param("method") == method
    assert calendar_part.get_content_charset() == "utf-8"
    assert calendar_part.get_content_disposition() is None  # shown inline, as an invitation
    calendar = parse_valid_calendar(calendar_part.get_payload(decode=True))
    assert calendar["METHOD"] == method

    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_param("name") == "invite.ics"
    attached = parse_valid_calendar(attachment.get_payload(decode=True))
    assert attached["METHOD"] == method
    assert [str(e["UID"]) for e in attached.walk("VEVENT")] == [str(e["UID"]) for e in calendar.walk("VEVENT")]
    return calendar


# The invite emails


def test_confirmation_mime_structure(event, mailoutbox, django_capture_on_commit_callbacks):
    registration = register(event)
    deliver(django_capture_on_commit_callbacks, "confirmation", registration=registration)

    (message,) = mailoutbox
    assert message.to == ["ana@example.com"]
    assert message.subject == "You're registered: Alliance & rupture workshop"
    assert message.reply_to == [event.organizer.email]
    calendar = assert_invite_structure(message.message(), "REQUEST")
    (vevent,) = calendar.walk("VEVENT")
    assert vevent["SEQUENCE"] == 0 and vevent["ATTENDEE"] == "mailto:ana@example.com"

    ticket_link = f"http://localhost/tickets/{registration.ticket_secret}/"
    text, (html, _) = message.body, message.alternatives[0]
    assert ticket_link in text and f'href="{ticket_link}"' in html
    join_link = f"http://localhost/tickets/{registration.ticket_secret}/join/"
    assert join_link in text and f'href="{join_link}"' in html  # confirmed: the personal join link
    assert ONLINE_URL not in text and ONLINE_URL not in html  # never the meeting's own address
    assert "Alliance & rupture workshop" in text and "Alliance &amp; rupture workshop" in html
    assert "Thursday, June 12, 2031, 10 a.m. – 1 p.m. BST" in text
    assert '<html lang="en">' in html
    registration.refresh_from_db()
    assert registration.invite_fingerprint  # what the attendee's calendar now says


@pytest.mark.parametrize("kind", ["cancellation", "event_cancelled"])
def test_cancel_emails_carry_method_cancel(kind, event, mailoutbox, django_capture_on_commit_callbacks):
    registration = register(event)
    if kind == "cancellation":
        registration.status = Registration.Status.CANCELLED
    else:
        EventPage.objects.filter(pk=event.pk).update(status=EventPage.Status.CANCELLED)
    registration.invite_sequence += 1  # the caller's job, before sending
    registration.save()
    deliver(django_capture_on_commit_callbacks, kind, registration=registration)

    (message,) = mailoutbox
    calendar = assert_invite_structure(message.message(), "CANCEL")
    (vevent,) = calendar.walk("VEVENT")
    assert vevent["SEQUENCE"] == 1 and vevent["STATUS"] == "CANCELLED"
    assert ONLINE_URL not in message.body


def test_event_changed_is_a_request(event, mailoutbox, django_capture_on_commit_callbacks):
    registration = register(event)
    registration.invite_sequence = 3
    registration.save()
    deliver(django_capture_on_commit_callbacks, "event_changed", registration=registration)
    (vevent,) = assert_invite_structure(mailoutbox[0].message(), "REQUEST").walk("VEVENT")
    assert vevent["SEQUENCE"] == 3


def test_no_invite_request_for_a_registration_no_longer_confirmed(
    event, mailoutbox, django_capture_on_commit_callbacks
):
    registration = register(event)
    with django_capture_on_commit_callbacks(execute=True):
        send_email("confirmation", registration=registration)
        Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.CANCELLED)
    assert mailoutbox == []


def test_nothing_is_sent_for_a_rolled_back_change(event, mailoutbox, django_capture_on_commit_callbacks):
    registration = register(event)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            send_email("confirmation", registration=registration)
            raise RuntimeError("payment bookkeeping failed")
    assert callbacks == [] and mailoutbox == []


def test_send_email_refuses_what_it_cannot_send(event):
    registration = register(event)
    with pytest.raises(ValueError):
        send_email("welcome", registration=registration)
    with pytest.raises(ValueError):
        send_email("waitlist_offer", registration=registration)
    with pytest.raises(TypeError):
        send_email("refund", order=registration.order, amount=Decimal("1"))  # must survive the queue as JSON


# Every kind, in English and in Spanish


def objects_for(kind, event, language):
    if kind in ("waitlist_offer", "waitlist_confirm"):
        # The waitlist has no language of its own: the event's is used.
        EventPage.objects.filter(pk=event.pk).update(language=language)
        offered = kind == "waitlist_offer"
        entry = make_waitlist_entry(event, offered)
        link = f"http://localhost/waitlist/{'claim' if offered else 'confirm'}/{entry.token}/"
        return {"waitlist_entry": entry}, "wen@example.com", link
    status = Registration.Status.CANCELLED if kind == "cancellation" else Registration.Status.CONFIRMED
    registration = register(event, status=status, language=language)
    if kind == "event_cancelled":
        EventPage.objects.filter(pk=event.pk).update(status=EventPage.Status.CANCELLED)
    if kind in INVITE_KINDS:
        link = f"http://localhost/tickets/{registration.ticket_secret}/" if INVITE_KINDS[kind] == "REQUEST" else None
        return {"registration": registration}, "ana@example.com", link
    extra = {"amount": "45.50"} if kind == "refund" else {}
    return {"order": registration.order, **extra}, "buyer@example.com", None


# Certificates, organizer messages and evaluation reminders (due only after an event) have their own
# tests (test_certificates, test_dashboard, test_evaluations).
OTHER_KINDS = [
    kind for kind in KINDS if kind not in ("confirmation", "certificate", "organizer_message", "evaluation_reminder")
]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_each_kind_renders_in_the_readers_language(
    kind, language, event, mailoutbox, django_capture_on_commit_callbacks
):
    objects, recipient, link = objects_for(kind, event, language)
    deliver(django_capture_on_commit_callbacks, kind, **objects)

    (message,) = mailoutbox
    assert message.to == [recipient]
    assert message.subject and "\n" not in message.subject and "Alliance & rupture workshop" in message.subject
    text, (html, mimetype) = message.body, message.alternatives[0]
    assert mimetype == "text/html"
    assert f'<html lang="{language}">' in html
    for body in (text, html):
        assert "{{" not in body and "{%" not in body
        assert f"http://localhost{event.url}" in body
        if link:
            assert link in body
    assert "&amp;" not in text and "Alliance &amp; rupture workshop" in html
    # Dates in the reader's language, in the event's zone with its abbreviation.
    if language == "es":
        assert "jueves, 12 de junio de 2031, 10:00 – 13:00 BST" in text
        assert "June" not in text and "Thursday" not in text
    else:
        assert "Thursday, June 12, 2031, 10 a.m. – 1 p.m. BST" in text
        assert "junio" not in text
    if kind == "waitlist_offer":
        expiry = "domingo, 1 de junio de 2031, 13:00 BST" if language == "es" else "Sunday, June 1, 2031, 1 p.m. BST"
        assert expiry in text
    if kind == "refund":
        assert ("45,50 GBP" if language == "es" else "45.50 GBP") in text
    if kind == "sold_out_refunded":
        assert ("120,00 GBP" if language == "es" else "120.00 GBP") in text
    if kind in INVITE_KINDS:
        assert_invite_structure(message.message(), INVITE_KINDS[kind])
    else:
        assert parts_of(message.message()) == ("multipart/alternative", ["text/plain", "text/html"])
    # The personal join link: only to confirmed registrants, only in REQUESTs; the meeting's address never.
    assert ("/join/" in text) == (kind == "event_changed") and ONLINE_URL not in text


def test_logs_never_name_attendees(event, caplog, mailoutbox, django_capture_on_commit_callbacks):
    registration = register(event)
    with caplog.at_level(logging.DEBUG, logger="registrations"):
        deliver(django_capture_on_commit_callbacks, "confirmation", registration=registration)
    assert len(mailoutbox) == 1 and caplog.records
    assert "Ana" not in caplog.text and "ana@example.com" not in caplog.text


# Delivery over SMTP


class Collector:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    with local_servers.smtp_server(Collector(), settings) as collector:
        yield collector


def test_real_smtp_delivery(event, smtp_server, django_capture_on_commit_callbacks):
    registration = register(event)
    deliver(django_capture_on_commit_callbacks, "confirmation", registration=registration)

    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["ana@example.com"]
    assert envelope.mail_from == "events@localhost"
    received = email.message_from_bytes(envelope.original_content)
    assert received["Subject"] == "You're registered: Alliance & rupture workshop"
    calendar = assert_invite_structure(received, "REQUEST")
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]).startswith(str(registration.uid))
    text = received.get_payload()[0].get_payload()[0].get_payload(decode=True).decode()
    assert f"http://localhost/tickets/{registration.ticket_secret}/" in text


def test_failed_delivery_is_retried_later(event, settings, mailoutbox):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nobody listens
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    registration = register(event)

    assert (
        deliver_email.call("confirmation", registration_id=registration.pk, order_id=registration.order_id)
        == "retrying"
    )
    (retry,) = deliver_email.get_backend().results
    assert retry.kwargs["attempt"] == 2 and retry.kwargs["registration_id"] == registration.pk
    assert retry.task.run_after > dt.datetime.now(dt.UTC)
    registration.refresh_from_db()
    assert registration.invite_fingerprint == ""  # not delivered: nothing recorded as said

    with pytest.raises(OSError):  # the last attempt fails for good (and the backend records it)
        deliver_email.call("confirmation", registration_id=registration.pk, attempt=6)


# What was paid


@pytest.mark.parametrize(
    ("language", "amount"), [("en", "£120.00"), ("es", "120,00\xa0GBP")], ids=["english", "spanish"]
)
def test_the_confirmation_states_the_amount_paid_in_the_readers_language(
    language, amount, event, mailoutbox, django_capture_on_commit_callbacks
):
    deliver(django_capture_on_commit_callbacks, "confirmation", registration=register(event, language=language))
    (message,) = mailoutbox
    text, (html, _) = message.body, message.alternatives[0]
    assert amount in text and amount in html


def test_a_free_seats_confirmation_says_free_and_its_cancellation_mentions_no_refund(
    event, mailoutbox, django_capture_on_commit_callbacks
):
    seat = make_registration(event, price="0")
    deliver(django_capture_on_commit_callbacks, "confirmation", registration=seat)
    (confirmation,) = mailoutbox
    assert "Amount paid: Free" in confirmation.body and "£" not in confirmation.body
    seat.status = Registration.Status.CANCELLED
    seat.save()
    deliver(django_capture_on_commit_callbacks, "cancellation", registration=seat)
    cancellation = mailoutbox[-1]
    assert "refund" not in cancellation.body.lower() and "refund" not in cancellation.alternatives[0][0].lower()
