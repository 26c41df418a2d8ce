"""Rate limits: a burst of posts from one address (or one door account) gets 429 with a friendly
answer and changes nothing; reading never counts; real door staff scanning fast are never
stopped; the limits can be turned off for load tests, and behind a proxy they count the client.

The test settings turn limits off (the suite posts many times from one address); each test here
turns them on and starts from an empty cache."""

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.test import Client
from django.utils import timezone
from django_ratelimit.exceptions import Ratelimited

from events.middleware import ratelimited
from events.models import OrganizerApplication
from events.ratelimits import DEFAULT_RATES
from registrations.models import CheckIn, Order, WaitlistEntry
from tests.factories import make_event, make_registration
from tests.registration_helpers import attendee_data, register

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def limits_on(settings):
    """Limits on, counted from an empty cache (tests/conftest.py empties it for every test)."""
    settings.RATELIMIT_ENABLE = True
    settings.CLIENT_IP_HEADER = ""
    return settings


@pytest.fixture
def event():
    return make_event("Alliance workshop", capacity=50)


def application(n):
    return {
        "name": f"Lead {n}",
        "email": f"lead{n}@example.com",
        "organization": f"Society {n}",
        "message": "Workshops for clinicians.",
    }


def register_via(client, event, forwarded_for):
    """Register one attendee, through a proxy that says who the client is."""
    data = {"ticket_type": event.ticket_types.first().pk, "quantity": 1, **attendee_data(1)}
    return client.post(f"/events/{event.slug}/register/", data, headers={"X-Forwarded-For": forwarded_for})


def assert_friendly_429(response):
    assert response.status_code == 429
    assert response["Retry-After"] == "60"  # RATELIMIT_RETRY_AFTER's default, whatever the rate
    text = response.content.decode()
    assert "Too many attempts" in text and "Nothing was changed" in text
    assert '<html lang="en">' in text  # the site's own page, not a bare error


def test_a_burst_of_registrations_from_one_address_gets_429_and_no_order(event, limits_on):
    limits_on.RATELIMITS = {"register": "3/h"}
    client = Client()
    for _ in range(3):
        assert register(client, event).status_code == 302
    assert Order.objects.count() == 3

    refused = register(client, event)

    assert_friendly_429(refused)
    assert Order.objects.count() == 3
    assert client.get(f"/events/{event.slug}/register/").status_code == 200  # reading never counts


def test_another_address_still_registers_during_a_burst(event, limits_on):
    limits_on.RATELIMITS = {"register": "1/h"}
    crowded, other = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="198.51.100.2")
    assert register(crowded, event).status_code == 302
    assert register(crowded, event).status_code == 429
    assert register(other, event).status_code == 302
    assert Order.objects.count() == 2


def test_a_burst_of_waitlist_joins_gets_429_and_no_entry(limits_on):
    event = make_event("Full workshop", capacity=0)  # one joins the waitlist only for what is sold out
    limits_on.RATELIMITS = {"waitlist_join": "2/h"}
    client = Client()
    ticket = event.ticket_types.first()
    for n in range(2):
        data = {"ticket_type": ticket.pk, "name": f"Wait {n}", "email": f"wait{n}@example.com"}
        assert client.post(f"/events/{event.slug}/waitlist/", data).status_code == 200
    refused = client.post(
        f"/events/{event.slug}/waitlist/", {"ticket_type": ticket.pk, "name": "Wait 9", "email": "wait9@example.com"}
    )
    assert_friendly_429(refused)
    assert sorted(WaitlistEntry.objects.values_list("email", flat=True)) == ["wait0@example.com", "wait1@example.com"]


def test_a_burst_of_organizer_applications_gets_429_and_no_application(limits_on):
    limits_on.RATELIMITS = {"organizer_apply": "2/h"}
    client = Client()
    for n in range(2):
        assert client.post("/organizers/apply/", application(n)).status_code == 302
    assert_friendly_429(client.post("/organizers/apply/", application(2)))
    assert OrganizerApplication.objects.count() == 2
    assert client.get("/organizers/apply/").status_code == 200


def test_the_application_form_has_a_limit_by_default():
    """Not only when a test sets one: every limited action has a default rate."""
    assert set(DEFAULT_RATES) == {
        "register",
        "waitlist_join",
        "organizer_apply",
        "checkin_redeem",
        "listing_build",
        "suggest",
        "subscribe",
        "sign_in",
        "geocode",
    }


# Check-in at the door: per account, generous


@pytest.fixture
def door_event():
    now = timezone.now()
    return make_event("Door workshop", sessions=[(now - dt.timedelta(hours=1), now + dt.timedelta(hours=2))])


def door_client(django_user_model, username):
    user = django_user_model.objects.create_superuser(username, f"{username}@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def redeem(client, event, secret):
    return client.post(
        f"/checkin/{event.pk}/redeem/",
        json.dumps({"secret": secret, "session": None}),
        content_type="application/json",
        headers={"Accept": "application/json"},
    )


def test_door_staff_scanning_two_tickets_a_second_for_a_minute_are_never_stopped(
    door_event, django_user_model, monkeypatch
):
    """The default: 120 scans a minute per door account, the 121st is refused. The limiter's clock
    stands still: its windows are fixed in time, and one could end between two scans of the test."""
    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))
    assert DEFAULT_RATES["checkin_redeem"] == "120/m"
    client = door_client(django_user_model, "door")
    ana = make_registration(door_event)
    answers = [redeem(client, door_event, ana.ticket_secret).status_code for _ in range(120)]
    assert answers == [200] * 120
    assert redeem(client, door_event, ana.ticket_secret).status_code == 429


def test_a_refused_scan_answers_json_the_page_shows_and_checks_nobody_in(door_event, django_user_model, limits_on):
    limits_on.RATELIMITS = {"checkin_redeem": "2/h"}
    client = door_client(django_user_model, "door")
    first, second, third = (make_registration(door_event, email=f"p{n}@example.com") for n in range(3))
    assert redeem(client, door_event, first.ticket_secret).status_code == 200
    assert redeem(client, door_event, second.ticket_secret).status_code == 200

    refused = redeem(client, door_event, third.ticket_secret)

    assert refused.status_code == 429 and refused["Content-Type"] == "application/json"
    assert "Too many attempts" in refused.json()["error"]  # checkin.js shows `error` in its panel
    assert not CheckIn.objects.filter(registration=third).exists()
    # Each door account counts on its own: a colleague at the next door is not stopped.
    colleague = door_client(django_user_model, "colleague")
    assert redeem(colleague, door_event, third.ticket_secret).status_code == 200


# Switches and the client's address


def test_limits_off_let_a_burst_through(event, limits_on):
    limits_on.RATELIMITS = {"register": "1/h"}
    limits_on.RATELIMIT_ENABLE = False
    client = Client()
    assert [register(client, event).status_code for _ in range(3)] == [302] * 3


def test_the_environment_turns_limits_off_and_on():
    def enabled(value):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "x" * 60,
            "DATABASE_URL": "sqlite:///:memory:",
        }
        env.pop("RATELIMIT_ENABLE", None)
        if value is not None:
            env["RATELIMIT_ENABLE"] = value
        code = "import django; django.setup(); from django.conf import settings; print(settings.RATELIMIT_ENABLE)"
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert enabled(None) == "True"  # on unless turned off
    assert enabled("0") == "False"


def test_a_forged_forwarded_header_does_not_escape_the_limit_without_a_trusted_proxy(event, limits_on):
    limits_on.RATELIMITS = {"register": "1/h"}
    client = Client()
    assert register_via(client, event, "192.0.2.1").status_code == 302
    assert register_via(client, event, "192.0.2.2").status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(event, limits_on):
    limits_on.RATELIMITS = {"register": "1/h"}
    limits_on.CLIENT_IP_HEADER = "X-Forwarded-For"
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    # The proxy appends the address it saw: the last one counts, not what the client wrote first.
    assert register_via(proxy, event, "6.6.6.6, 192.0.2.1").status_code == 302
    assert register_via(proxy, event, "7.7.7.7, 192.0.2.1").status_code == 429
    assert register_via(proxy, event, "192.0.2.2").status_code == 302
    # A header that is not an address falls back to the connection's, never a server error.
    assert register_via(proxy, event, "not-an-address").status_code == 302
    assert register_via(proxy, event, "").status_code == 429  # the proxy's own address, used just above


def test_an_empty_remote_address_is_not_a_server_error(event, limits_on):
    limits_on.RATELIMITS = {"register": "5/h"}
    assert register(Client(REMOTE_ADDR=""), event).status_code == 302


@pytest.fixture
def builds_limited(limits_on):
    limits_on.RATELIMITS = {"listing_build": "3/h"}
    limits_on.EVENTS_FEED_CACHE_SECONDS = 300
    limits_on.EVENTS_LISTING_CACHE_SECONDS = 60


@pytest.mark.parametrize("base", ["/events/ical/", "/api/events/"])
def test_one_address_asking_for_new_feed_or_api_variants_fast_gets_429(client, event, builds_limited, base):
    """The cost of an attack: 3 feeds built an hour per address, however the address varies them;
    what calendar apps ask for again (the cache) is never refused."""
    asked = [f"{base}?country={code}" for code in ("GB", "US", "JP")]
    assert [client.get(url).status_code for url in asked] == [200, 200, 200]
    refused = client.get(f"{base}?country=FR")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"  # the rate's period
    assert "Too many different searches" in refused.content.decode()
    assert [client.get(url).status_code for url in asked] == [200, 200, 200]  # from the cache
    assert client.get(f"{base}?country=GB&junk=1").status_code == 200  # the same entry
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert other.get(f"{base}?country=FR").status_code == 200


def test_the_429_page_comes_from_the_plugin_inside_any_sites_base_template(settings, rf, tmp_path):
    """A site that has only a stock Wagtail base template (blocks title and content) and no 429 page
    of its own still answers a burst with the plugin's page inside that base."""
    (tmp_path / "base.html").write_text(
        "<html><title>{% block title %}{% endblock %}</title><body>{% block content %}{% endblock %}</body></html>"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    response = ratelimited(rf.post("/events/x/register/", HTTP_ACCEPT="text/html"), Ratelimited())
    assert response.status_code == 429 and response["Retry-After"] == "60"
    text = response.content.decode()
    assert "<title>Too many attempts</title>" in text and "Nothing was changed" in text
