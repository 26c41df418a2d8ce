"""Bad input to the registration form gets a clear message and creates nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from registrations.models import Order, Registration
from tests.factories import make_event
from tests.registration_helpers import attendee_data, register

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def event():
    return make_event("Free forum", tickets=[("Free", "0")], capacity=50)


def post(client, event, data):
    return client.post(f"/events/{event.slug}/register/", data)


def test_free_registration_confirms_at_once_with_an_email(
    client, event, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, event, quantity=2)
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.status == Order.Status.PAID and order.total == 0
    assert list(order.registrations.values_list("status", flat=True)) == ["confirmed", "confirmed"]
    assert len(mailoutbox) == 2
    ticket = order.registrations.first()
    page = client.get(f"/tickets/{ticket.ticket_secret}/")
    assert page.status_code == 200 and 'data-status="confirmed"' in page.content.decode()


def test_register_page_shows_the_form(client, event):
    response = client.get(f"/events/{event.slug}/register/?quantity=3")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('name="attendee-') == 6  # name and email for three attendees
    assert client.get("/events/no-such-event/register/").status_code == 404


def test_updating_the_number_of_attendees_keeps_the_ticket_and_what_was_typed_and_registers_nobody(client):
    event = make_event("Two tickets", tickets=[("Standard", "0"), ("Student", "0")], capacity=50)
    student = event.ticket_types.get(name="Student")
    data = {"ticket_type": student.pk, "quantity": 2, "update_quantity": "1", **attendee_data(1)}
    response = post(client, event, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{student.pk}" checked' in html
    assert html.count('name="attendee-') == 4  # two attendees now
    assert 'value="Attendee 0"' in html and 'value="attendee0@example.com"' in html
    assert "This field is required." not in html  # nothing is checked yet
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"attendee-0-name": ""}, "This field is required."),
        ({"attendee-0-name": "   "}, "This field is required."),
        ({"attendee-0-email": "not-an-email"}, "Enter a valid email address."),
        ({"quantity": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"quantity": "11"}, "You can register at most 10 people at once."),
        ({"quantity": "abc"}, "Enter a whole number."),
        ({"ticket_type": "999999"}, "Select a valid choice."),
        ({"ticket_type": ""}, "This field is required."),
        ({"attendee-0-name": "x" * 201}, "Ensure this value has at most 200 characters"),
        ({"attendee-0-name": "Nul\x00byte"}, "Null characters are not allowed."),
    ],
)
def test_bad_fields_get_clear_messages_and_nothing_is_created(client, event, changes, message, mailoutbox):
    data = {"ticket_type": event.ticket_types.get().pk, "quantity": 1, **attendee_data(1)}
    data.update(changes)
    response = post(client, event, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Order.objects.exists() and not Registration.objects.exists() and mailoutbox == []


def test_ticket_type_of_another_event_is_refused(client, event):
    other = make_event("Other event", tickets=[("VIP", "0")])
    response = post(client, event, {"ticket_type": other.ticket_types.get().pk, "quantity": 1, **attendee_data(1)})
    assert response.status_code == 200 and "Select a valid choice." in response.content.decode()
    assert not Order.objects.exists()


def test_fewer_attendees_than_the_quantity_asks_for_more(client, event):
    response = post(client, event, {"ticket_type": event.ticket_types.get().pk, "quantity": 3, **attendee_data(1)})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Order.objects.exists()


def test_ce_events_require_profession_and_licence(client):
    event = make_event("CE workshop", tickets=[("Free", "0")], ce_hours=6)
    data = {"ticket_type": event.ticket_types.get().pk, "quantity": 1, **attendee_data(1)}
    response = post(client, event, data)
    assert response.status_code == 200 and not Order.objects.exists()
    assert "attendee-0-licence_number" in response.content.decode()
    data.update({"attendee-0-profession": "Social worker", "attendee-0-licence_number": "SW-123"})
    assert post(client, event, data).status_code == 302
    assert Registration.objects.get().licence_number == "SW-123"


@pytest.mark.parametrize(
    "fields,message",
    [
        (
            {
                "registration_closes": timezone.now() - dt.timedelta(days=1),
                "registration_opens": timezone.now() - dt.timedelta(days=9),
            },
            "Registration for this event is closed.",
        ),
        ({"registration_opens": timezone.now() + dt.timedelta(days=1)}, "Registration for this event is closed."),
        ({"status": "postponed"}, "registration is closed"),
    ],
)
def test_closed_registration_is_refused(client, fields, message):
    event = make_event("Closed", tickets=[("Free", "0")], **fields)
    response = register(client, event)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Order.objects.exists()


def test_sold_out_offers_the_waitlist_and_takes_nothing(client):
    event = make_event("Tiny", tickets=[("Free", "0")], capacity=1)
    assert register(client, event).status_code == 302
    response = register(client, event)
    assert response.status_code == 200
    html = response.content.decode()
    assert "sold out" in html and "Join the waitlist" in html
    assert Registration.objects.count() == 1


def test_get_and_post_only(client, event):
    assert client.put(f"/events/{event.slug}/register/").status_code == 405


def test_ticket_page_shows_the_join_link_and_invite_only_when_confirmed(client):
    from registrations.models import Registration
    from tests.factories import make_registration

    event = make_event("Webinar", tickets=[("Free", "0")], format="online", online_url="https://meet.example.com/j/123")
    confirmed = make_registration(event, status="confirmed")
    page = client.get(f"/tickets/{confirmed.ticket_secret}/").content.decode()
    assert f"/tickets/{confirmed.ticket_secret}/join/" in page and "https://meet.example.com/j/123" not in page
    invite = client.get(f"/tickets/{confirmed.ticket_secret}/invite.ics")
    assert invite.status_code == 200 and b"METHOD:REQUEST" in invite.content
    held = make_registration(event, email="held@example.com", status=Registration.Status.HELD)
    held_page = client.get(f"/tickets/{held.ticket_secret}/").content.decode()
    assert "meet.example.com" not in held_page and "/join/" not in held_page
    assert client.get(f"/tickets/{held.ticket_secret}/invite.ics").status_code == 404
    assert client.get("/tickets/guessing-does-not-work/").status_code == 404
