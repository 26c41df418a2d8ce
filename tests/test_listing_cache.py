"""A listing, feed or event page asked again within EVENTS_LISTING_CACHE_SECONDS /
EVENTS_FEED_CACHE_SECONDS / EVENTS_PAGE_CACHE_SECONDS is served from the cache: the same page,
without counting or fetching its events again (an event page's seats left are always live). Saving or
deleting an event, organizer, topic or venue makes every cached listing and feed stale at once;
0 turns the caches off."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_event, make_registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def caching(settings):
    """The caches on, whatever the environment says (conftest.py empties the cache for each test)."""
    settings.EVENTS_LISTING_CACHE_SECONDS = 60
    settings.EVENTS_FEED_CACHE_SECONDS = 300


def fetch(client, url):
    return fetch_any(client, url, 200)


def fetch_any(client, url, status):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == status
    return response, {query["sql"] for query in captured}


def listing(response):
    """The cached part of a listing page (the head carries a fresh CSP nonce each time)."""
    return response.content.split(b'<div class="listing">')[1]


def event_queries(sql):
    return {query for query in sql if 'FROM "events_eventpage"' in query}


@pytest.mark.parametrize("url", ["/events/", "/events/?q=workshop", "/events/?format=online&price=free"])
def test_a_listing_asked_again_is_served_without_counting_or_fetching_its_events(client, caching, url):
    for n in range(3):
        make_event(f"Workshop {n}", starts_in=dt.timedelta(days=n + 1), format="online", time_zone="UTC")
    first, first_sql = fetch(client, url)
    second, second_sql = fetch(client, url)
    assert event_queries(first_sql), "the first request counts and fetches the events"
    assert not event_queries(second_sql)
    assert listing(second) == listing(first)
    assert b"Workshop 0" in listing(second)


def test_a_feed_asked_again_is_served_from_the_cache(client, caching):
    make_event("Workshop", starts_in=dt.timedelta(days=2))
    first, _ = fetch(client, "/events/ical/")
    second, second_sql = fetch(client, "/events/ical/")
    assert not event_queries(second_sql)
    assert second.content == first.content
    assert second["Content-Type"].startswith("text/calendar")


def test_an_api_page_asked_again_is_served_from_the_cache_and_an_edit_shows_at_once(client, caching):
    event = make_event("Workshop on rupture", starts_in=dt.timedelta(days=2))
    url = "/api/events/?format=online&page_size=5"
    first, _ = fetch(client, url)
    second, second_sql = fetch(client, url)
    assert not event_queries(second_sql)
    assert second.json() == first.json() and first.json()["results"][0]["title"] == "Workshop on rupture"
    assert fetch(client, "/api/events/?format=in_person")[0].json()["count"] == 0  # another address
    event.title = "Workshop on repair"
    event.save_revision().publish()
    assert fetch(client, url)[0].json()["results"][0]["title"] == "Workshop on repair"


def kept_responses():
    """The API pages and feeds in the (local memory) cache."""
    return [key for key in cache._cache if ":events:api:" in key or ":events:feed:" in key]


def test_a_refused_api_or_feed_request_is_not_kept(client, caching):
    make_event("Workshop", starts_in=dt.timedelta(days=2))
    for url in ("/api/events/?page=x", "/events/ical/?country=XX"):
        for _ in range(2):
            assert client.get(url).status_code == 400
        assert not kept_responses(), url
    fetch(client, "/api/events/")
    assert len(kept_responses()) == 1  # what an answer kept looks like


def test_with_the_caches_off_every_listing_counts_again(client, settings):
    settings.EVENTS_LISTING_CACHE_SECONDS = settings.EVENTS_FEED_CACHE_SECONDS = 0
    make_event("Workshop", starts_in=dt.timedelta(days=2))
    fetch(client, "/events/")
    _, sql = fetch(client, "/events/")
    assert any("COUNT(" in query and '"events_listingentry"' in query for query in sql)


def test_a_published_change_shows_at_once_in_cached_listings_and_feeds(client, caching):
    event = make_event("Workshop on rupture", starts_in=dt.timedelta(days=2))
    for url in ("/events/", "/events/?q=rupture", "/events/ical/"):
        assert b"Workshop on rupture" in client.get(url).content
    event.title = "Workshop on repair"
    event.save_revision().publish()
    make_event("Second workshop", starts_in=dt.timedelta(days=3))
    for url in ("/events/", "/events/ical/"):
        content = client.get(url).content
        # (the summary, unchanged, still says "About Workshop on rupture.")
        assert content.count(b"Workshop on repair") == 1 and content.count(b"Workshop on rupture") == 1, url
        assert b"Second workshop" in content, url
    assert b"2 events" in client.get("/events/").content


def test_an_unpublished_or_deleted_event_leaves_cached_listings_at_once(client, caching):
    kept = make_event("Kept workshop", starts_in=dt.timedelta(days=2))
    hidden = make_event("Hidden workshop", starts_in=dt.timedelta(days=3))
    gone = make_event("Gone workshop", starts_in=dt.timedelta(days=4))
    assert b"3 events" in client.get("/events/").content
    hidden.unpublish()
    gone.delete()
    content = client.get("/events/").content
    assert b"1 event" in content and b"Kept workshop" in content
    assert b"Hidden workshop" not in content and b"Gone workshop" not in content
    assert b"Hidden workshop" not in client.get("/events/ical/").content
    assert kept.live


def test_a_renamed_organizer_shows_at_once(client, caching):
    event = make_event("Workshop", starts_in=dt.timedelta(days=2))
    client.get("/events/")
    event.organizer.name = "Renamed Institute"
    event.organizer.save()
    assert b"Renamed Institute" in client.get("/events/").content


def test_the_filter_forms_topics_and_organizers_come_from_memory_and_an_edit_shows_at_once(client, settings):
    from tests.factories import TopicFactory

    settings.EVENTS_LISTING_CACHE_SECONDS = 0  # (the rendered form is not kept: its lists are)
    event = make_event("Workshop", starts_in=dt.timedelta(days=2))
    fetch(client, "/events/")
    _, sql = fetch(client, "/events/")
    assert not [query for query in sql if 'FROM "events_topic" ORDER BY' in query or 'FROM "events_organizer"' in query]
    TopicFactory(name="Grief work", slug="grief-work")
    event.organizer.name = "Renamed Institute"
    event.organizer.save()
    form = client.get("/events/").content.split(b'class="filters"')[1].split(b"</form>")[0]
    assert b'value="grief-work"' in form and b"Grief work" in form
    assert f'<option value="{event.organizer.slug}">Renamed Institute</option>'.encode() in form
    assert client.get("/events/?topic=grief-work").status_code == 200  # (and it can be chosen)


def test_the_filter_forms_lists_are_remembered_in_each_language_apart(client, settings):
    settings.EVENTS_LISTING_CACHE_SECONDS = 0
    make_event("Workshop", starts_in=dt.timedelta(days=2))
    for _ in range(2):
        english = client.get("/events/").content
        spanish = client.get("/events/", HTTP_ACCEPT_LANGUAGE="es").content
        assert b'<option value="DE">Germany</option>' in english and b"Alemania" not in english
        assert b'<option value="DE">Alemania</option>' in spanish and b"Germany" not in spanish
    assert (
        b'<option value="DE" selected>Alemania</option>'
        in client.get("/events/?country=DE", HTTP_ACCEPT_LANGUAGE="es").content
    )


# Event pages: all but the registration box is cached the same way.


def test_an_event_page_asked_again_is_served_from_the_cache_but_its_seats_are_live(client):
    event = make_event("Cached workshop", tickets=[("Standard", "0")], capacity=3, starts_in=dt.timedelta(days=2))
    first, first_sql = fetch(client, event.url)
    second, second_sql = fetch(client, event.url)
    assert any("events_topic" in query for query in first_sql)
    assert not any("events_topic" in query or "events_venue" in query for query in second_sql)
    assert second.content.split(b"<main")[1] == first.content.split(b"<main")[1]
    assert b"seats left" not in second.content  # the page is shared by caches: its seats come live
    box = event.route_url("registration_box")
    assert b"3 seats left" in client.get(box).content

    make_registration(event)  # no edit of the event: only the registration box changes
    assert b"2 seats left" in client.get(box).content


def test_an_edited_event_page_shows_the_edit_at_once(client):
    event = make_event("Cached workshop", starts_in=dt.timedelta(days=2))
    client.get(event.url)
    event.summary = "A new summary."
    event.save_revision().publish()
    assert b"A new summary." in client.get(event.url).content


def test_with_the_cache_off_every_event_page_is_worked_out_again(client, settings):
    settings.EVENTS_PAGE_CACHE_SECONDS = 0
    event = make_event("Uncached workshop", starts_in=dt.timedelta(days=2))
    fetch(client, event.url)
    _, sql = fetch(client, event.url)
    # (fetched anew, with what it shows: its sessions come in the page's own query)
    assert any('"events_eventsession"' in query for query in sql)


@pytest.mark.parametrize(
    "url,same",
    [
        ("/events/ical/?format=online&price=free", "/events/ical/?price=free&junk=1&format=online&utm_source=x"),
        ("/events/ical/?topic=ethics&topic=trauma", "/events/ical/?topic=trauma&topic=ethics&topic=ethics"),
        ("/events/ical/?max_price=50", "/events/ical/?max_price=50.00&q=%20"),
        ("/api/events/?format=online&page_size=5", "/api/events/?page_size=05&format=online&junk=2"),
        ("/events/?format=online&price=free", "/events/?price=free&format=online&junk=3&page=1"),
    ],
)
def test_junk_reordered_or_rewritten_parameters_hit_the_same_cache_entry(client, caching, url, same):
    from tests.factories import TopicFactory

    topics = [TopicFactory(name="Ethics", slug="ethics"), TopicFactory(name="Trauma", slug="trauma")]
    make_event("Workshop", starts_in=dt.timedelta(days=2), format="online", topics=topics)
    first, _ = fetch(client, url)
    second, sql = fetch(client, same)
    assert not event_queries(sql), f"{same} was built again instead of served from {url}'s entry"
    if url.startswith("/events/?"):
        assert listing(second) == listing(first)
    else:
        assert second.content == first.content


def test_links_in_a_cached_listing_carry_only_the_parameters_that_applied(client, caching, settings):
    settings.EVENTS_PAGE_SIZE = 1
    for n in range(2):
        make_event(f"Workshop {n}", starts_in=dt.timedelta(days=n + 1), format="online")
    html = client.get("/events/?junk=%3Cx%3E&format=online").content.decode()
    assert 'rel="next" href="?format=online&amp;page=2"' in html
    assert "junk" not in listing_html(html)


def listing_html(html):
    return html.split('<div class="listing">')[1]


def test_two_listings_feeds_with_the_same_parameters_are_kept_apart(client, caching):
    from events.models import EventIndexPage
    from tests.factories import event_index

    courses = event_index().get_parent().add_child(instance=EventIndexPage(title="Courses", slug="courses"))
    courses.save_revision().publish()
    make_event("Workshop", starts_in=dt.timedelta(days=2))
    assert b"Workshop" in fetch(client, "/events/ical/?past=1")[0].content
    assert b"Workshop" not in fetch(client, "/courses/ical/?past=1")[0].content
