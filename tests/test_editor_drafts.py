"""A new event becomes a draft only when the editor saves it: the add form is not autosaved (no
400s while it is incomplete, no draft nobody chose to keep), and an address already taken says
by which event."""

import pytest
from django.contrib.auth.models import Group, Permission

from events.models import EventPage
from tests.factories import OrganizerFactory, event_index, make_event
from tests.test_editor import filled_add_form

pytestmark = pytest.mark.django_db


def add_url():
    return f"/admin/pages/add/events/eventpage/{event_index().pk}/"


def test_the_add_event_form_is_not_autosaved_but_the_edit_form_is(admin_client):
    add = admin_client.get(add_url()).content.decode()
    assert "data-w-autosave-interval-value" not in add and "w-autosave#save" not in add
    event = make_event("Saved once")
    edit = admin_client.get(f"/admin/pages/{event.pk}/edit/").content.decode()
    assert "data-w-autosave-interval-value" in edit and "w-autosave#save" in edit


def test_a_slug_taken_by_a_draft_names_the_draft(admin_client):
    make_event("Boundaries in practice", slug="boundaries-in-practice", publish=False)
    data = filled_add_form(admin_client, event_index())
    response = admin_client.post(add_url(), data)
    assert response.status_code == 200
    assert (
        "“Boundaries in practice” (a draft, not published) already uses the address “boundaries-in-practice”"
        in response.content.decode()
    )
    assert EventPage.objects.count() == 1


def test_a_slug_taken_by_another_teams_draft_does_not_reveal_its_title(client, django_user_model):
    mine, theirs = OrganizerFactory(name="Mine", slug="mine"), OrganizerFactory(name="Theirs", slug="theirs")
    make_event("Their secret launch", slug="boundaries-in-practice", organizer=theirs, publish=False)
    team = Group.objects.create(name="Team mine")
    team.permissions.add(Permission.objects.get(codename="access_admin"))
    from wagtail.models import GroupPagePermission

    for codename in ("add_page", "change_page"):
        GroupPagePermission.objects.create(
            group=team, page=event_index(), permission=Permission.objects.get(codename=codename)
        )
    mine.team = team
    mine.save()
    user = django_user_model.objects.create_user("member", "m@example.com", "pw")
    user.groups.add(team)
    client.force_login(user)
    data = filled_add_form(client, event_index(), organizer=str(mine.pk))
    response = client.post(add_url(), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Another event already uses the address “boundaries-in-practice”" in page
    assert "Their secret launch" not in page
