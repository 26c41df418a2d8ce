"""Email down: registrations still confirm; the mail waits in the database queue and goes out
when SMTP is back (retries with a growing delay, a bounded number of times).

Real pieces throughout: the registration view, django-tasks-db's queue and its `db_worker`
command, Django's SMTP backend, and aiosmtpd listening on the port that was closed.
"""

import datetime as dt
import email

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from events.mail import MAX_ATTEMPTS
from registrations.models import Order, Registration
from tests.calendar_checks import parse_valid_calendar
from tests.factories import make_event
from tests.registration_helpers import register
from tests.test_email_delivery import Collector, free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

READY = "READY"


@pytest.fixture
def smtp_port(settings):
    """Mail goes through SMTP to a port nobody listens on (yet), queued in the database."""
    port = free_port()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return port


@pytest.fixture
def event():
    return make_event("Outage workshop", tickets=[("Free", "0")], capacity=10)


def run_worker():
    """What `manage.py db_worker` does, once: run every task that is due, then stop."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def queued_emails():
    return DBTaskResult.objects.filter(task_path="registrations.emails.deliver_email").order_by("enqueued_at")


def time_passes():
    """The retry's delay has passed."""
    queued_emails().filter(status=READY).update(run_after=timezone.now())


def test_registration_confirms_while_smtp_is_down_and_the_mail_goes_out_when_it_returns(smtp_port, event, client):
    response = register(client, event)
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.order.status == Order.Status.PAID
    assert [t.status for t in queued_emails()] == [READY]  # queued, not sent in the request

    run_worker()  # SMTP is down: the attempt fails and a retry is queued for later
    first, retry = queued_emails()
    assert (first.status, first.return_value) == ("SUCCESSFUL", "retrying")
    assert retry.status == READY and retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now() + dt.timedelta(minutes=1)
    run_worker()  # not due yet: nothing runs
    assert queued_emails().filter(status=READY).count() == 1

    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        time_passes()
        run_worker()
    finally:
        controller.stop()

    retry.refresh_from_db()
    assert (retry.status, retry.return_value) == ("SUCCESSFUL", "sent")
    (envelope,) = collector.envelopes
    assert envelope.rcpt_tos == ["attendee0@example.com"]
    received = email.message_from_bytes(envelope.original_content)
    assert received["Subject"] == "You're registered: Outage workshop"
    attachment = received.get_payload()[1]
    assert (attachment.get_content_type(), attachment.get_filename()) == ("application/ics", "invite.ics")
    calendar = parse_valid_calendar(attachment.get_payload(decode=True))
    assert calendar["METHOD"] == "REQUEST"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]).startswith(str(registration.uid))
    registration.refresh_from_db()
    assert registration.invite_fingerprint  # the calendar now says what the event says
    assert not queued_emails().filter(status=READY).exists()


def test_retries_wait_longer_each_time_and_stop(smtp_port, event, client):
    assert register(client, event).status_code == 302
    for _ in range(MAX_ATTEMPTS):
        time_passes()
        before = timezone.now()
        run_worker()
        pending = queued_emails().filter(status=READY).first()
        if pending is not None:
            attempt = pending.args_kwargs["kwargs"]["attempt"]
            delay = pending.run_after - before
            assert (
                dt.timedelta(minutes=2 ** (attempt - 1))
                <= delay
                <= dt.timedelta(minutes=2 ** (attempt - 1), seconds=30)
            )

    attempts = list(queued_emails())
    assert len(attempts) == MAX_ATTEMPTS  # bounded: no endless retrying
    assert [a.return_value for a in attempts[:-1]] == ["retrying"] * (MAX_ATTEMPTS - 1)
    assert attempts[-1].status == "FAILED"  # given up, and recorded where the operator sees it
    assert Registration.objects.get().status == Registration.Status.CONFIRMED


def test_with_the_immediate_backend_a_failed_mail_still_leaves_the_registration_confirmed(
    smtp_port, event, client, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert register(client, event).status_code == 302
    assert Registration.objects.get().status == Registration.Status.CONFIRMED
