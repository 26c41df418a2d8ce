"""Nothing others depend on is removed: a ticket type with registrations, a session with
check-ins, an event with orders. Every way the admin (or code) removes rows refuses with the
reason, and keeps everything: the rows, the records, the live page."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from wagtail.models import GroupApprovalTask, Page, TaskState, Workflow, WorkflowPage, WorkflowTask

from events.models import EventPage, EventSession, TicketType
from events.protection import RemovalRefused
from registrations.models import CheckIn, Order, Registration
from tests.admin_helpers import form_data
from tests.factories import VenueFactory, event_index, make_event, make_registration

pytestmark = pytest.mark.django_db

REFUSED = "“Standard” cannot be removed: 1 registration depends on it."


@pytest.fixture
def event():
    return make_event("Booked event", venue=VenueFactory(), tickets=[("Standard", "10"), ("Spare", "5")])


def draft_without(event, ticket_name, user=None):
    """A draft that removes a ticket type, saved while nobody holds it (the check passes then)."""
    page = event.get_latest_revision_as_object()
    page.ticket_types = [t for t in page.ticket_types.all() if t.name != ticket_name]
    page.title = "Booked event (new title)"
    return page.save_revision(user=user)


def sell(event, ticket_name="Standard"):
    registration = make_registration(event, price="10")
    registration.ticket_type = event.ticket_types.get(name=ticket_name)
    registration.save()
    return registration


def assert_nothing_lost(event, registration):
    assert TicketType.objects.filter(page=event, name="Standard").exists()
    assert Registration.objects.filter(pk=registration.pk, ticket_type__name="Standard").exists()
    assert Order.objects.filter(pk=registration.order_id).exists()
    live = EventPage.objects.get(pk=event.pk)
    assert live.live and live.title == "Booked event"
    assert sorted(live.ticket_types.values_list("name", flat=True)) == ["Spare", "Standard"]


def submit_for_moderation(event, user):
    moderators = Group.objects.get_or_create(name="Moderators")[0]
    task = GroupApprovalTask.objects.create(name="Approval")
    task.groups.set([moderators])
    workflow = Workflow.objects.create(name="Review")
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.create(workflow=workflow, page=event_index())
    workflow.start(event, user)
    return TaskState.objects.get(workflow_state__object_id=str(event.pk), status=TaskState.STATUS_IN_PROGRESS)


def test_a_moderator_cannot_approve_a_draft_that_removes_a_ticket_type_sold_since(admin_client, admin_user, event):
    draft_without(event, "Standard", user=admin_user)
    task_state = submit_for_moderation(event, admin_user)
    registration = sell(event)  # after the draft was made and submitted

    response = admin_client.post(
        f"/admin/pages/workflow/action/{event.pk}/approve/{task_state.pk}/", {"comment": ""}, follow=True
    )

    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert_nothing_lost(event, registration)
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS  # not approved either


def test_the_editor_sees_the_sold_ticket_type_put_back_and_can_publish_the_draft(admin_client, admin_user, event):
    draft_without(event, "Standard", user=admin_user)
    registration = sell(event)
    url = f"/admin/pages/{event.pk}/edit/"

    page = admin_client.get(url).content.decode()
    assert "This draft removed “Standard”, but records now depend on them: they are kept." in page
    data = form_data(admin_client, url)
    assert "Standard" in [data[f"ticket_types-{i}-name"] for i in range(int(data["ticket_types-TOTAL_FORMS"]))]
    data["action-publish"] = "publish"
    assert admin_client.post(url, data).status_code == 302

    live = EventPage.objects.get(pk=event.pk)
    assert live.title == "Booked event (new title)"
    assert sorted(live.ticket_types.values_list("name", flat=True)) == ["Spare", "Standard"]
    assert Registration.objects.filter(pk=registration.pk, ticket_type__name="Standard").exists()


@pytest.mark.parametrize("how", ["revision.publish", "plain save", "bulk publish"])
def test_a_revision_made_before_the_seats_were_sold_is_not_published_after(admin_client, admin_user, event, how):
    revision = draft_without(event, "Standard", user=admin_user)
    registration = sell(event)

    if how == "revision.publish":
        with pytest.raises(RemovalRefused, match="cannot be removed: 1 registration depends on it"):
            revision.publish(user=admin_user)
    elif how == "plain save":
        with pytest.raises(RemovalRefused):
            revision.as_object().save()
    else:
        url = f"/admin/bulk/wagtailcore/page/publish/?id={event.pk}&next=/admin/pages/{event_index().pk}/"
        response = admin_client.post(url, {"include_descendants": ""}, follow=True)
        assert response.status_code == 200
        assert REFUSED in response.content.decode()

    assert_nothing_lost(event, registration)


def test_publishing_the_events_listing_with_its_drafts_refuses_one_that_removes_sold_seats(
    admin_client, admin_user, event
):
    EventPage.objects.filter(pk=event.pk).update(live=False)
    draft_without(event, "Standard", user=admin_user)
    registration = sell(event)
    index = event_index()
    url = f"/admin/bulk/wagtailcore/page/publish/?id={index.pk}&next=/admin/pages/"
    response = admin_client.post(url, {"include_descendants": "on"}, follow=True)
    assert REFUSED in response.content.decode()
    assert TicketType.objects.filter(page=event, name="Standard").exists()
    assert Registration.objects.filter(pk=registration.pk).exists()


def test_a_session_with_check_ins_cannot_be_removed_by_a_publish(admin_user):
    start = dt.datetime(2031, 6, 12, 9, tzinfo=dt.UTC)
    event = make_event(
        "Two days",
        sessions=[
            (start, start + dt.timedelta(hours=3)),
            (start + dt.timedelta(days=1), start + dt.timedelta(days=1, hours=3)),
        ],
    )
    first = event.ordered_sessions[0]
    page = event.get_latest_revision_as_object()
    page.sessions = [s for s in page.sessions.all() if s.pk != first.pk]
    revision = page.save_revision(user=admin_user)
    registration = make_registration(event)
    CheckIn.objects.create(registration=registration, session=first, method="scan")

    with pytest.raises(RemovalRefused, match="cannot be removed: 1 check-in depends on it"):
        revision.publish(user=admin_user)
    assert EventSession.objects.filter(pk=first.pk).exists()
    assert CheckIn.objects.filter(session=first).exists()


def test_the_editor_is_told_when_a_form_removes_a_ticket_type_with_registrations(admin_client, event):
    registration = sell(event)
    url = f"/admin/pages/{event.pk}/edit/"
    data = form_data(admin_client, url)
    index = next(i for i in range(2) if data[f"ticket_types-{i}-name"] == "Standard")
    data[f"ticket_types-{index}-DELETE"] = "1"
    data["action-publish"] = "publish"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert_nothing_lost(event, registration)


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_event_with_orders_cannot_be_deleted_and_the_editor_is_told_why(admin_client, event, method):
    registration = sell(event)
    url = f"/admin/pages/{event.pk}/delete/"
    response = getattr(admin_client, method)(url, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "“Booked event” cannot be deleted:" in page
    assert "1 order" in page and "1 registration" in page
    assert_nothing_lost(event, registration)


def test_unpublishing_first_does_not_make_an_event_with_orders_deletable(admin_client, event):
    registration = sell(event)
    assert admin_client.post(f"/admin/pages/{event.pk}/unpublish/").status_code == 302
    response = admin_client.post(f"/admin/pages/{event.pk}/delete/", follow=True)
    assert "“Booked event” cannot be deleted:" in response.content.decode()
    assert EventPage.objects.filter(pk=event.pk).exists()
    assert Registration.objects.filter(pk=registration.pk).exists()


@pytest.mark.parametrize("whole_listing", [False, True])
def test_bulk_delete_refuses_events_with_orders_and_deletes_nothing(admin_client, event, whole_listing):
    registration = sell(event)
    spare = make_event("Unbooked event")
    index = event_index()
    ids = f"id={index.pk}" if whole_listing else f"id={event.pk}&id={spare.pk}"
    url = f"/admin/bulk/wagtailcore/page/delete/?{ids}&next=/admin/pages/{index.pk}/"
    response = admin_client.post(url, {}, follow=True)
    assert response.status_code == 200
    assert (
        "“Booked event” cannot be deleted:" in response.content.decode()
        or "“Events” cannot be deleted:" in response.content.decode()
    )
    assert EventPage.objects.filter(pk__in=[event.pk, spare.pk]).count() == 2
    assert Registration.objects.filter(pk=registration.pk).exists()


def test_an_event_without_orders_can_still_be_deleted(admin_client):
    event = make_event("Nobody came")
    response = admin_client.post(f"/admin/pages/{event.pk}/delete/")
    assert response.status_code == 302
    assert not Page.objects.filter(pk=event.pk).exists()


def test_cancelling_an_event_keeps_a_ticket_type_its_draft_dropped_after_it_sold(admin_user, event):
    from registrations.services.cancellation import cancel_event

    draft_without(event, "Standard", user=admin_user)
    registration = sell(event)
    cancel_event(EventPage.objects.get(pk=event.pk), user=admin_user)  # as the admin view finds it
    live = EventPage.objects.get(pk=event.pk)
    assert live.status == EventPage.Status.CANCELLED
    assert TicketType.objects.filter(page=event, name="Standard").exists()
    assert Registration.objects.get(pk=registration.pk).status == Registration.Status.CANCELLED


def test_a_refused_scheduled_publish_leaves_the_schedule_and_the_others_still_go_live(admin_user, event, caplog):
    from django.core.management import call_command
    from django.utils import timezone

    refused = draft_without(event, "Standard", user=admin_user)
    registration = sell(event)
    other = make_event("Other event", publish=False)
    other_revision = other.get_latest_revision()
    earlier, later = timezone.now() - dt.timedelta(minutes=2), timezone.now() - dt.timedelta(minutes=1)
    type(refused).objects.filter(pk=refused.pk).update(approved_go_live_at=earlier)
    type(refused).objects.filter(pk=other_revision.pk).update(approved_go_live_at=later)

    call_command("publish_scheduled")

    assert_nothing_lost(event, registration)
    refused.refresh_from_db()
    assert refused.approved_go_live_at is None  # not tried again on every run
    assert EventPage.objects.get(pk=other.pk).live
    assert "Scheduled publishing of page" in caplog.text and "1 registration depends on it" in caplog.text
