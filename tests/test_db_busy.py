"""A lock wait over the limit answers 503 with Retry-After and "try again", never a 500, and
writes nothing: the buyer's retry then goes through.

Another connection holds the lock in an open transaction (the event's row, as a long seat-taking
transaction would; on SQLite the database's write lock, which an IMMEDIATE transaction takes at
BEGIN), while the request waits at most a few hundred milliseconds for it.
"""

import json
import threading
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction

from events.middleware import DatabaseBusyMiddleware
from events.models import EventPage
from registrations.models import CheckIn, Order, Registration
from tests.factories import make_event, make_registration
from tests.registration_helpers import register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

SHORT_WAIT_MS = 300


@pytest.fixture
def short_lock_wait():
    """This test's requests give up waiting for a lock after SHORT_WAIT_MS (a fresh connection)."""
    options = connection.settings_dict["OPTIONS"]
    saved = dict(options)
    if connection.vendor == "postgresql":
        options["options"] = f"-c lock_timeout={SHORT_WAIT_MS}"
    else:
        options["timeout"] = SHORT_WAIT_MS / 1000
    connection.close()
    yield
    options.clear()
    options.update(saved)
    connection.close()


@contextmanager
def locked(queryset):
    """Hold the row lock of `queryset`'s rows from another connection until the block ends."""
    holding, release = threading.Event(), threading.Event()
    errors = []

    def hold():
        try:
            with transaction.atomic():
                list(queryset.select_for_update(of=("self",)))
                holding.set()
                release.wait(10)
        except Exception as error:  # reported below
            errors.append(error)
            holding.set()
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10) and not errors, errors
    try:
        yield
    finally:
        release.set()
        thread.join()


@pytest.fixture
def event():
    return make_event("Busy workshop", tickets=[("Free", "0")], capacity=20)


@pytest.mark.postgres_only
def test_postgres_connections_wait_for_locks_at_most_the_configured_time():
    assert "-c lock_timeout=5000" in settings.DATABASES["default"]["OPTIONS"]["options"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "5s"


def test_registering_while_the_event_is_locked_answers_503_and_writes_nothing(client, event, short_lock_wait):
    with locked(EventPage.objects.filter(pk=event.pk)):
        response = register(client, event, quantity=2)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "We're very busy, please try again in a moment." in response.content.decode()
    assert "text/html" in response["Content-Type"]
    assert not Order.objects.exists() and not Registration.objects.exists()

    retry = register(client, event, quantity=2)  # the lock is gone: the same request succeeds
    assert retry.status_code == 302
    assert Order.objects.get().status == Order.Status.PAID
    assert Registration.objects.confirmed().count() == 2


def test_the_check_in_endpoint_answers_busy_as_json(client, short_lock_wait, django_user_model):
    event = make_event("Busy door", tickets=[("Standard", "0")])
    ana = make_registration(event)
    client.force_login(django_user_model.objects.create_superuser("door", "door@example.com", "pw"))
    url = f"/checkin/{event.pk}/redeem/"
    body = json.dumps({"secret": ana.ticket_secret})

    with locked(Registration.objects.filter(pk=ana.pk)):
        response = client.post(url, body, content_type="application/json", HTTP_ACCEPT="application/json")

    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json()["error"] == "We're very busy, please try again in a moment."
    assert not CheckIn.objects.exists()
    retry = client.post(url, body, content_type="application/json", HTTP_ACCEPT="application/json")
    assert retry.status_code == 200 and retry.json()["result"] == "ok"
    assert CheckIn.objects.count() == 1


def test_the_busy_page_comes_from_the_plugin_whatever_the_sites_templates(settings, rf):
    """events/503.html stands alone: a site with no templates of its own (or whose base template
    needs the busy database) still answers 503 with the message."""
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": []}]
    response = DatabaseBusyMiddleware(lambda request: None).process_exception(
        rf.get("/events/x/", HTTP_ACCEPT="text/html"), OperationalError("database is locked")
    )
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "We're very busy, please try again in a moment." in response.content.decode()
