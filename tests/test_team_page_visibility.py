"""A team member sees only its own events' drafts anywhere in the admin: the explorer, the admin
API, page search, the page chooser, usage reports, site history and bulk-action confirmations.
Superusers and moderators see every event.

Two teams: the rival team has an event that was never published and a live event with an
unpublished new title. Neither title may reach the other team in any answer."""

import pytest
from django.contrib.auth.models import Group
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Collection, Page
from wagtail.permissions import policy_registry

from tests.factories import event_index, make_event
from tests.test_organizer_permissions import approved_organizer, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SECRETS = ("Rival secret draft", "Rival retitled draft")


@pytest.fixture
def teams(django_user_model):
    event_index()
    own, rival = approved_organizer("Alliance Institute"), approved_organizer("Rival Society")
    member = django_user_model.objects.create_user("member", "member@example.com", "pw")
    member.groups.add(own.team)
    rival_member = django_user_model.objects.create_user("rival", "rival@example.com", "pw")
    rival_member.groups.add(rival.team)

    # An image of the member's own, which the rival's draft uses: its usage report lists the draft.
    image = Image.objects.create(
        title="Shared photo",
        file=get_test_image_file(),
        collection=Collection.get_first_root_node(),
        uploaded_by_user=member,
    )
    ours = make_event("Alliance own draft", organizer=own, publish=False)
    ours.save_revision(user=member, log_action=True)
    secret = make_event("Rival secret draft", organizer=rival, publish=False, featured_image=image)
    secret.save_revision(user=rival_member, log_action=True)
    retitled = make_event("Rival live workshop", organizer=rival)
    retitled.title = "Rival retitled draft"
    retitled.save_revision(user=rival_member, log_action=True)
    return {
        "member": member,
        "rival": rival_member,
        "ours": ours,
        "secret": secret,
        "retitled": retitled,
        "image": image,
    }


def places(teams):
    """Every admin answer that lists or names pages, by what it is."""
    secret, retitled, ours = teams["secret"], teams["retitled"], teams["ours"]
    index = event_index()
    bulk = "/admin/bulk/wagtailcore/page/{action}/?next=/admin/&id=" + f"{secret.pk}&id={retitled.pk}&id={ours.pk}"
    return {
        "api listing": f"/admin/api/main/pages/?child_of={index.pk}&for_explorer=1&fields=title,admin_display_title",
        "api search": "/admin/api/main/pages/?search=Rival&fields=title,admin_display_title",
        "api secret": f"/admin/api/main/pages/{secret.pk}/",
        "api retitled": f"/admin/api/main/pages/{retitled.pk}/",
        "explorer": f"/admin/pages/{index.pk}/",
        "explorer inside the draft": f"/admin/pages/{secret.pk}/",
        "explorer search": f"/admin/pages/{index.pk}/?q=Rival",
        "page search": "/admin/pages/search/?q=Rival",
        "page search results": "/admin/pages/search/results/?q=Rival",
        "chooser browse": f"/admin/choose-page/{index.pk}/",
        "chooser browse into the draft": f"/admin/choose-page/{secret.pk}/",
        "chooser search": "/admin/choose-page/search/?q=Rival",
        "chooser chosen": f"/admin/choose-page/chosen-multiple/?id={secret.pk}&id={retitled.pk}",
        "image usage": f"/admin/images/usage/{teams['image'].pk}/",
        "site history": "/admin/reports/site-history/",
        "site history results": "/admin/reports/site-history/results/",
        "admin home": "/admin/",
        "page types usage": "/admin/reports/page-types-usage/",
        "workflow tasks report": "/admin/reports/workflow_tasks/",
        "locked pages": "/admin/reports/locked/",
        "aging pages": "/admin/reports/aging-pages/",
        "workflow report": "/admin/reports/workflow/",
        "bulk delete": bulk.format(action="delete"),
        "bulk move": bulk.format(action="move"),
        "bulk publish": bulk.format(action="publish"),
        "bulk unpublish": bulk.format(action="unpublish"),
    }


def shown(client, url):
    response = client.get(url)
    assert response.status_code in (200, 302, 403, 404), (url, response.status_code)
    return response.content.decode() if response.status_code == 200 else ""


PLACES = [
    "api listing",
    "api search",
    "api secret",
    "api retitled",
    "explorer",
    "explorer inside the draft",
    "explorer search",
    "page search",
    "page search results",
    "chooser browse",
    "chooser browse into the draft",
    "chooser search",
    "chooser chosen",
    "image usage",
    "site history",
    "site history results",
    "admin home",
    "page types usage",
    "workflow tasks report",
    "locked pages",
    "aging pages",
    "workflow report",
    "bulk delete",
    "bulk move",
    "bulk publish",
    "bulk unpublish",
]


@pytest.mark.parametrize("place", PLACES)
def test_a_team_never_sees_another_teams_draft_titles(teams, place):
    text = shown(client_for(teams["member"]), places(teams)[place])
    for title in SECRETS:
        assert title not in text, (place, title)


def test_a_team_sees_its_own_drafts(teams):
    member = client_for(teams["member"])
    urls = places(teams)
    for place in ("api listing", "explorer", "chooser browse", "site history results", "bulk delete"):
        assert "Alliance own draft" in shown(member, urls[place]), place
    assert "Alliance own draft" in shown(member, "/admin/pages/search/?q=Alliance")
    assert "Alliance own draft" in shown(member, "/admin/choose-page/search/?q=Alliance")


@pytest.mark.parametrize("role", ["superuser", "moderator"])
def test_superusers_and_moderators_see_every_draft(teams, django_user_model, role):
    if role == "superuser":
        user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    else:
        user = django_user_model.objects.create_user("moderator", "mod@example.com", "pw")
        user.groups.add(Group.objects.get(name="Moderators"))
    client = client_for(user)
    urls = places(teams)
    for place in ("api listing", "explorer", "page search", "chooser browse", "chooser search", "bulk delete"):
        text = shown(client, urls[place])
        for title in SECRETS:
            assert title in text, (role, place, title)
    assert "Rival secret draft" in shown(client, urls["api secret"])
    assert "Rival retitled draft" in shown(client, urls["site history results"])
    assert "Rival secret draft" in shown(client, urls["chooser chosen"])
    assert "Rival retitled draft" in shown(client, urls["page types usage"])
    if role == "superuser":
        assert "Rival secret draft" in shown(client, urls["image usage"])


def test_the_page_policy_gives_a_team_no_permission_on_another_teams_event(teams):
    """What Wagtail asks the page policy, page by page, agrees with the listings above."""
    policy = policy_registry.get_by_type(Page)
    member, secret, ours = teams["member"], teams["secret"], teams["ours"]
    assert policy.user_has_permission_for_instance(member, "change", ours)
    assert not policy.user_has_permission_for_instance(member, "change", secret)
    assert not policy.user_has_permission_for_instance(member, "change", Page.objects.get(pk=secret.pk))
    assert policy.user_has_permission_for_instance(teams["rival"], "change", secret)
    editable = policy.instances_user_has_permission_for(member, "change")
    assert editable.filter(pk=ours.pk).exists() and not editable.filter(pk=secret.pk).exists()
