"""Publishing, unpublishing, moving or deleting an event (and editing a venue, organizer or topic)
purges exactly the addresses that show it from the front-end cache, through Wagtail's front-end
cache invalidation, once the transaction commits; a cache that fails or hangs never fails the
editor's publish; with no front-end cache configured nothing is sent. Here the cache is a small
real HTTP server that records the PURGE requests it gets (test_varnish.py: a real Varnish)."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from wagtail.models import PageViewRestriction

from events.models import EventIndexPage, EventPage
from tests.factories import edited, event_index, make_event, make_registration
from tests.registration_helpers import register

pytestmark = pytest.mark.django_db


class Recorder(BaseHTTPRequestHandler):
    def do_PURGE(self):  # noqa: N802 (http.server's naming)
        self.server.purged.append(f"http://{self.headers['Host']}{self.path}")
        if self.server.delay:
            time.sleep(self.server.delay)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def cache_server(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.purged, server.delay = [], 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WAGTAILFRONTENDCACHE = {
        "varnish": {"BACKEND": "events.purge.HTTPBackend", "LOCATION": f"http://127.0.0.1:{server.server_port}"}
    }
    yield server
    server.shutdown()
    server.server_close()


SITEMAP = "http://localhost/sitemap.xml"  # (the reference site's: home/signals.py)


def shows(event_slug, listing="/events/"):
    base = "http://localhost"
    return {
        f"{base}/",  # the home page shows the next events (events.http_cache.ShowsEvents)
        f"{base}/events/{event_slug}/",
        f"{base}/events/{event_slug}/ical/",
        *(f"{base}{listing}{path}" for path in ("", "ical/", "feed/", "rss/")),
        f"{base}/api/events/",
        f"{base}/api/events/suggest/",
    }


@pytest.fixture
def event():
    return make_event("The therapeutic alliance", slug="alliance", tickets=[("Standard", "0")], capacity=2)


def test_publishing_an_edit_purges_what_shows_the_event_once_committed(
    event, cache_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        edited(event, title="The working alliance").save_revision().publish()
        assert cache_server.purged == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert set(cache_server.purged) == shows("alliance") | {SITEMAP}
    assert len(cache_server.purged) == len(shows("alliance")) + 1  # each once


def test_saving_a_draft_purges_nothing(event, cache_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        edited(event, title="A draft title").save_revision()
    assert cache_server.purged == []


def test_unpublishing_purges_the_event_and_its_listing(event, cache_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event.unpublish()
    assert set(cache_server.purged) == shows("alliance") | {SITEMAP}


def test_moving_purges_the_old_and_the_new_addresses(event, cache_server, django_capture_on_commit_callbacks):
    other = EventIndexPage(title="Archive", slug="archive")
    event_index().get_parent().add_child(instance=other)
    other.save_revision().publish()
    cache_server.purged.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event.move(other, pos="last-child")
    moved = {
        f"http://localhost/archive/{path}" for path in ("alliance/", "alliance/ical/", "", "ical/", "feed/", "rss/")
    }
    assert set(cache_server.purged) == shows("alliance") | moved | {SITEMAP}


def test_deleting_purges_the_event_and_its_listing(event, cache_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event.delete()
    assert set(cache_server.purged) == shows("alliance") | {SITEMAP}


def test_a_view_restriction_purges_the_pages_it_hides(event, cache_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(page=event, restriction_type="password", password="secret")
    assert set(cache_server.purged) == shows("alliance") | {SITEMAP}


def test_a_venue_edit_purges_its_events_and_the_listings_not_other_events(
    cache_server, django_capture_on_commit_callbacks
):
    from tests.factories import VenueFactory

    venue = VenueFactory()
    make_event("In the hall", slug="hall", venue=venue)
    make_event("Online only", slug="online")
    cache_server.purged.clear()
    with django_capture_on_commit_callbacks(execute=True):
        venue.name = "The new hall"
        venue.save()
    assert set(cache_server.purged) == shows("hall")


def test_a_seat_sold_purges_nothing_the_last_one_purges_the_sold_out_event(
    event, cache_server, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert register(client, event).status_code == 302
    assert cache_server.purged == []  # seats left are live: nothing at the edge is stale
    with django_capture_on_commit_callbacks(execute=True):
        assert register(client, event).status_code == 302  # the last seat: "Sold out" on its card
    assert set(cache_server.purged) == shows("alliance")


def test_editing_a_page_that_shows_events_purges_it_and_the_sitemap(
    event, cache_server, django_capture_on_commit_callbacks
):
    home = event_index().get_parent().specific
    home.intro = "<p>New this week</p>"
    with django_capture_on_commit_callbacks(execute=True):
        home.save_revision().publish()
    assert set(cache_server.purged) == {"http://localhost/", SITEMAP}


def test_a_topic_edit_purges_the_pages_that_show_events(event, cache_server, django_capture_on_commit_callbacks):
    from events.models import Topic

    topic = Topic.objects.create(name="Grief")
    cache_server.purged.clear()
    with django_capture_on_commit_callbacks(execute=True):
        topic.name = "Grief and loss"
        topic.save()
    assert "http://localhost/" in cache_server.purged and "http://localhost/events/" in cache_server.purged


def test_a_cache_that_is_down_or_hangs_never_fails_the_publish(
    event, cache_server, settings, django_capture_on_commit_callbacks, caplog
):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.WAGTAILFRONTENDCACHE = {
        "varnish": {"BACKEND": "events.purge.HTTPBackend", "LOCATION": f"http://127.0.0.1:{port}"}
    }
    with django_capture_on_commit_callbacks(execute=True):
        edited(event, title="Published anyway").save_revision().publish()
    assert "Could not purge" in caplog.text
    assert EventPage.objects.get(pk=event.pk).title == "Published anyway"

    settings.WAGTAILFRONTENDCACHE["varnish"].update(
        LOCATION=f"http://127.0.0.1:{cache_server.server_port}", TIMEOUT=0.5
    )
    cache_server.delay = 3
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        edited(event, title="Published again").save_revision().publish()
    assert time.monotonic() - started < 2.5
    # In each batch one address waited for, the rest not sent: the event's, and the sitemap's (home/signals.py).
    assert len(cache_server.purged) == 2 and SITEMAP in cache_server.purged


def test_without_a_front_end_cache_nothing_is_sent(event, settings, django_capture_on_commit_callbacks):
    assert not hasattr(settings, "WAGTAILFRONTENDCACHE")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        edited(event, title="No cache here").save_revision().publish()
        make_registration(event, price="0")
    from events import purge

    assert not purge.configured()
    assert not any("purge" in getattr(callback, "__qualname__", "") for callback in callbacks)
