"""A new organizer applies at /organizers/apply/; an administrator approves the application into an
organizer with a team; the team's events go live only once a moderator approves them."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from wagtail.models import GroupApprovalTask, GroupPagePermission, Page, Revision, Site, WorkflowPage, WorkflowState

from events.applications import ApplicationError, approve, reject
from events.models import EventIndexPage, EventPage, Organizer, OrganizerApplication
from home.models import HomePage
from tests.admin_helpers import form_data
from tests.factories import OrganizerFactory, VenueFactory, event_index, make_event

pytestmark = pytest.mark.django_db

APPLY = "/organizers/apply/"
APPLICATIONS = "/admin/snippets/events/organizerapplication/"
VALID = {
    "name": "Maria Ortega",
    "email": "maria@alliance.example",
    "organization": "Alliance Institute",
    "website": "alliance.example",
    "message": "Two-day clinician workshops on the therapeutic alliance, four times a year.",
    "homepage": "",
}


@pytest.fixture(autouse=True)
def admins(settings):
    settings.ADMINS = [("Site admin", "admin@example.com")]


def pending(**fields):
    fields = {**VALID, "website": "https://alliance.example", **fields}
    del fields["homepage"]
    return OrganizerApplication.objects.create(**fields)


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


# Applying


def test_the_form_asks_for_who_and_what_and_hides_the_robot_trap(client):
    text = client.get(APPLY).content.decode()
    for name in ("name", "email", "organization", "website", "message"):
        assert f'name="{name}"' in text
    assert 'class="visually-hidden" aria-hidden="true"' in text and 'name="homepage"' in text


def test_applying_saves_a_pending_application_thanks_the_applicant_and_tells_the_admins(client, mailoutbox):
    response = client.post(APPLY, VALID)
    assert response.status_code == 302 and response["Location"] == "/organizers/apply/thanks/"
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and "Thank you for applying" in thanks.content.decode()

    application = OrganizerApplication.objects.get()
    assert application.status == OrganizerApplication.Status.PENDING
    assert (application.organization, application.email) == ("Alliance Institute", "maria@alliance.example")
    assert application.website == "https://alliance.example"

    [mail] = mailoutbox
    assert mail.to == ["admin@example.com"] and "Alliance Institute" in mail.subject
    assert f"{APPLICATIONS}edit/{application.pk}/" in mail.body
    # The applicant's personal details stay in the admin.
    assert "Maria" not in mail.body + mail.subject and "maria@" not in mail.body + mail.subject


@pytest.mark.parametrize(
    "changes,message",
    [
        ({key: "" for key in VALID}, "This field is required."),
        ({"email": "maria-at-alliance"}, "Enter a valid email address."),
        ({"email": "maria@" + "x" * 300 + ".example"}, "Ensure this value has at most 254 characters"),
        ({"message": "x" * 2001}, "Ensure this value has at most 2000 characters (it has 2001)."),
        ({"name": "M" * 201}, "Ensure this value has at most 200 characters (it has 201)."),
        ({"website": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"homepage": "http://spam.example"}, "The form was filled in by a program"),
        ({"name": "Maria\x00Ortega"}, "Null characters are not allowed."),
        ({"organization": "\x00"}, "Null characters are not allowed."),
        ({"message": "Workshops\x00"}, "Null characters are not allowed."),
        ({"email": "maria\x00@alliance.example"}, "Null characters are not allowed."),
        ({"website": "https://alliance.example/\x00"}, "Null characters are not allowed."),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_and_sends_nothing(client, mailoutbox, changes, message):
    response = client.post(APPLY, {**VALID, **changes})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Please correct the fields marked below." in text
    assert message in text
    assert not OrganizerApplication.objects.exists()
    assert mailoutbox == []


def test_odd_requests_are_answered_without_an_error(client):
    assert client.put(APPLY, VALID).status_code == 405
    assert client.post(APPLY, {"name": ["a", "b"], "unknown": "x"}).status_code == 200
    assert client.post(APPLY, b"\xff\xfe not form data", content_type="application/octet-stream").status_code == 200
    assert not OrganizerApplication.objects.exists()


# Approving


def test_approving_makes_the_organizer_its_team_and_the_moderation_workflow(
    django_user_model, mailoutbox, django_capture_on_commit_callbacks
):
    index = event_index()
    moderator = django_user_model.objects.create_superuser("mod", "mod@example.com", "pw")
    application = pending()

    with django_capture_on_commit_callbacks(execute=True):
        organizer = approve(application, moderator)

    assert (organizer.name, organizer.email, organizer.website) == (
        "Alliance Institute",
        "maria@alliance.example",
        "https://alliance.example",
    )
    team = organizer.team
    assert team.name == "Organizer: Alliance Institute"
    assert {f"{p.content_type.app_label}.{p.codename}" for p in team.permissions.all()} >= {
        "wagtailadmin.access_admin",
        "registrations.view_order",
        "registrations.change_order",
        "registrations.check_in",
        "events.view_venue",
    }
    page_permissions = GroupPagePermission.objects.filter(group=team)
    assert {(p.page_id, p.permission.codename) for p in page_permissions} == {
        (index.pk, "add_page"),
        (index.pk, "change_page"),
    }  # never publish_page: a moderator approves

    workflow = WorkflowPage.objects.get(page=index).workflow
    assert workflow.name == "Organizer review" and workflow.active
    [task] = [t.specific for t in workflow.tasks]
    assert isinstance(task, GroupApprovalTask) and [g.name for g in task.groups.all()] == ["Moderators"]
    assert GroupPagePermission.objects.filter(
        group__name="Moderators", permission__codename="publish_page", page__in=index.get_ancestors(inclusive=True)
    ).exists()
    assert Page.objects.get(pk=index.pk).get_workflow() == workflow

    application.refresh_from_db()
    assert application.status == OrganizerApplication.Status.APPROVED
    assert application.organizer == organizer and application.decided_at

    [mail] = mailoutbox
    assert mail.to == ["maria@alliance.example"] and "approved" in mail.subject
    assert "An administrator will invite you" in mail.body
    assert not django_user_model.objects.filter(email="maria@alliance.example").exists()  # no account made


def test_a_second_approval_keeps_the_workflow_and_gives_each_organizer_its_own_team():
    event_index()
    first = approve(pending())
    second = approve(pending(organization="Alliance Institute", email="other@example.com"))
    assert first.team != second.team and second.team.name == "Organizer: Alliance Institute (2)"
    assert WorkflowPage.objects.filter(workflow__name="Organizer review").count() == 1


def test_an_application_is_decided_once():
    event_index()
    application = pending()
    reject(application)
    application.refresh_from_db()
    assert application.status == OrganizerApplication.Status.REJECTED and application.decided_at
    with pytest.raises(ApplicationError):
        approve(application)
    with pytest.raises(ApplicationError):
        reject(application)
    assert not Organizer.objects.exists() and not Group.objects.filter(name__startswith="Organizer:").exists()


# Deciding in the admin


def test_admins_list_applications_by_status_and_approve_or_reject_them_after_confirming(admin_client):
    event_index()
    first, second = pending(organization="First Society"), pending(organization="Second Society")
    reject(pending(organization="Spam Inc"))

    listed = admin_client.get(APPLICATIONS, {"status": "pending"}).content.decode()
    assert "First Society" in listed and "Second Society" in listed and "Spam Inc" not in listed
    assert f"{APPLICATIONS}approve/{first.pk}/" in listed and f"{APPLICATIONS}reject/{first.pk}/" in listed

    inspect = admin_client.get(f"{APPLICATIONS}inspect/{first.pk}/").content.decode()
    assert "Two-day clinician workshops" in inspect and f"{APPLICATIONS}approve/{first.pk}/" in inspect
    edit = admin_client.get(f"{APPLICATIONS}edit/{first.pk}/").content.decode()
    assert 'name="organization"' in edit and 'name="status"' not in edit  # decided only by the actions

    confirm = admin_client.get(f"{APPLICATIONS}approve/{first.pk}/")
    assert confirm.status_code == 200 and "Yes, approve" in confirm.content.decode()
    first.refresh_from_db()
    assert first.status == OrganizerApplication.Status.PENDING  # GET changed nothing

    assert admin_client.post(f"{APPLICATIONS}approve/{first.pk}/").status_code == 302
    assert admin_client.post(f"{APPLICATIONS}reject/{second.pk}/").status_code == 302
    first.refresh_from_db(), second.refresh_from_db()
    assert first.status == OrganizerApplication.Status.APPROVED and first.organizer.team
    assert (
        f"{APPLICATIONS}approve/{first.pk}/"
        not in admin_client.get(f"{APPLICATIONS}inspect/{first.pk}/").content.decode()
    )
    assert second.status == OrganizerApplication.Status.REJECTED and second.organizer is None

    # Deciding again is refused with a message, and changes nothing.
    response = admin_client.post(f"{APPLICATIONS}reject/{first.pk}/", follow=True)
    assert "already approved" in response.content.decode()
    first.refresh_from_db()
    assert first.status == OrganizerApplication.Status.APPROVED


def test_deciding_takes_the_change_permission_and_a_csrf_token(django_user_model, admin_user):
    event_index()
    application = pending()
    team = approve(pending(organization="Some Team")).team
    member = django_user_model.objects.create_user("member", "member@example.com", "pw")
    member.groups.add(team)
    for url in (APPLICATIONS, f"{APPLICATIONS}approve/{application.pk}/"):
        assert logged_in(member).get(url)["Location"] == "/admin/"
    assert logged_in(member).post(f"{APPLICATIONS}approve/{application.pk}/")["Location"] == "/admin/"
    assert Client().post(f"{APPLICATIONS}approve/{application.pk}/")["Location"].startswith("/admin/login/")

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    assert browser.post(f"{APPLICATIONS}approve/{application.pk}/").status_code == 403
    application.refresh_from_db()
    assert application.status == OrganizerApplication.Status.PENDING


# A team's event goes through moderation


def add_form(client, parent, organizer, **changes):
    data = form_data(client, f"/admin/pages/add/events/eventpage/{parent.pk}/")
    data.update(
        {
            "title": "The therapeutic alliance",
            "slug": "the-therapeutic-alliance",
            "summary": "Two days on the working alliance.",
            "time_zone": "Europe/London",
            "format": "in_person",
            "venue": str(VenueFactory().pk),
            "organizer": str(organizer.pk),
            "language": "en",
            "currency": "GBP",
            "ce_hours": "12",
            "status": "scheduled",
            "sessions-0-start": "2027-05-10 09:00",
            "sessions-0-end": "2027-05-10 17:00",
            "ticket_types-TOTAL_FORMS": "1",
            "ticket_types-0-name": "Standard",
            "ticket_types-0-price": "250",
            "ticket_types-0-ORDER": "1",
            "ticket_types-0-id": "",
            "ticket_types-0-DELETE": "",
            **changes,
        }
    )
    return data


@pytest.fixture
def team_member(django_user_model):
    event_index()
    organizer = approve(pending())
    user = django_user_model.objects.create_user("maria", "maria@alliance.example", "pw")
    user.groups.add(organizer.team)  # what the administrator does after approving
    return organizer, logged_in(user)


@pytest.fixture
def moderator(django_user_model):
    user = django_user_model.objects.create_user("moderator", "moderator@example.com", "pw")
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def test_a_team_members_event_goes_live_only_when_a_moderator_approves_it(client, team_member, moderator):
    organizer, member = team_member
    index = event_index()
    data = add_form(member, index, organizer, **{"action-publish": "publish"})
    response = member.post(f"/admin/pages/add/events/eventpage/{index.pk}/", data)
    assert response.status_code == 302
    event = EventPage.objects.get(slug="the-therapeutic-alliance")
    assert not event.live  # publishing is not theirs to do: the page is only saved

    data = form_data(member, f"/admin/pages/{event.pk}/edit/")
    data["action-submit"] = "1"
    response = member.post(f"/admin/pages/{event.pk}/edit/", data)
    assert response.status_code == 302
    event = EventPage.objects.get(pk=event.pk)
    state = event.current_workflow_state
    assert state and state.workflow.name == "Organizer review" and not event.live
    assert client.get("/events/the-therapeutic-alliance/").status_code == 404

    # The team cannot approve its own event.
    task_state = event.current_workflow_task_state
    approve_url = reverse("wagtailadmin_pages:workflow_action", args=[event.pk, "approve", task_state.pk])
    member.post(approve_url, {"comment": ""})
    assert not EventPage.objects.get(pk=event.pk).live

    response = logged_in(moderator).post(approve_url, {"comment": "Looks right."})
    assert response.status_code == 302
    event = EventPage.objects.get(pk=event.pk)
    assert event.live and event.organizer == organizer and event.current_workflow_state is None
    assert client.get("/events/the-therapeutic-alliance/").status_code == 200


def test_a_team_member_submits_a_new_event_for_moderation_at_once(team_member, moderator):
    organizer, member = team_member
    index = event_index()
    response = member.post(
        f"/admin/pages/add/events/eventpage/{index.pk}/", add_form(member, index, organizer, **{"action-submit": "1"})
    )
    assert response.status_code == 302
    event = EventPage.objects.get(slug="the-therapeutic-alliance")
    task_state = event.current_workflow_task_state
    assert task_state and not event.live
    task_state.task.specific.on_action(task_state, moderator, "approve")
    assert EventPage.objects.get(pk=event.pk).live


def second_sites_listing():
    """A listing on a second Site of the install."""
    home = Page.get_first_root_node().add_child(instance=HomePage(title="Courses site", slug="courses-site"))
    Site.objects.create(hostname="courses.example", port=80, root_page=home, site_name="Courses")
    listing = home.add_child(instance=EventIndexPage(title="Courses", slug="courses"))
    listing.save_revision().publish()
    return listing


@pytest.mark.parametrize("made", ["before approval", "after approval"])
def test_a_team_adds_events_under_every_listing_of_every_site_each_moderated(django_user_model, made):
    """Rights on every listing, including one made after the team was approved, and the same
    moderation there: the team submits, a moderator publishes, and other teams' events under it
    stay out of reach (may_edit_event)."""
    event_index()
    listing = second_sites_listing() if made == "before approval" else None
    organizer = approve(pending())
    listing = listing or second_sites_listing()
    user = django_user_model.objects.create_user("maria", "maria@alliance.example", "pw")
    user.groups.add(organizer.team)
    member = logged_in(user)
    moderator = django_user_model.objects.create_user("moderator", "moderator@example.com", "pw")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    other_team_event = make_event("Other team's", parent=listing, organizer=OrganizerFactory())

    response = member.post(
        f"/admin/pages/add/events/eventpage/{listing.pk}/",
        add_form(member, listing, organizer, **{"action-submit": "1"}),
    )
    assert response.status_code == 302, response.content[:2000]
    event = EventPage.objects.get(slug="the-therapeutic-alliance")
    assert event.get_parent().pk == listing.pk and not event.live
    assert event.current_workflow_state.workflow.name == "Organizer review"
    task_state = event.current_workflow_task_state
    task_state.task.specific.on_action(task_state, moderator, "approve")
    assert EventPage.objects.get(pk=event.pk).live
    assert member.get(f"/admin/pages/{other_team_event.pk}/edit/").status_code in (302, 403)


def test_a_team_member_has_their_own_organizer_chosen_and_offered_no_other(team_member):
    organizer, member = team_member
    OrganizerFactory(name="Someone Else")
    text = member.get(f"/admin/pages/add/events/eventpage/{event_index().pk}/").content.decode()
    assert f'<option value="{organizer.pk}" selected>' in text and "Someone Else" not in text


def someone_elses_id_written_as(organizer_id):
    """Ways a form reads the same number: what the organizer check must not be fooled by."""
    full_width = "".join(chr(ord(digit) - ord("0") + ord("０")) for digit in str(organizer_id))
    return [
        str(organizer_id),
        f" {organizer_id}",
        f"{organizer_id} ",
        full_width,
        f"00{organizer_id}",
        f"{organizer_id}.0",
    ]


def test_a_team_member_cannot_create_an_event_for_another_organizer(team_member, moderator):
    organizer, member = team_member
    index = event_index()
    someone_else = OrganizerFactory(name="Someone Else")
    revisions = Revision.objects.count()
    for action in ("action-submit", "action-publish"):
        for value in someone_elses_id_written_as(someone_else.pk):
            data = add_form(member, index, organizer, **{action: "1"})
            data["organizer"] = value
            response = member.post(f"/admin/pages/add/events/eventpage/{index.pk}/", data)
            assert response.status_code == 200, (action, value)
            assert "You publish events for your own organizers only" in response.content.decode(), value
    assert not EventPage.objects.exists() and Revision.objects.count() == revisions
    assert not WorkflowState.objects.exists()  # nothing for a moderator to approve


def test_a_member_of_two_teams_must_choose_one_of_them(team_member, django_user_model):
    organizer, member = team_member
    second = approve(pending(organization="Second Society"))
    member_user = django_user_model.objects.get(username="maria")
    member_user.groups.add(second.team)
    index = event_index()
    data = add_form(member, index, OrganizerFactory(name="Someone Else"))
    response = member.post(f"/admin/pages/add/events/eventpage/{index.pk}/", data)
    text = response.content.decode()
    assert "choose one of them (Alliance Institute, Second Society)" in text
    assert not EventPage.objects.exists()
    data["organizer"] = str(second.pk)
    assert member.post(f"/admin/pages/add/events/eventpage/{index.pk}/", data).status_code == 302
    assert EventPage.objects.get().organizer == second


def test_a_team_member_cannot_edit_another_organizers_event(team_member):
    organizer, member = team_member
    theirs = make_event("Our workshop", organizer=organizer)
    others = make_event("Another organizer's workshop", organizer=OrganizerFactory(name="Someone Else"))
    assert member.get(f"/admin/pages/{theirs.pk}/edit/").status_code == 200
    response = member.get(f"/admin/pages/{others.pk}/edit/")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_a_team_member_cannot_give_their_event_to_another_organizer(team_member, moderator):
    organizer, member = team_member
    event = make_event("Our workshop", organizer=organizer)
    someone_else = OrganizerFactory(name="Someone Else")
    url = f"/admin/pages/{event.pk}/edit/"
    revisions = event.revisions.count()
    for action in ("action-save", "action-submit"):
        for value in [*someone_elses_id_written_as(someone_else.pk), "9" * 40]:
            data = form_data(member, url)
            data.update({"organizer": value, "title": "Given away", action: "1"})
            response = member.post(url, data)
            assert response.status_code == 200, (action, value)
            text = response.content.decode()
            assert "You publish events for your own organizers only" in text or "9" * 40 == value, value
    event = EventPage.objects.get(pk=event.pk)
    assert event.organizer == organizer and event.revisions.count() == revisions
    assert event.get_latest_revision_as_object().organizer == organizer
    assert event.current_workflow_state is None  # nothing for a moderator to publish
    # Autosave posts the same form, and is refused the same way.
    data = form_data(member, url)
    data.update({"organizer": f" {someone_else.pk}", "action-save": "1"})
    response = member.post(url, data, headers={"Accept": "application/json"})
    assert response.status_code == 400 and EventPage.objects.get(pk=event.pk).revisions.count() == revisions
    # The same form with their own organizer is saved.
    data = form_data(member, url)
    data.update({"organizer": str(organizer.pk), "title": "Our workshop, revised", "action-submit": "1"})
    assert member.post(url, data).status_code == 302
    event = EventPage.objects.get(pk=event.pk)
    assert event.get_latest_revision_as_object().title == "Our workshop, revised"
    task_state = event.current_workflow_task_state
    task_state.task.specific.on_action(task_state, moderator, "approve")
    assert EventPage.objects.get(pk=event.pk).organizer == organizer


def test_moderators_may_set_any_organizer(team_member, moderator):
    organizer, _ = team_member
    event = make_event("Our workshop", organizer=organizer)
    someone_else = OrganizerFactory(name="Someone Else")
    client = logged_in(moderator)
    url = f"/admin/pages/{event.pk}/edit/"
    data = form_data(client, url)
    data["organizer"] = str(someone_else.pk)
    assert client.post(url, data).status_code == 302
    assert EventPage.objects.get(pk=event.pk).get_latest_revision_as_object().organizer == someone_else


def test_a_team_member_picks_venues_in_the_editor(team_member):
    _, member = team_member
    VenueFactory(name="Hall of Science")
    chooser = member.get("/admin/snippets/choose/events/venue/")
    assert chooser.status_code == 200 and "Hall of Science" in chooser.content.decode()


def test_the_admins_review_link_is_on_the_admins_own_address(client, mailoutbox, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://admin.example.org"
    client.post(APPLY, VALID)  # on the public site (testserver)
    [mail] = mailoutbox
    application = OrganizerApplication.objects.get()
    assert f"https://admin.example.org{APPLICATIONS}edit/{application.pk}/" in mail.body
