"""Organizers mark people attended in bulk from the event's dashboard: a session and the
attendees who were there. Only those who may check people in may; each mark is a check-in
logged as "bulk", by whom, like the door's."""

import pytest
from django.contrib.auth.models import Permission

from registrations.models import CheckIn, Registration
from tests.factories import OrganizerFactory
from tests.test_dashboard import (
    CONFIRMED,
    HELD,
    admin_user_without_team,
    dashboard_path,
    order_of,
    team_member,
    workshop,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def mark_path(event):
    return f"/admin/registrations/events/{event.pk}/mark-attended/"


@pytest.fixture
def event():
    event = workshop(organizer=OrganizerFactory(name="Alliance Institute", slug="alliance-institute"))
    order_of(event, [("Standard", CONFIRMED), ("Standard", CONFIRMED), ("Student", CONFIRMED), ("Student", HELD)])
    return event


def seats(event, status=CONFIRMED):
    return list(Registration.objects.filter(event=event, status=status).order_by("pk"))


def test_an_organizer_marks_chosen_attendees_attended_at_a_session(admin_client, admin_user, event):
    first, second, third = seats(event)
    day_two = event.ordered_sessions[1]
    CheckIn.objects.create(registration=second, session=day_two, method="scan")

    page = admin_client.get(mark_path(event)).content.decode()
    assert first.email in page and seats(event, HELD)[0].pk != first.pk  # the form lists the confirmed attendees
    response = admin_client.post(
        mark_path(event), {"session": day_two.pk, "registrations": [first.pk, second.pk]}, follow=True
    )

    assert response.redirect_chain[-1][0] == dashboard_path(event)
    content = response.content.decode()
    assert "1 attendee marked attended at" in content and "1 was already checked in there." in content
    made = CheckIn.objects.get(registration=first)
    assert (made.session, made.method, made.operator) == (day_two, "bulk", admin_user)
    assert CheckIn.objects.filter(registration=second).count() == 1  # not twice
    assert not CheckIn.objects.filter(registration=third).exists()


def test_the_dashboard_offers_it_to_those_who_may_check_in(admin_client, event):
    assert mark_path(event) in admin_client.get(dashboard_path(event)).content.decode()


@pytest.mark.parametrize(
    "who,allowed",
    [
        ("team with the check-in permission", True),
        ("team without the check-in permission", False),
        ("another organizer's team with the check-in permission", False),
        ("admin user in no team", False),
    ],
)
def test_only_the_events_team_with_the_check_in_permission_may(django_user_model, event, who, allowed):
    if who == "admin user in no team":
        client = admin_user_without_team(django_user_model)
    else:
        organizer = event.organizer if who.startswith("team") else OrganizerFactory(name="Rival", slug="rival")
        client = team_member(django_user_model, organizer, "member")
    if "with the check-in permission" in who:
        django_user_model.objects.get(username="member").user_permissions.add(
            Permission.objects.get(codename="check_in")
        )
    first = seats(event)[0]
    data = {"session": event.ordered_sessions[0].pk, "registrations": [first.pk]}

    assert client.get(mark_path(event)).status_code == (200 if allowed else 403)
    response = client.post(mark_path(event), data)
    assert response.status_code == (302 if allowed else 403)
    assert CheckIn.objects.filter(registration=first, method="bulk").exists() == allowed
    if who != "admin user in no team":
        assert (mark_path(event) in client.get(dashboard_path(event)).content.decode()) == allowed


def test_seats_not_confirmed_or_of_another_event_cannot_be_marked(admin_client, event):
    other = workshop("Other workshop")
    order_of(other, [("Standard", CONFIRMED)])
    held = seats(event, HELD)[0]
    elsewhere = seats(other)[0]
    for registration in (held, elsewhere):
        response = admin_client.post(
            mark_path(event), {"session": event.ordered_sessions[0].pk, "registrations": [registration.pk]}
        )
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    response = admin_client.post(
        mark_path(event), {"session": other.ordered_sessions[0].pk, "registrations": [seats(event)[0].pk]}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not CheckIn.objects.exists()
