"""Every address of an event follows its page wherever it lives (Wagtail's routable pages): any
number of listings, on several Sites of one install, with the same slugs, and each address finds its
own event. Registration once looked events up by slug across the whole install (500 with two
`workshop`s) at an address fixed to /events/<slug>/."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from wagtail.models import Page, Site

from events.models import EventIndexPage
from home.models import HomePage
from registrations.models import Order, WaitlistEntry
from tests.calendar_checks import parse_valid_calendar
from tests.factories import ensure_home, event_index, make_event
from tests.registration_helpers import attendee_data

pytestmark = pytest.mark.django_db

SITE_A, SITE_B = "events-a.example", "events-b.example"


def listing(parent, slug):
    page = parent.add_child(instance=EventIndexPage(title=slug.title(), slug=slug))
    page.save_revision().publish()
    return page


@pytest.fixture
def workshops(settings):
    """Three events slugged "workshop": under /events/ and /courses/ of Site A, and /events/ of
    Site B; each with its own title, ticket and capacity of one."""
    settings.ALLOWED_HOSTS = [SITE_A, SITE_B]
    home_a = ensure_home()
    Site.objects.filter(root_page=home_a).update(hostname=SITE_A, port=80, is_default_site=True)
    home_b = Page.get_first_root_node().add_child(instance=HomePage(title="Site B", slug="site-b"))
    home_b.save_revision().publish()
    Site.objects.create(hostname=SITE_B, port=80, root_page=home_b, site_name="B")
    made = {}
    for name, parent in (
        ("A events", event_index()),
        ("A courses", listing(home_a, "courses")),
        ("B events", listing(home_b, "events")),
    ):
        tickets = [(f"Ticket of {name}", "0")]
        made[name] = make_event(f"Workshop {name}", slug="workshop", tickets=tickets, capacity=1, parent=parent)
    return made


def client_for(event):
    return Client(headers={"host": event.get_site().hostname})


def path_of(event, route=None):
    """The event's path on its own Site (the page, or one of its routes)."""
    site_id, root_url, path = event.get_url_parts()
    return path + (event.reverse_subpage(route) if route else "")


def test_each_event_has_its_own_address_below_its_own_listing(workshops):
    assert {path_of(event) for event in workshops.values()} == {"/events/workshop/", "/courses/workshop/"}
    for name, event in workshops.items():
        client = client_for(event)
        assert f"Workshop {name}" in client.get(path_of(event)).content.decode()
        form = client.get(path_of(event, "register"))
        assert form.status_code == 200
        assert f"Ticket of {name}" in form.content.decode()
        assert path_of(event, "register") in client.get(path_of(event)).content.decode()  # the Register button


def test_registering_at_each_address_takes_a_seat_of_that_event_only(
    workshops, mailoutbox, django_capture_on_commit_callbacks
):
    for event in workshops.values():
        ticket = event.ticket_types.get()
        data = {"ticket_type": ticket.pk, "quantity": 1, **attendee_data(1)}
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(event).post(path_of(event, "register"), data)
        assert response.status_code in (302, 303), response.content[:500]
        order = Order.objects.get(event=event)
        assert order.registrations.get().ticket_type == ticket
        # the confirmation links to the event on its own Site
        message = next(m for m in mailoutbox if m.to == [order.buyer_email] and event.title in m.subject)
        assert f"http://{event.get_site().hostname}{path_of(event)}" in message.body
    assert Order.objects.count() == 3


def test_joining_the_waitlist_at_each_address_joins_that_events_list(workshops):
    for name, event in workshops.items():
        client = client_for(event)
        ticket = event.ticket_types.get()
        client.post(path_of(event, "register"), {"ticket_type": ticket.pk, "quantity": 1, **attendee_data(1)})
        assert "Sold out" in client.get(path_of(event, "register")).content.decode()
        page = client.post(
            path_of(event, "waitlist_join"),
            {"ticket_type": ticket.pk, "name": "Wen", "email": f"wen-{event.pk}@example.com"},
        )
        assert page.status_code == 200 and f"Workshop {name}" in page.content.decode()
        assert WaitlistEntry.objects.get(email=f"wen-{event.pk}@example.com").event == event
    assert WaitlistEntry.objects.count() == 3


def test_each_calendar_is_its_events_and_each_listing_feed_has_only_its_own(workshops):
    for name, event in workshops.items():
        client = client_for(event)
        calendar = parse_valid_calendar(client.get(path_of(event, "ical")).content)
        [vevent] = calendar.walk("VEVENT")
        assert str(vevent["SUMMARY"]) == f"Workshop {name}"
        assert str(vevent["URL"]) == f"http://{event.get_site().hostname}{path_of(event)}"
        feed = parse_valid_calendar(client.get(path_of(event.get_parent().specific, "ical_feed")).content)
        assert [str(v["SUMMARY"]) for v in feed.walk("VEVENT")] == [f"Workshop {name}"]


def test_tickets_orders_and_check_in_lead_to_their_own_event(workshops):
    staff = get_user_model().objects.create_superuser("door", "door@example.com", "pw")
    for name, event in workshops.items():
        client = client_for(event)
        ticket = event.ticket_types.get()
        client.post(path_of(event, "register"), {"ticket_type": ticket.pk, "quantity": 1, **attendee_data(1)})
        seat = Order.objects.get(event=event).registrations.get()
        ticket_page = client.get(reverse("registrations:ticket", args=[seat.ticket_secret])).content.decode()
        assert re.search(rf'href="(http://{event.get_site().hostname})?{path_of(event)}"', ticket_page)
        client.force_login(staff)
        check_in = client.get(reverse("registrations:checkin", args=[event.pk]))
        assert check_in.status_code == 200 and f"Workshop {name}" in check_in.content.decode()


def test_an_address_that_is_not_an_events_gets_a_404_not_a_500(workshops):
    client = client_for(workshops["A events"])
    for path in ("/events/workshop/registerx/", "/events/nothing/register/", "/register/", "/events/register/"):
        assert client.get(path).status_code == 404, path
