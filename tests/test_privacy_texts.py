"""Consent and purpose where data is asked (#14's privacy): each form that asks for personal data
says what it is for; licence numbers are shown only to the person, the event's team and on the
certificate, never on a page anyone with a link or code could open."""

import pytest
from django.test import Client

from registrations.models import CheckIn
from registrations.services import certificates
from tests.factories import event_index, make_event
from tests.test_certificates import attendee, past_event

pytestmark = pytest.mark.django_db


def test_each_form_asking_for_personal_data_says_what_it_is_for():
    event_index()
    event = make_event("Alliance workshop", ce_hours="3")
    full = make_event("Full workshop", capacity=0)  # sold out: the waitlist's form
    pages = {
        f"{event.url}register/": "seen only by you, the organizer&#x27;s team and on your certificate",
        "/my-events/sign-in/": "We use your address only to send you this link.",
        "/events/subscribe/?city=Boston": "We use your address for these emails only.",
        "/organizers/apply/": "We use these details only to review your application",
        f"{full.url}register/": "We use your name and address only to offer you a seat at this event.",
    }
    for path, purpose in pages.items():
        response = Client().get(path)
        assert response.status_code == 200, path
        assert purpose in response.content.decode(), path


def test_the_licence_number_is_on_the_certificate_not_on_pages_a_link_or_code_opens():
    event = past_event()
    seat = attendee(event, licence="PSY-SECRET-2231")
    CheckIn.objects.create(registration=seat, session=event.ordered_sessions[0])
    code = certificates.issue(seat)
    assert "PSY-SECRET-2231" in certificates.details(seat)["licence_number"]  # the certificate states it
    for path in (f"/certificates/{code}/", f"/tickets/{seat.ticket_secret}/", event.url):
        assert "PSY-SECRET-2231" not in Client().get(path).content.decode(), path
