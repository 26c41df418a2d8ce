"""What an editor or a moderator previews is the draft or revision under review, never the live page
from the public caches; and a preview writes nothing that visitors are then served (caching.py).

The Site has the hostname the test client sends, so a preview request is routed and keyed exactly
as a visitor's request for the same page is."""

import pytest
from django.test import Client
from wagtail.models import GroupApprovalTask, Site, Workflow, WorkflowPage, WorkflowTask

from events.models import EventPage
from tests.admin_helpers import form_data
from tests.factories import event_index, make_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def caches_on_and_real_host(settings):
    settings.EVENTS_PAGE_CACHE_SECONDS = 300
    settings.EVENTS_LISTING_CACHE_SECONDS = 60
    settings.EVENTS_FEED_CACHE_SECONDS = 300
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "testserver", 80
    site.save()


@pytest.fixture
def editor(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("editor", "editor@example.com", "pw"))
    return client


@pytest.fixture
def drafted():
    """A live event changed in a draft, then seen by a visitor (so its public cache is warm, as it
    is when a moderator comes to review the draft)."""
    event = make_event("Live title", summary="The live summary.", hours=3)
    draft = EventPage.objects.get(pk=event.pk)
    draft.title, draft.summary = "Draft title", "The draft summary."
    draft.save_revision()
    visitor = Client()
    for url in (event.url, event_index().url):
        assert b"Live title" in visitor.get(url).content
    return draft


def assert_public_pages_still_live(event):
    visitor = Client()
    page = visitor.get(event.url).content.decode()
    assert "Live title" in page and "The live summary." in page
    assert "Draft title" not in page and "The draft summary." not in page
    listing = visitor.get(event_index().url).content.decode()
    assert "Live title" in listing and "Draft title" not in listing


def assert_shows_draft(response):
    assert response.status_code == 200
    text = response.content.decode()
    assert "Draft title" in text and "The draft summary." in text
    assert "The live summary." not in text


def test_the_editors_preview_shows_the_draft_and_leaves_the_public_page_live(editor, drafted):
    edit = f"/admin/pages/{drafted.pk}/edit/"
    assert editor.post(f"{edit}preview/", form_data(editor, edit)).json()["is_valid"]
    assert_shows_draft(editor.get(f"{edit}preview/"))
    assert_public_pages_still_live(drafted)


def test_view_draft_shows_the_draft_and_leaves_the_public_page_live(editor, drafted):
    assert_shows_draft(editor.get(f"/admin/pages/{drafted.pk}/view_draft/"))
    assert_public_pages_still_live(drafted)


def test_a_revision_shows_itself_and_leaves_the_public_page_live(editor, drafted):
    revision = drafted.get_latest_revision()
    assert_shows_draft(editor.get(f"/admin/pages/{drafted.pk}/revisions/{revision.pk}/view/"))
    assert_public_pages_still_live(drafted)


def test_comparing_revisions_shows_the_draft_and_leaves_the_public_page_live(editor, drafted):
    response = editor.get(f"/admin/pages/{drafted.pk}/revisions/compare/live...latest/")
    assert response.status_code == 200 and "Draft title" in response.content.decode()
    assert_public_pages_still_live(drafted)


def test_a_moderators_workflow_preview_shows_the_draft_and_leaves_the_public_page_live(
    editor, drafted, django_user_model
):
    workflow = Workflow.objects.create(name="Review")
    task = GroupApprovalTask.objects.create(name="Approve")
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.create(workflow=workflow, page=event_index())
    workflow.start(drafted, django_user_model.objects.get(username="editor"))
    assert_shows_draft(editor.get(f"/admin/pages/workflow/preview/{drafted.pk}/{task.pk}/"))
    assert_public_pages_still_live(drafted)


def test_a_preview_of_the_listing_shows_its_draft_and_leaves_the_public_listing_live(editor, drafted):
    index = event_index()
    draft = index.specific
    draft.title = "Draft listing heading"
    draft.save_revision()
    assert "Live title" in Client().get(index.url).content.decode()
    response = editor.get(f"/admin/pages/{index.pk}/view_draft/")
    assert response.status_code == 200 and "Draft listing heading" in response.content.decode()
    public = Client().get(index.url).content.decode()
    assert "Draft listing heading" not in public and "Live title" in public


def test_a_preview_seen_first_is_not_what_visitors_are_then_served(editor):
    event = make_event("Live title", summary="The live summary.")
    draft = EventPage.objects.get(pk=event.pk)
    draft.title, draft.summary = "Draft title", "The draft summary."
    draft.save_revision()
    assert_shows_draft(editor.get(f"/admin/pages/{event.pk}/view_draft/"))  # the public cache is cold
    assert_public_pages_still_live(event)


def test_what_a_logged_in_editor_is_shown_is_never_served_to_a_visitor(editor):
    """The editor's userbar and anything else personal sit outside the cached pieces: an editor
    warming the cache leaves nothing of theirs in it."""
    event = make_event("Live title")
    for url in (event.url, event_index().url, event_index().url + "ical/"):
        assert editor.get(url).status_code == 200
    assert "wagtail-userbar" in editor.get(event.url).content.decode()
    for url in (event.url, event_index().url):
        text = Client().get(url).content.decode()
        assert "wagtail-userbar" not in text and "editor@example.com" not in text, url


FRAGMENT = '{% load event_tags %}{% public_cache seconds piece "v1" %}{{ body }}{% endpublic_cache %}'


def test_a_public_fragment_is_not_read_for_a_preview_or_when_its_time_is_zero(rf):
    from django.core.cache import cache
    from django.core.cache.utils import make_template_fragment_key
    from django.template import engines

    template = engines["django"].from_string(FRAGMENT)
    cache.set(make_template_fragment_key("piece", ["v1"]), "the live page", 60)
    assert template.render({"seconds": 60, "body": "fresh"}, rf.get("/")) == "the live page"
    assert template.render({"seconds": 0, "body": "fresh"}, rf.get("/")) == "fresh"
    preview = rf.get("/")
    preview.is_preview = True
    assert template.render({"seconds": 60, "body": "the draft"}, preview) == "the draft"
    assert cache.get(make_template_fragment_key("piece", ["v1"])) == "the live page"  # (not overwritten)


def test_routing_neither_reads_nor_keeps_anything_while_a_preview_is_served(settings):
    from events.caching import private_request
    from events.routing import cached

    settings.EVENTS_PAGE_CACHE_SECONDS = 300
    assert cached("site:x", lambda: "public") == "public"
    token = private_request.set(True)
    try:
        assert cached("site:x", lambda: "preview") == "preview"
        assert cached("site:y", lambda: "preview") == "preview"
    finally:
        private_request.reset(token)
    assert cached("site:x", lambda: "other") == "public"
    assert cached("site:y", lambda: "public") == "public"  # nothing was kept by the preview
