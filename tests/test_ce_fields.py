"""Profession and licence are asked only for tickets meant for CE credit: a Student ticket on a CE
event registers without a licence number, a clinician's ticket cannot. The server decides by the
ticket the form will save; without JavaScript the fields are shown as optional until a ticket is
chosen."""

from decimal import Decimal

import pytest

from events.models import TicketType
from registrations.models import Registration
from tests.factories import make_event
from tests.registration_helpers import attendee_data

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def event():
    event = make_event("CE forum", tickets=[("Clinician", "0"), ("Student", "0")], capacity=50, ce_hours=Decimal(3))
    TicketType.objects.filter(page=event, name="Student").update(for_ce_credit=False)
    return event


def post(client, event, ticket_name, **data):
    ticket = event.ticket_types.get(name=ticket_name)
    return client.post(
        f"/events/{event.slug}/register/", {"ticket_type": ticket.pk, "quantity": 1, **attendee_data(1), **data}
    )


def test_a_student_ticket_registers_without_profession_or_licence(client, event):
    assert post(client, event, "Student").status_code == 302
    assert Registration.objects.get().licence_number == ""


def test_what_a_student_typed_in_the_licence_field_is_not_kept(client, event):
    assert post(client, event, "Student", **{"attendee-0-licence_number": "X-1"}).status_code == 302
    assert Registration.objects.get().licence_number == ""


def test_a_clinician_ticket_still_needs_profession_and_licence(client, event):
    response = post(client, event, "Clinician")
    assert response.status_code == 200 and response.content.decode().count("This field is required.") == 2
    assert not Registration.objects.exists()
    data = {"attendee-0-profession": "Psychologist", "attendee-0-licence_number": "LIC-9"}
    assert post(client, event, "Clinician", **data).status_code == 302
    assert Registration.objects.get().licence_number == "LIC-9"


def test_the_form_asks_for_the_licence_only_when_the_chosen_ticket_needs_it(client, event):
    student, clinician = event.ticket_types.get(name="Student"), event.ticket_types.get(name="Clinician")
    unchosen = client.get(f"/events/{event.slug}/register/").content.decode()
    assert 'name="attendee-0-licence_number"' in unchosen and "Needed for tickets with CE credit." in unchosen
    assert "registrations/register.js" in unchosen  # hides them for a Student ticket when scripts run
    assert (
        'name="attendee-0-licence_number"'
        not in client.get(f"/events/{event.slug}/register/?ticket={student.pk}").content.decode()
    )
    chosen = client.get(f"/events/{event.slug}/register/?ticket={clinician.pk}").content.decode()
    assert 'name="attendee-0-licence_number"' in chosen and "Needed for tickets" not in chosen
