"""`make demo` serves the site as production does, on the port it runs on."""

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command
from wagtail.models import Site

from home.management.commands.seed_demo import Command
from registrations.emails import ticket_url
from registrations.invites import event_url
from tests.factories import make_event, make_registration

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_the_demo_prints_and_records_the_port_it_runs_on(settings):
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8731"
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Admin login: http://127.0.0.1:8731/admin/" in out.getvalue()
    assert ":8000" not in out.getvalue()
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("127.0.0.1", 8731)
    assert site.root_url == "http://127.0.0.1:8731"


@pytest.mark.django_db
def test_links_in_emails_lead_to_the_address_the_demo_runs_on(settings):
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8731"
    Command(stdout=io.StringIO()).ensure_site_address()  # emails take the Site's own address
    registration = make_registration(make_event("Linked"))
    assert ticket_url(registration).startswith("http://127.0.0.1:8731/tickets/")
    assert event_url(registration.event).startswith("http://127.0.0.1:8731/events/")


SCRIPT = textwrap.dedent(
    """
    import django
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    call_command("migrate", verbosity=0)
    client = Client(HTTP_HOST="127.0.0.1:8731")
    missing = client.get("/no-such-page/")
    css = client.get("/static/css/site.css")
    print("DEBUG", settings.DEBUG)
    print("BASE", settings.WAGTAILADMIN_BASE_URL)
    print("MISSING", missing.status_code, "Page not found" in missing.content.decode(),
          "URLconf" in missing.content.decode())
    print("CSS", css.status_code)
    """
)


@pytest.mark.parametrize("debug", ["", "1"], ids=["default", "DEBUG=1"])
def test_the_demo_serves_the_sites_404_and_its_static_files_without_debug(tmp_path, debug):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")},
        "DJANGO_SETTINGS_MODULE": "config.settings.demo",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "BASE_URL": "http://127.0.0.1:8731",
        **({"DEBUG": debug} if debug else {}),
    }
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "BASE http://127.0.0.1:8731" in lines
    if debug:
        assert "DEBUG True" in lines and "MISSING 404 True True" in lines  # Django's debug page, on request
    else:
        assert "DEBUG False" in lines
        assert "MISSING 404 True False" in lines  # the site's own page, no URL patterns shown
    assert "CSS 200" in lines
