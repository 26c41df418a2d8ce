"""Guessing staff passwords at /admin/login/ is paused (django-axes): after AXES_FAILURE_LIMIT
failed sign-ins for a username, or from an address, that username or address cannot sign in, not
even with the right password, until the cooling-off period has passed; the sign-in page says so.
A successful sign-in resets the count. Counts live in the database, shared by every web process."""

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

LOGIN = "/admin/login/"
PASSWORD = "correct horse battery staple"
PAUSED = "Too many failed sign-in attempts"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", PASSWORD)


def browser(address="203.0.113.7"):
    return Client(REMOTE_ADDR=address)


def sign_in(client, username="staff", password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def signed_in(client):
    return client.get("/admin/").status_code == 200


def fail(client, times, username="staff"):
    return [sign_in(client, username, "wrong password") for _ in range(times)]


def test_failed_sign_ins_up_to_the_limit_get_the_usual_answer(staff, settings):
    client = browser()
    for response in fail(client, settings.AXES_FAILURE_LIMIT - 1):
        assert response.status_code == 200 and PAUSED not in response.content.decode()
    assert sign_in(client).status_code == 302 and signed_in(client)


def test_the_failure_that_reaches_the_limit_pauses_sign_in_with_a_clear_message(staff, settings):
    client = browser()
    *_, last = fail(client, settings.AXES_FAILURE_LIMIT)
    assert last.status_code == 429 and int(last["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    text = last.content.decode()
    assert PAUSED in text and "15 minutes" in text
    assert 'name="password"' in text  # the sign-in page itself, not a bare error text


def test_the_right_password_is_refused_while_paused(staff, settings):
    client = browser()
    fail(client, settings.AXES_FAILURE_LIMIT)
    response = sign_in(client)
    assert response.status_code == 429 and PAUSED in response.content.decode()
    assert not signed_in(client)


def test_a_paused_username_is_refused_from_any_address(staff, settings):
    fail(browser("203.0.113.7"), settings.AXES_FAILURE_LIMIT)
    elsewhere = browser("198.51.100.20")
    assert sign_in(elsewhere).status_code == 429 and not signed_in(elsewhere)


def test_a_paused_address_is_refused_for_any_username(staff, settings, django_user_model):
    django_user_model.objects.create_superuser("other", "other@example.com", PASSWORD)
    client = browser()
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"guess{n}", "wrong password")
    assert sign_in(client, "other").status_code == 429 and not signed_in(client)
    elsewhere = browser("198.51.100.20")
    assert sign_in(elsewhere, "other").status_code == 302 and signed_in(elsewhere)


def test_sign_in_works_again_after_the_cooling_off_period(staff, settings):
    client = browser()
    fail(client, settings.AXES_FAILURE_LIMIT)
    assert sign_in(client).status_code == 429
    # The cooling-off period passes: the recorded attempts are that much older.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)
    assert sign_in(client).status_code == 302 and signed_in(client)


def test_a_successful_sign_in_resets_the_count(staff, settings):
    client = browser()
    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client).status_code == 302
    client.post("/admin/logout/")
    for response in fail(client, settings.AXES_FAILURE_LIMIT - 1):
        assert response.status_code == 200
    assert sign_in(client).status_code == 302 and signed_in(client)


def test_attempts_are_counted_where_every_web_process_sees_them(staff, settings):
    """Counted in the database: another process (here, another client) meets the same pause."""
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    fail(browser(), settings.AXES_FAILURE_LIMIT)
    assert AccessAttempt.objects.filter(username="staff").exists()
    assert sign_in(browser()).status_code == 429
