"""Finding a page by its address (events/routing.py): the Site and each page come from the cache
or from one query a level, as their own type; any change to a page or a site shows at once."""

from unittest import mock

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction, Site

from events.caching import content_changed, content_version
from events.models import EventIndexPage, EventPage
from events.routing import cached
from tests.factories import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def caching(settings):
    settings.EVENTS_PAGE_CACHE_SECONDS = 300


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured]


def test_an_event_page_asked_again_looks_up_no_site_and_no_page(client, caching):
    event = make_event("Routed", tickets=[("A", "0")])
    queries(client, event.url)
    sql = queries(client, event.url)
    # no site, page, view restriction or ticket type; nor the seats taken, which the page's live
    # Register box fetches (registration-box/)
    assert sql == [], sql


def test_with_no_privacy_setting_anywhere_a_first_visit_asks_for_no_view_restriction(client, caching):
    first, second = make_event("First"), make_event("Second")
    client.get(first.url)
    sql = queries(client, second.url)
    assert not [query for query in sql if "wagtailcore_pageviewrestriction" in query], sql
    assert [query for query in sql if '"wagtailcore_page"."slug" =' in query]  # (the page itself was looked up)


def test_without_the_cache_each_level_of_an_address_is_one_query(client, settings):
    settings.EVENTS_PAGE_CACHE_SECONDS = settings.EVENTS_ROUTING_CACHE_SECONDS = 0
    event = make_event("Routed", tickets=[("A", "0")])
    queries(client, event.url)
    sql = queries(client, event.url)
    by_slug = [query for query in sql if '"wagtailcore_page"."slug" =' in query]
    # the listing, then the event: each fetched as its own type, not as a page and then its type
    assert len(by_slug) == 2, by_slug
    assert 'FROM "events_eventindexpage"' in by_slug[0] and 'FROM "events_eventpage"' in by_slug[1]
    # a slug is unique among siblings: nothing to sort, no condition beyond the parent's path and depth
    assert "ORDER BY" not in by_slug[1] and "NOT" not in by_slug[1], by_slug[1]


def test_a_page_works_out_its_address_once_per_request_and_language(rf):
    from django.urls import reverse
    from django.utils import translation

    event = make_event("Addressed")
    request = rf.get("/")
    with mock.patch("wagtail.models.pages.reverse", wraps=reverse) as reversed_:
        assert event.get_url(request) == event.get_url(request) == event.url
        assert event.get_full_url(request) == event.full_url
        assert reversed_.call_count == 3  # this request once, and the two without one (.url, .full_url)
        with translation.override("es"):
            event.get_url(request)
        assert reversed_.call_count == 4
        EventPage.objects.get(pk=event.pk).get_url(rf.get("/"))  # another request: worked out again
        assert reversed_.call_count == 5


def test_without_the_page_cache_the_site_and_listing_are_remembered_but_not_the_event(client, settings):
    """EVENTS_PAGE_CACHE_SECONDS = 0: an event (one of a long tail) is looked up at each visit, the
    site and the listing above it (the same for every event and every search) are not."""
    settings.EVENTS_PAGE_CACHE_SECONDS = settings.EVENTS_LISTING_CACHE_SECONDS = 0
    event = make_event("Routed", tickets=[("A", "0")])
    queries(client, event.url)
    sql = queries(client, event.url)
    by_slug = [query for query in sql if '"wagtailcore_page"."slug" =' in query]
    assert len(by_slug) == 1 and 'FROM "events_eventpage"' in by_slug[0], by_slug
    assert not [query for query in sql if "wagtailcore_site" in query], sql
    queries(client, "/events/")
    listing = queries(client, "/events/")
    assert not [query for query in listing if "wagtailcore_site" in query or '"slug" =' in query], listing
    assert [query for query in listing if "events_listingentry" in query]  # (the results are not remembered)


@pytest.mark.parametrize("cache_seconds", [0, 300])
def test_what_an_address_finds_and_what_it_refuses(client, settings, cache_seconds):
    settings.EVENTS_PAGE_CACHE_SECONDS = settings.EVENTS_ROUTING_CACHE_SECONDS = cache_seconds
    event = make_event("Routed")
    for _ in range(2):  # found, then found again from the cache
        assert client.get(event.url).context["page"] == event
        assert client.get(event.url + "ical/")["Content-Type"].startswith("text/calendar")
        assert client.get("/events/ical/")["Content-Type"].startswith("text/calendar")
        assert client.get("/events/").status_code == 200
        for missing in (event.url + "no-such-route/", "/events/no-such-event/", "/no-such-page/", "/events/%E2%9C%93/"):
            assert client.get(missing).status_code == 404
    draft = make_event("Draft", publish=False)
    assert client.get(draft.url_path.removeprefix("/home")).status_code == 404


def test_published_changes_unpublishing_and_deleting_show_at_once(client, caching):
    event = make_event("Workshop on rupture")
    assert b"Workshop on rupture" in client.get(event.url).content
    event.title = "Workshop on repair"
    event.slug = "repair"
    event.save_revision().publish()
    assert client.get("/events/workshop-on-rupture/").status_code == 404
    assert b"Workshop on repair" in client.get("/events/repair/").content
    event.unpublish()
    assert client.get("/events/repair/").status_code == 404
    event.save_revision().publish()
    assert client.get("/events/repair/").status_code == 200
    EventPage.objects.get(pk=event.pk).delete()
    assert client.get("/events/repair/").status_code == 404


def test_a_renamed_listing_moved_event_or_changed_site_shows_at_once(client, caching):
    event = make_event("Moving")
    index = EventIndexPage.objects.get()
    assert client.get(event.url).status_code == 200
    index.slug = "workshops"
    index.save_revision().publish()
    assert client.get("/events/moving/").status_code == 404
    assert client.get("/workshops/moving/").status_code == 200
    other = index.get_parent().add_child(instance=EventIndexPage(title="Archive", slug="archive"))
    EventPage.objects.get(pk=event.pk).move(other, pos="last-child")
    assert client.get("/workshops/moving/").status_code in (301, 404)  # (Wagtail may redirect)
    assert client.get("/archive/moving/").status_code == 200
    site = Site.objects.get()
    site.root_page = other
    site.save()
    assert client.get("/moving/").status_code == 200
    assert client.get("/archive/moving/").status_code in (301, 404)


@pytest.mark.parametrize("page_cache_seconds", [0, 300])
def test_addresses_come_from_the_sites_root_paths_held_in_the_process_and_follow_a_change(
    client, settings, page_cache_seconds
):
    settings.EVENTS_PAGE_CACHE_SECONDS = page_cache_seconds
    event = make_event("Linked")
    client.get("/events/")
    with mock.patch.object(Site, "get_site_root_paths", wraps=Site.get_site_root_paths) as read:
        # (the event's links ask with the request and without it: page.url)
        assert b'href="/events/linked/ical/"' in client.get(event.url).content
        assert client.get("/events/?q=linked").status_code == 200
        assert read.call_count == 0  # not from Wagtail's copy in the shared cache, once a request
        site = Site.objects.get()
        site.root_page = EventIndexPage.objects.get()
        site.save()
        assert b'href="/linked/ical/"' in client.get("/linked/").content


@pytest.mark.parametrize("on", ["event", "listing"])
def test_privacy_set_on_a_cached_page_or_its_listing_applies_at_once(client, caching, on):
    event = make_event("Private")
    assert client.get(event.url).status_code == 200
    page = event if on == "event" else EventIndexPage.objects.get()
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
    )
    for _ in range(2):
        response = client.get(event.url)
        assert b"Private" not in response.content and b'name="password"' in response.content
    restriction.delete()
    assert b"Private" in client.get(event.url).content


def test_a_page_read_before_a_commit_is_not_kept_after_it(client, caching, django_capture_on_commit_callbacks):
    """An edit makes a new content version when saved and again when committed: a request that
    read the old row in between (here: put it in the cache under the new version) is not believed."""
    event = make_event("Before")
    index = EventIndexPage.objects.get()
    client.get(event.url)
    stale = EventPage.objects.get(pk=event.pk)
    with django_capture_on_commit_callbacks(execute=True):
        event.title = "After"
        event.save_revision().publish()
        # what a concurrent request that read the row before the commit would keep
        assert cached(f"page:{index.pk}:{event.slug}", lambda: stale).title == "Before"
    assert b"After" in client.get(event.url).content


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1:8000\r\nX: y", "a" * 300])
def test_a_host_outside_allowed_hosts_is_refused_and_not_cached(client, settings, caching, host):
    make_event("Workshop")
    keys = len(caches[settings.EVENTS_ROUTING_CACHE]._cache)
    assert client.get("/events/", HTTP_HOST=host).status_code == 400
    assert len(caches[settings.EVENTS_ROUTING_CACHE]._cache) == keys


@pytest.fixture
def redis_cache(settings):
    """The production cache backend on the machine's Redis (a database of its own, emptied after)."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/15"},
    }
    settings.EVENTS_PAGE_CACHE_SECONDS = 300
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


def test_with_redis_as_the_shared_cache_an_edit_shows_at_once(client, redis_cache):
    event = make_event("Workshop on rupture")
    for _ in range(2):
        assert b"Workshop on rupture" in client.get(event.url).content
    version = content_version()
    assert redis_cache.get("events:content-version") == version
    event.title = "Workshop on repair"
    event.save_revision().publish()
    assert content_version() > version
    assert b"Workshop on repair" in client.get(event.url).content
    redis_cache.delete("events:content-version")  # flushed or evicted: a new version from the clock
    content_changed()
    assert content_version() > version
