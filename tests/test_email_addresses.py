"""Links in emails and calendar invites lead to the event's own Wagtail Site: one install may serve
several Sites, and no email is built inside a request that could tell the address."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from wagtail.models import Page, Site

from events.models import EventIndexPage
from home.models import HomePage
from registrations.emails import KINDS, send_email
from registrations.models import CheckIn, Registration
from registrations.services import certificates
from tests.calendar_checks import parse_valid_calendar
from tests.factories import ensure_home, event_index, make_event, make_registration, make_waitlist_entry

pytestmark = pytest.mark.django_db

ADDRESS = re.compile(r"https?://[^\s\"'<>]+")
SITE_A = "http://events-a.example:8001"
SITE_B = "http://events-b.example:8002"


@pytest.fixture
def events():
    """Two Sites of one install (their own hosts and ports), each with a listing and an event
    slugged "workshop"."""
    home_a = ensure_home()
    Site.objects.filter(root_page=home_a).update(hostname="events-a.example", port=8001)
    home_b = Page.get_first_root_node().add_child(instance=HomePage(title="Site B", slug="site-b"))
    home_b.save_revision().publish()
    Site.objects.create(hostname="events-b.example", port=8002, root_page=home_b, site_name="B")
    listing_b = home_b.add_child(instance=EventIndexPage(title="Events", slug="events"))
    listing_b.save_revision().publish()

    event_b = make_event("Workshop", slug="workshop", starts_in=dt.timedelta(days=-1), hours=2)
    event_b.move(listing_b, pos="last-child")
    event_a = make_event("Workshop", slug="workshop", starts_in=dt.timedelta(days=-1), hours=2)
    event_a.refresh_from_db()
    event_b.refresh_from_db()
    assert event_a.get_parent().specific == event_index()
    return {SITE_A: event_a, SITE_B: event_b}


def objects_for(kind, event):
    """What the `kind` email is about, for `event`."""
    if KINDS[kind].about == "waitlist_entry":
        offered = kind == "waitlist_offer"
        entry = make_waitlist_entry(event, offered)
        return {"waitlist_entry": entry}
    status = Registration.Status.CANCELLED if kind == "cancellation" else Registration.Status.CONFIRMED
    registration = make_registration(event, status=status)
    if kind == "certificate":
        CheckIn.objects.create(registration=registration, session=event.ordered_sessions[0])
        certificates.issue(registration)
    if kind == "evaluation_reminder":  # due: the event asks one, and the attendee was there
        event.evaluation = [("text", {"question": "Anything else?", "asked_for": "event", "required": False})]
        event.save()
        CheckIn.objects.create(registration=registration, session=event.ordered_sessions[0])
    if KINDS[kind].about == "order":
        return {"order": registration.order, **({"amount": "10.00"} if kind == "refund" else {})}
    extra = {"message_subject": "Parking", "message_body": "Use the back door."}
    return {"registration": registration, **(extra if kind == "organizer_message" else {})}


def addresses_in(message):
    """Every address in the email: its text and HTML parts and the URL of each calendar entry."""
    found = ADDRESS.findall(message.body)
    for content, mimetype in message.alternatives:
        if mimetype == "text/html":
            found += ADDRESS.findall(content)
        elif mimetype.startswith("text/calendar"):
            for vevent in parse_valid_calendar(content.encode()).walk("VEVENT"):
                found.append(str(vevent["URL"]))
                found += ADDRESS.findall(str(vevent.get("DESCRIPTION", "")))
    return found


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_email_links_to_its_own_events_site(kind, events, mailoutbox, django_capture_on_commit_callbacks):
    for root_url, event in events.items():
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            send_email(kind, **objects_for(kind, event))
        (message,) = mailoutbox
        addresses = addresses_in(message)
        assert event.get_full_url() in addresses
        assert {urlsplit(address).netloc for address in addresses} == {urlsplit(root_url).netloc}, addresses


def test_links_keep_the_sites_scheme_host_and_port(events):
    event = events[SITE_B]
    registration = make_registration(event)
    assert event.public_url() == SITE_B + "/events/workshop/"
    assert event.public_url(reverse("registrations:ticket", args=[registration.ticket_secret])) == (
        f"{SITE_B}/tickets/{registration.ticket_secret}/"
    )


def test_an_event_under_no_site_takes_the_configured_address(settings, events):
    settings.EVENTS_BASE_URL = "https://events.example.org/"
    orphan_listing = Page.get_first_root_node().add_child(instance=EventIndexPage(title="Archive", slug="archive"))
    event = events[SITE_A]
    event.move(orphan_listing, pos="last-child")
    event.refresh_from_db()
    assert event.get_site() is None
    assert event.public_url() == "https://events.example.org/"
    assert event.public_url("/tickets/x/") == "https://events.example.org/tickets/x/"
