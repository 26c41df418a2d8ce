"""The plugin as an integrator meets it: the wheel installed into a clean virtualenv beside a new
`wagtail start` site, the documented lines (read from docs/install.md, "Quick start") applied and
nothing else of this repository, then that site served by a real server and used: listing, event
page with its JSON-LD and assets, API, feed, a free registration with its email and invite, a paid
one through the Stripe emulator (shipped in the wheel) to a confirmed ticket, the check-in page
with its script, and the pages in Spanish."""

import json
import os
import re
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

import pytest
import requests
from django.utils import translation

from tests.local_servers import free_port
from tests.test_distribution import ROOT, dist  # noqa: F401  (the wheel, built once per module)

DOCS = ROOT / "docs" / "install.md"
PASSWORD = "a-door-keeper-password"

# What the integrator adds for this test only (mysite/settings/local.py, which `wagtail start`'s
# dev settings import): mail into files to read, and the Stripe emulator instead of Stripe.
LOCAL_SETTINGS = """
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = {mail!r}
STRIPE_API_BASE = "http://127.0.0.1:{emulator_port}"
STRIPE_SECRET_KEY = "sk_test_wagtail_start"
STRIPE_WEBHOOK_SECRET = "whsec_wagtail_start"
"""

# The listing as docs/install.md makes it from code, then the Site's address and an event, as an
# editor would set them in the admin.
CONTENT = """
import datetime as dt
from decimal import Decimal

from django.utils import timezone
from wagtail.models import Site

from events.models import EventPage, EventSession, Organizer, TicketType

{listing}

Site.objects.update(hostname="127.0.0.1", port={port})
start = timezone.now() + dt.timedelta(days=30)
event = EventPage(
    title="The therapeutic alliance", slug="alliance", summary="Two days on the working alliance.",
    time_zone="Europe/London", format=EventPage.Format.ONLINE, online_url="https://meet.example/alliance",
    organizer=Organizer.objects.create(name="Alliance Institute", slug="alliance-institute"),
)
event.sessions = [EventSession(start=start, end=start + dt.timedelta(hours=6))]
event.ticket_types = [TicketType(name="Student", price=Decimal("0")), TicketType(name="Clinician", price=Decimal("120"))]
listing.add_child(instance=event)
event.save_revision().publish()
print("EVENT", event.pk, *[ticket.pk for ticket in event.ticket_types.order_by("price")])
"""


def documented_blocks():
    """The code blocks of docs/install.md's "Quick start": pip, settings, URLs, the listing."""
    text = DOCS.read_text()
    section = text[text.index("## Quick start") : text.index("## Installing the package")]
    return re.findall(r"```(?:python|sh)\n(.*?)```", section, re.S)


def run(*command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def wait_for(url, process):
    for _ in range(300):
        assert process.poll() is None, process.stdout.read()
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def form_fields(html):
    """The hidden inputs of a page's form (the CSRF token)."""
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


@pytest.fixture(scope="module")
def site(dist, tmp_path_factory):  # noqa: F811
    """The new site, served by Django's server beside the Stripe emulator, both run from the clean
    virtualenv: (base URL, event id, free and paid ticket ids, the mail folder)."""
    wheel, _ = dist
    work = tmp_path_factory.mktemp("wagtail_start")
    venv, mail = work / "venv", work / "mail"
    run(sys.executable, "-m", "venv", str(venv))
    python = str(venv / "bin" / "python")
    pip_line, settings_lines, urls_lines, listing_lines = documented_blocks()
    assert pip_line.strip() == "pip install wagtail-event-registrations"
    # The documented install, from the wheel, with the versions this repository is tested with.
    constraints = work / "constraints.txt"  # (a constraint names no extras)
    constraints.write_text(re.sub(r"\[[^\]]*\]", "", (ROOT / "requirements.txt").read_text()))
    run(python, "-m", "pip", "install", "-q", str(wheel), "-c", str(constraints))
    run(str(venv / "bin" / "wagtail"), "start", "mysite", cwd=work)
    project = work / "mysite"
    with open(project / "mysite" / "settings" / "base.py", "a") as settings:
        settings.write("\n" + settings_lines)
    with open(project / "mysite" / "urls.py", "a") as urls:
        urls.write("\n" + urls_lines)
    port, emulator_port = free_port(), free_port()
    (project / "mysite" / "settings" / "local.py").write_text(
        LOCAL_SETTINGS.format(mail=str(mail), emulator_port=emulator_port)
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "DJANGO", "DATABASE"))}
    manage = [python, "manage.py"]
    run(*manage, "migrate", "--noinput", cwd=project, env=env)
    checked = run(*manage, "check", cwd=project, env=env)
    assert "events." not in checked and "registrations." not in checked, checked
    made = run(*manage, "shell", "-c", CONTENT.format(listing=listing_lines, port=port), cwd=project, env=env)
    event_id, free_ticket, paid_ticket = re.search(r"EVENT (\d+) (\d+) (\d+)", made).groups()
    run(
        *manage, "createsuperuser", "--noinput", "--username", "door", "--email", "door@example.com",
        cwd=project, env={**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    emulator = subprocess.Popen(
        [python, "-m", "registrations.stripe_emulator", "--port", str(emulator_port),
         "--webhook-url", f"{base}/stripe/webhook/", "--webhook-secret", "whsec_wagtail_start"],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_for(f"http://127.0.0.1:{emulator_port}/", emulator)
        wait_for(base + "/", server)
        yield {"base": base, "event": event_id, "free": free_ticket, "paid": paid_ticket, "mail": mail, "venv": venv}
    finally:
        for process in (server, emulator):
            process.terminate()
            process.wait(timeout=10)


def test_the_site_imports_the_plugin_from_the_clean_virtualenv_only(site):
    found = run(
        str(site["venv"] / "bin" / "python"), "-c",
        "import events, registrations, sys; print(events.__file__, registrations.__file__); print(*sys.path)",
        cwd=site["venv"],
    )  # fmt: skip
    files, path = found.splitlines()
    assert all(Path(file).is_relative_to(site["venv"]) for file in files.split())
    assert str(ROOT) not in path


def test_listing_event_page_api_and_feed(site):
    base = site["base"]
    listing = requests.get(base + "/events/")
    assert listing.status_code == 200 and "The therapeutic alliance" in listing.text
    page = requests.get(base + "/events/alliance/")
    assert page.status_code == 200
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)
    assert ld and json.loads(ld.group(1))["name"] == "The therapeutic alliance"
    assets = re.findall(r'(?:src|href)="(/static/(?:events|registrations)/[^"]+)"', page.text)
    assert assets, "the page names none of the apps' assets"
    for asset in assets:
        assert requests.get(base + asset).status_code == 200, asset
    api = requests.get(base + "/api/events/").json()
    assert [event["title"] for event in api["results"]] == ["The therapeutic alliance"]
    feed = requests.get(base + "/events/ical/")
    assert feed.headers["Content-Type"].startswith("text/calendar") and "SUMMARY:The therapeutic alliance" in feed.text


def register(session, site, ticket, email):
    url = site["base"] + "/events/alliance/register/"
    form = session.get(url)
    assert form.status_code == 200
    data = {
        **form_fields(form.text),
        "ticket_type": ticket,
        "quantity": "1",
        "attendee-0-name": "Ana Pérez",
        "attendee-0-email": email,
    }
    return session.post(url, data=data, headers={"Referer": url}, allow_redirects=False)


def emails_to(mail, address):
    found = []
    for path in sorted(Path(mail).glob("*.log")):
        for raw in path.read_bytes().split(b"-" * 79):
            if raw.strip() and address.encode() in raw:
                found.append(message_from_bytes(raw.strip()))
    return found


def test_a_free_registration_confirms_at_once_with_an_email_and_invite(site):
    session = requests.Session()
    response = register(session, site, site["free"], "free@example.com")
    assert response.status_code in (302, 303), response.text[:2000]
    order = session.get(site["base"] + response.headers["Location"])
    assert "Open ticket" in order.text
    [message] = emails_to(site["mail"], "free@example.com")
    parts = {part.get_content_type(): part for part in message.walk()}
    invite = parts["text/calendar"].get_payload(decode=True).decode()
    assert "METHOD:REQUEST" in invite and "SUMMARY:The therapeutic alliance" in invite
    assert f"{site['base']}/tickets/" in parts["text/plain"].get_payload(decode=True).decode()


def test_a_paid_registration_goes_through_the_emulator_to_a_confirmed_ticket(site):
    session = requests.Session()
    response = register(session, site, site["paid"], "paid@example.com")
    assert response.status_code == 303, response.text[:2000]
    pay_page = response.headers["Location"]
    assert "/pay/cs_" in pay_page
    paid = session.post(pay_page, data={"card": "4242424242424242", "method": "card"})
    assert paid.url.startswith(site["base"] + "/")  # back on the site, through the success page
    for _ in range(50):  # the webhook and the success page both fulfil, whichever comes first
        if "Open ticket" in paid.text:
            break
        time.sleep(0.2)
        paid = session.get(paid.url)
    assert "Open ticket" in paid.text
    ticket_url = re.search(r'href="(/tickets/[^"]+/)"', paid.text).group(1)
    ticket = session.get(site["base"] + ticket_url)
    assert (
        ticket.status_code == 200 and "The therapeutic alliance" in ticket.text and 'class="ticket-qr"' in ticket.text
    )


def test_the_check_in_page_opens_for_staff_with_its_script(site):
    session = requests.Session()
    login = site["base"] + "/admin/login/"
    form = session.get(login)
    signed_in = session.post(
        login, data={**form_fields(form.text), "username": "door", "password": PASSWORD}, headers={"Referer": login}
    )
    assert signed_in.status_code == 200 and "/admin/login/" not in signed_in.url
    page = session.get(f"{site['base']}/checkin/{site['event']}/")
    assert page.status_code == 200 and "The therapeutic alliance" in page.text
    [script] = re.findall(r'src="(/static/registrations/checkin[^"]*\.js)"', page.text)
    assert session.get(site["base"] + script).status_code == 200


def test_the_pages_are_in_spanish_for_a_spanish_visitor(site):
    with translation.override("es"):
        register_now, events_heading = translation.gettext("Register now"), translation.gettext("Events")
    assert register_now != "Register now"
    spanish = requests.Session()
    spanish.headers["Accept-Language"] = "es"
    page = spanish.get(site["base"] + "/events/alliance/")
    assert register_now in page.text and "Register now" not in page.text
    assert events_heading in spanish.get(site["base"] + "/events/").text
