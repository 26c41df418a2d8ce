"""Handing a ticket on (or correcting its name) before the organizer's deadline: the old ticket and
its invite are cancelled, the new holder gets a ticket and an invite of their own, the seat count
does not move, and the order's history says so."""

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from events.models import EventPage
from registrations.models import Registration
from registrations.services import transfers
from registrations.services.capacity import availability
from tests.calendar_checks import parse_valid_calendar
from tests.concurrency import at_once
from tests.factories import make_event, make_registration
from tests.test_invites import calendar_part

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def seat():
    event = make_event(
        "Alliance workshop", tickets=[("Standard", "0")], capacity=5, transfer_deadline_days=2,
        starts_in=dt.timedelta(days=10),
    )  # fmt: skip
    return make_registration(event, name="Ana Pérez", email="ana@example.com", price="0")


def hand_on_page(seat):
    return f"/tickets/{seat.ticket_secret}/hand-on/"


def colleague(**changes):
    return {"to-name": "Bea Colleague", "to-email": "bea@example.com", **changes}


def test_an_attendee_hands_the_ticket_to_a_colleague(client, seat, mailoutbox, django_capture_on_commit_callbacks):
    before = availability(seat.event)
    ticket_page = client.get(f"/tickets/{seat.ticket_secret}/").content.decode()
    assert "Change the name or hand the ticket on" in ticket_page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(hand_on_page(seat), colleague())
    assert response.status_code == 302 and response["Location"] == f"/tickets/{seat.ticket_secret}/"

    old = Registration.objects.get(pk=seat.pk)
    new = old.handed_on_to
    assert (old.status, new.status) == (Registration.Status.HANDED_ON, Registration.Status.CONFIRMED)
    assert (new.name, new.email, new.order_id, new.ticket_type_id, new.price) == (
        "Bea Colleague", "bea@example.com", old.order_id, old.ticket_type_id, old.price,
    )  # fmt: skip
    assert new.ticket_secret != old.ticket_secret and new.uid != old.uid and new.door_code != old.door_code
    assert old.invite_sequence == seat.invite_sequence + 1
    assert availability(seat.event) == before  # one seat, held by someone else now
    entry = old.order.log_entries.get(action="handed_on").detail
    assert entry == {"seat": old.pk, "to_seat": new.pk, "name_corrected_only": False}

    to_old, to_new = (
        next(m for m in mailoutbox if m.to == [address]) for address in ("ana@example.com", "bea@example.com")
    )
    assert "Ticket handed on" in to_old.subject and "handed on to Bea Colleague" in to_old.body
    method, ics = calendar_part(to_old)
    cancelled = parse_valid_calendar(ics)
    assert method == "CANCEL" and str(cancelled.walk("VEVENT")[0]["UID"]).startswith(str(old.uid))
    method, ics = calendar_part(to_new)
    assert method == "REQUEST" and str(parse_valid_calendar(ics).walk("VEVENT")[0]["UID"]).startswith(str(new.uid))
    assert new.ticket_secret in to_new.body and old.ticket_secret not in to_new.body

    page = client.get(f"/tickets/{old.ticket_secret}/").content.decode()
    assert "This ticket was handed on to Bea Colleague" in page and "ticket-qr" not in page
    assert client.get(f"/tickets/{old.ticket_secret}/invite.ics")["Content-Type"].endswith("method=CANCEL")
    assert client.post(hand_on_page(old), colleague(**{"to-email": "carl@example.com"})).status_code == 302
    assert Registration.objects.count() == 2  # a handed-on ticket cannot be handed on again


def test_at_the_door_the_old_ticket_is_refused_and_the_new_one_gets_in(client, seat, django_user_model):
    new = transfers.hand_on(seat, name="Bea Colleague", email="bea@example.com")
    staff = django_user_model.objects.create_superuser("door", "door@example.com", "pw")
    admin = Client()
    admin.force_login(staff)
    order_page = admin.get(f"/admin/registrations/orders/{seat.order_id}/").content.decode()
    assert "Ticket handed on" in order_page and "Handed on" in order_page  # the organizer sees it
    staff.user_permissions.add(Permission.objects.get(codename="check_in"))
    door = Client()
    door.force_login(staff)

    def scan(registration):
        body = json.dumps({"secret": registration.ticket_secret})
        return door.post(f"/checkin/{seat.event_id}/redeem/", body, content_type="application/json").json()

    assert scan(seat)["result"] == "handed_on"
    assert scan(new)["result"] == "ok" and scan(new)["name"] == "Bea Colleague"


def test_correcting_the_name_only_is_recorded_as_such(client, seat):
    assert (
        client.post(
            hand_on_page(seat), colleague(**{"to-name": "Ana Pérez García", "to-email": "ANA@example.com"})
        ).status_code
        == 302
    )
    old = Registration.objects.get(pk=seat.pk)
    assert old.handed_on_to.name == "Ana Pérez García"
    assert old.order.log_entries.get(action="handed_on").detail["name_corrected_only"] is True


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"to-name": "  "}, "This field is required."),
        ({"to-email": "not-an-email"}, "Enter a valid email address."),
        ({"to-name": "x" * 201}, "Ensure this value has at most 200 characters"),
    ],
)
def test_bad_input_gets_a_message_and_hands_nothing_on(client, seat, changes, message, mailoutbox):
    response = client.post(hand_on_page(seat), colleague(**changes))
    assert response.status_code == 200 and message in response.content.decode()
    assert Registration.objects.get(pk=seat.pk).status == Registration.Status.CONFIRMED
    assert Registration.objects.count() == 1 and mailoutbox == []


def test_a_ticket_for_ce_credit_asks_the_new_holders_profession_and_licence(client):
    event = make_event("CE day", tickets=[("Clinician", "0")], capacity=5, transfer_deadline_days=0, ce_hours="6")
    seat = make_registration(event, price="0")
    response = client.post(hand_on_page(seat), colleague())
    assert response.status_code == 200 and response.content.decode().count("This field is required.") == 2
    response = client.post(hand_on_page(seat), colleague(**{"to-profession": "Nurse", "to-licence_number": "RN-1"}))
    assert response.status_code == 302
    new = Registration.objects.get(pk=seat.pk).handed_on_to
    assert (new.profession, new.licence_number) == ("Nurse", "RN-1")


@pytest.mark.parametrize("case", ["past_deadline", "no_deadline", "event_cancelled"])
def test_after_the_deadline_or_without_one_only_the_organizer_can(client, seat, case, django_user_model):
    event = EventPage.objects.get(pk=seat.event_id)
    if case == "past_deadline":
        event.transfer_deadline_days = 20  # the event is in 10 days
    elif case == "no_deadline":
        event.transfer_deadline_days = None
    else:
        event.status = EventPage.Status.CANCELLED
    event.save_revision().publish()
    assert "hand the ticket on" not in client.get(f"/tickets/{seat.ticket_secret}/").content.decode()
    response = client.post(hand_on_page(seat), colleague(), follow=True)
    if case != "event_cancelled":
        assert "can no longer be handed on online" in response.content.decode()
    assert Registration.objects.count() == 1
    with pytest.raises(transfers.TransferRefused):
        transfers.hand_on(seat, name="Bea", email="bea@example.com")
    if case != "event_cancelled":  # the organizer's team may, whatever the deadline
        staff = django_user_model.objects.create_user("staff", "staff@example.com", "pw")
        assert transfers.hand_on(seat, name="Bea", email="bea@example.com", user=staff).name == "Bea"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_hand_ons_of_one_ticket_at_once_make_one_new_ticket():
    event = make_event("Rush", tickets=[("Standard", "0")], capacity=5, transfer_deadline_days=1)
    seat = make_registration(event, price="0")

    def hand_on(i):
        try:
            transfers.hand_on(seat, name=f"Person {i}", email=f"p{i}@example.com")
            return "won"
        except transfers.TransferRefused:
            return "refused"

    results = at_once([lambda i=i: hand_on(i) for i in range(8)])
    assert results.count("won") == 1, results
    assert Registration.objects.filter(event=event).count() == 2
    assert Registration.objects.taking_seats().filter(event=event).count() == 1
