import os
import tempfile

import pytest
from django.core.cache import caches
from django.utils import translation

from registrations.stripe_emulator import StripeEmulator

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: its database is new, so nothing cached (a listing, a
    rate-limit count) may come from an earlier test."""
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def language_as_it_was():
    """Each test ends in the language it started in. A test client's request activates its language
    (LocaleMiddleware) in the test's own thread and nothing turns it off, so a Spanish request would
    otherwise leave the next test formatting "3,5" for "3.5"."""
    before = translation.get_language()
    yield
    if before:
        translation.activate(before)
    else:
        translation.deactivate()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """One SQLite test database per process, named when its session starts: processes forked after
    the settings were read (mutmut runs mutants so, two at a time) must not share their parent's."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["TEST"]["NAME"] = os.path.join(tempfile.gettempdir(), f"events-test-{os.getpid()}.sqlite3")


@pytest.fixture(scope="session")
def emulator_server():
    emulator = StripeEmulator(webhook_secret=WEBHOOK_SECRET, retry_delays=(0.1, 0.2)).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def stripe_emulator(emulator_server, live_server, settings):
    """The Stripe emulator, with webhooks going to this test's live server and the app pointed at it.

    The stripe client keeps production's retries and timeout (registrations.conf): the suite then
    proves that retried calls are safe (idempotency keys), as they must be in production."""
    emulator_server.reset()
    emulator_server.set_webhook_mode("normal")
    emulator_server.webhook_url = live_server.url + "/stripe/webhook/"
    emulator_server.webhook_secret = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = emulator_server.base_url
    settings.STRIPE_SECRET_KEY = "sk_test_emulator"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    yield emulator_server
    emulator_server.drain(timeout=5)
