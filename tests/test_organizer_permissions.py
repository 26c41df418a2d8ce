"""Attendee data is private (invariant 7): only the event's organizer team and superusers see an
event's orders and seats or act on them, and a team edits only its own organizer's events.

The matrix: anonymous, an attendee (a user with no groups), a member of another organizer's team
(the same permissions, another organizer), the event's organizer team, a superuser; against
every order and registration screen of the event, its actions, and its edit page."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from events.applications import approve
from events.models import EventPage, OrganizerApplication
from registrations.models import Order, Refund, Registration
from tests.factories import event_index, make_event, make_registration

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ORDERS = "/admin/registrations/orders/"
ATTENDEES = "/admin/registrations/attendees/"
ROLES = ["anonymous", "attendee", "other_team", "own_team", "superuser"]
ALLOWED = {"own_team", "superuser"}


def approved_organizer(organization):
    application = OrganizerApplication.objects.create(
        name=f"{organization} lead", email="lead@example.com", organization=organization, message="Workshops."
    )
    return approve(application)


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world(django_user_model, settings):
    """Two organizers with a team each (made as approving their applications makes them), an event
    of the first with a paid seat, a failed refund to retry, and one user per role."""
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing here may reach a payment provider
    event_index()
    own, other = approved_organizer("Alliance Institute"), approved_organizer("Other Society")
    event = make_event("Alliance workshop", organizer=own, tickets=[("Standard", "120.00")], currency="EUR")
    make_event("Other society's workshop", organizer=other)
    seat = make_registration(event, name="Ana Confidential", email="ana.confidential@example.com")
    order = seat.order
    order.stripe_payment_intent_id = "pi_ana"
    order.save(update_fields=["stripe_payment_intent_id"])
    failed = Refund.objects.create(order=order, number=1, amount="10.00", status=Refund.Status.FAILED, error="x")

    users = {"anonymous": None}
    users["attendee"] = django_user_model.objects.create_user("attendee", "ana.confidential@example.com", "pw")
    users["other_team"] = django_user_model.objects.create_user("other", "other@example.com", "pw")
    users["other_team"].groups.add(other.team)
    users["own_team"] = django_user_model.objects.create_user("own", "own@example.com", "pw")
    users["own_team"].groups.add(own.team)
    users["superuser"] = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    return {"event": event, "order": order, "seat": seat, "refund": failed, "users": users}


def screens(world):
    """Each screen, and what it shows only to someone let in."""
    event, order, seat, refund = world["event"], world["order"], world["seat"], world["refund"]
    return {
        "orders list": (ORDERS, "ana.confidential@example.com"),
        "order page": (f"{ORDERS}{order.pk}/", "ana.confidential@example.com"),
        "registrations of the event": (f"{ATTENDEES}?event={event.pk}", "Ana Confidential"),
        "refund": (f"{ORDERS}{order.pk}/refund/", "ana.confidential@example.com"),
        "cancel order": (f"{ORDERS}{order.pk}/cancel/", "ana.confidential@example.com"),
        "retry refund": (f"{ORDERS}{order.pk}/refunds/{refund.pk}/retry/", "ana.confidential@example.com"),
        "cancel registration": (f"{ATTENDEES}{seat.pk}/cancel/", "ana.confidential@example.com"),
        "event edit page": (f"/admin/pages/{event.pk}/edit/", 'value="Alliance workshop"'),
    }


@pytest.mark.parametrize("role", ROLES)
def test_only_the_events_team_and_superusers_get_in(world, role):
    client = client_for(world["users"][role])
    let_in = {}
    for name, (url, private) in screens(world).items():
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404), (name, response.status_code)
        let_in[name] = response.status_code == 200 and private in response.content.decode()
        if response.status_code == 302:  # kept out: to the login, or the admin's home
            assert response["Location"].startswith(("/admin/login/", "/admin/")), name
    expected = role in ALLOWED
    assert let_in == dict.fromkeys(let_in, expected)


def test_another_team_gets_not_found_for_this_events_order_by_its_address(world):
    client = client_for(world["users"]["other_team"])
    order, seat = world["order"], world["seat"]
    for url in (f"{ORDERS}{order.pk}/", f"{ORDERS}{order.pk}/refund/", f"{ATTENDEES}{seat.pk}/cancel/"):
        assert client.get(url).status_code == 404, url


def test_another_teams_posts_change_nothing(world):
    client = client_for(world["users"]["other_team"])
    event, order, seat, refund = world["event"], world["order"], world["seat"], world["refund"]
    posts = [
        (f"{ORDERS}{order.pk}/refund/", {"amount": "120.00", "reason": "mine now"}),
        (f"{ORDERS}{order.pk}/cancel/", {"reason": "x", "notify": "on"}),
        (f"{ORDERS}{order.pk}/refunds/{refund.pk}/retry/", {}),
        (f"{ATTENDEES}{seat.pk}/cancel/", {"reason": "x", "notify": "on"}),
        (f"/admin/registrations/events/{event.pk}/cancel/", {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    order.refresh_from_db(), seat.refresh_from_db(), refund.refresh_from_db()
    assert order.status == Order.Status.PAID and seat.status == Registration.Status.CONFIRMED
    assert list(order.refunds.values_list("pk", "status")) == [(refund.pk, Refund.Status.FAILED)]
    assert not order.log_entries.exists()
    assert EventPage.objects.get(pk=event.pk).status == EventPage.Status.SCHEDULED


def test_the_events_team_may_act_on_its_orders(world):
    client = client_for(world["users"]["own_team"])
    order = world["order"]
    text = client.get(f"{ORDERS}{order.pk}/").content.decode()
    assert f"{ORDERS}{order.pk}/refund/" in text and f"{ORDERS}{order.pk}/cancel/" in text
    assert "Yes, cancel and refund" in client.get(f"{ORDERS}{order.pk}/cancel/").content.decode()


def test_cancelling_an_event_also_takes_the_right_to_publish_it(world):
    """Cancelling publishes the page; teams publish only through a moderator."""
    url = f"/admin/registrations/events/{world['event'].pk}/cancel/"
    assert client_for(world["users"]["own_team"]).get(url)["Location"] == "/admin/"
    assert client_for(world["users"]["other_team"]).get(url).status_code == 404
    assert client_for(world["users"]["superuser"]).get(url).status_code == 200


def test_the_explorer_lists_a_team_only_its_own_events(world):
    listing = f"/admin/pages/{event_index().pk}/"
    own = client_for(world["users"]["own_team"]).get(listing).content.decode()
    assert "Alliance workshop" in own and "Other society&#x27;s workshop" not in own
    everything = client_for(world["users"]["superuser"]).get(listing).content.decode()
    assert "Alliance workshop" in everything and "Other society&#x27;s workshop" in everything


def test_another_team_cannot_edit_delete_copy_or_move_the_event(world):
    client = client_for(world["users"]["other_team"])
    event = world["event"]
    revisions = event.revisions.count()
    response = client.post(f"/admin/pages/{event.pk}/edit/", {"title": "Taken over", "action-submit": "1"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    for action in ("delete", "copy", "move"):
        response = client.get(f"/admin/pages/{event.pk}/{action}/")
        assert response.status_code == 302 and response["Location"] == "/admin/", action
    assert client.post(f"/admin/pages/{event.pk}/delete/").status_code == 302
    event = EventPage.objects.get(pk=event.pk)
    assert event.title == "Alliance workshop" and event.revisions.count() == revisions and event.live


def test_a_team_member_does_not_edit_the_events_listing_itself(world):
    index = event_index()
    assert client_for(world["users"]["own_team"]).get(f"/admin/pages/{index.pk}/edit/")["Location"] == "/admin/"
    assert client_for(world["users"]["superuser"]).get(f"/admin/pages/{index.pk}/edit/").status_code == 200


def test_a_user_in_no_organizer_team_cannot_create_events(world, django_user_model):
    """Page permissions alone (Wagtail's Editors group) do not make someone an organizer."""
    editor = django_user_model.objects.create_user("editor", "editor@example.com", "pw")
    editor.groups.add(Group.objects.get(name="Editors"))
    response = client_for(editor).get(f"/admin/pages/add/events/eventpage/{event_index().pk}/")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_moderators_edit_every_event(world, django_user_model):
    moderator = django_user_model.objects.create_user("moderator", "mod@example.com", "pw")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    assert client_for(moderator).get(f"/admin/pages/{world['event'].pk}/edit/").status_code == 200
    # Moderators see no orders: they are in no organizer team.
    assert "ana.confidential@example.com" not in client_for(moderator).get(ORDERS).content.decode()


def test_another_team_sees_no_draft_preview_revision_or_history_of_the_event(world):
    """Wagtail grants page permissions on the listing; on another organizer's event a team member
    has none, whatever admin address they type."""
    event = world["event"]
    event.title = "Alliance workshop: unpublished draft"
    revision = event.save_revision()
    urls = [
        f"/admin/pages/{event.pk}/view_draft/",
        f"/admin/pages/{event.pk}/revisions/{revision.pk}/view/",
        f"/admin/pages/{event.pk}/revisions/compare/live...{revision.pk}/",
        f"/admin/pages/{event.pk}/history/",
        f"/admin/pages/{event.pk}/edit/preview/",
        f"/admin/pages/{event.pk}/usage/",
    ]
    for role, allowed in (("other_team", False), ("own_team", True), ("superuser", True)):
        client = client_for(world["users"][role])
        for url in urls:
            response = client.get(url)
            assert (response.status_code == 200) == allowed, (role, url, response.status_code)
            assert response.status_code in (200, 302, 403), (role, url, response.status_code)
            if not allowed:
                assert "unpublished draft" not in response.content.decode(), (role, url)
    own_draft = client_for(world["users"]["own_team"]).get(urls[0]).content.decode()
    assert "unpublished draft" in own_draft
