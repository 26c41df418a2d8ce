"""A listing's result cards are each rendered once per event and language and reused by every
other listing that shows the event (cards.py): a search nobody asked before fetches no page whose
card is kept. A kept card is found by everything it shows, so after any change it is rendered again
and a listing never shows a stale card; a preview neither reads nor keeps one.

The listing's own cache is off here, so every request searches and renders its results."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from events import read_model
from events.models import EventPage, Organizer, Topic, Venue
from tests.factories import TopicFactory, VenueFactory, event_index, make_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def only_cards_kept(settings):
    settings.EVENTS_LISTING_CACHE_SECONDS = 0
    settings.EVENTS_PAGE_CACHE_SECONDS = 0
    settings.EVENTS_CARD_CACHE_SECONDS = 3600


@pytest.fixture
def events():
    trauma = TopicFactory(name="Trauma")
    venue = VenueFactory(name="Hall", city="Boston", country="US", time_zone="America/New_York")
    return [
        make_event("Alliance workshop", starts_in=dt.timedelta(days=3), topics=[trauma], venue=venue),
        make_event("Grief seminar", starts_in=dt.timedelta(days=4)),
    ]


def results(client, url):
    """The results section of a listing, and the SQL it ran."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    section = response.content.decode().split('<section class="results"')[1].split("</main>")[0]
    return section, [query["sql"] for query in captured]


def card(section, n):
    return section.split("<article")[n + 1].split("</article>")[0]


def pages_fetched(sql):
    return [query for query in sql if 'FROM "events_eventpage"' in query]


def fresh(settings, client, url):
    """The results as they are rendered with no card kept."""
    settings.EVENTS_CARD_CACHE_SECONDS = 0
    section, _ = results(client, url)
    settings.EVENTS_CARD_CACHE_SECONDS = 3600
    return section


def card_keys():
    return [key for key in cache._cache if "events:card:" in key]


def test_another_search_showing_the_same_events_fetches_no_page(client, events):
    first, first_sql = results(client, "/events/")
    assert pages_fetched(first_sql), "the first listing renders the cards from the pages"
    assert len(card_keys()) == 2
    again, sql = results(client, "/events/?format=in_person")
    assert "Alliance workshop" in again and "Grief seminar" not in again
    assert not pages_fetched(sql)
    assert card(again, 0) == card(first, 0)


def test_a_kept_card_is_byte_for_byte_the_card_rendered_afresh(settings, client, events):
    results(client, "/events/")
    kept, sql = results(client, "/events/")
    assert not pages_fetched(sql)
    assert kept == fresh(settings, client, "/events/")


def sold_out(event):
    read_model.mark_sold_out(event, True)  # as registrations' capacity does


def retitled(event):
    page = EventPage.objects.get(pk=event.pk)
    page.title = "Alliance workshop, second edition"
    page.save_revision().publish()


def cancelled(event):
    page = EventPage.objects.get(pk=event.pk)
    page.status = EventPage.Status.CANCELLED
    page.save_revision().publish()


def organizer_renamed(event):
    organizer = Organizer.objects.get(pk=event.organizer_id)
    organizer.name = "Renamed Institute"
    organizer.save()


def topic_renamed(event):
    topic = Topic.objects.get(name="Trauma")
    topic.name = "Trauma care"
    topic.save()


def venue_moved(event):
    venue = Venue.objects.get(pk=event.venue_id)
    venue.city = "Cambridge"
    venue.save()


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (sold_out, "Sold out"),
        (retitled, "second edition"),
        (cancelled, "badge-cancelled"),
        (organizer_renamed, "Renamed Institute"),
        (topic_renamed, "Trauma care"),
        (venue_moved, "Cambridge"),
    ],
)
def test_after_a_change_the_card_is_rendered_again(settings, client, events, change, shown):
    results(client, "/events/")
    change(events[0])
    after, sql = results(client, "/events/")
    assert shown in after
    assert after == fresh(settings, client, "/events/")
    assert len(pages_fetched(sql)) == 1, "only the changed event's page is fetched"


def test_a_card_in_spanish_is_not_the_english_one(settings, client, events):
    sold_out(events[0])
    english, _ = results(client, "/events/")
    spanish, _ = results(Client(HTTP_ACCEPT_LANGUAGE="es"), "/events/")
    assert "Sold out" in english and "Agotada" in spanish
    assert spanish == fresh(settings, Client(HTTP_ACCEPT_LANGUAGE="es"), "/events/")


def test_links_follow_the_address_asked(settings, client, events):
    settings.ALLOWED_HOSTS = ["*"]
    results(client, "/events/")
    other = Client(HTTP_HOST="events.example.org")
    Site.objects.filter(is_default_site=True).update(hostname="events.example.org")
    section, _ = results(other, "/events/")
    assert section == fresh(settings, other, "/events/")


def test_a_card_near_a_place_shows_the_distance_from_that_place(settings, client, events):
    venue = Venue.objects.get(pk=events[0].venue_id)
    venue.latitude, venue.longitude = Decimal("42.3601"), Decimal("-71.0589")  # Boston
    venue.save()
    near_boston, _ = results(client, "/events/?near=42.36,-71.06&radius=100")
    near_worcester, _ = results(client, "/events/?near=42.2626,-71.8023&radius=100")
    assert "0.1 km away" in near_boston and "62 km away" in near_worcester
    assert near_worcester == fresh(settings, client, "/events/?near=42.2626,-71.8023&radius=100")


def test_a_preview_neither_reads_nor_keeps_a_card(django_user_model, events):
    editor = Client()
    editor.force_login(django_user_model.objects.create_superuser("editor", "editor@example.com", "pw"))
    index = event_index()
    response = editor.get(f"/admin/pages/{index.pk}/view_draft/")
    assert response.status_code == 200 and "Alliance workshop" in response.content.decode()
    assert card_keys() == []
    # A card kept under the very key the preview would compute is not what the preview shows.
    results(Client(), "/events/")
    for key in card_keys():
        cache.set(key.split(":", 2)[2], "<p>kept card</p>")
    assert "kept card" in results(Client(), "/events/")[0]
    assert "kept card" not in editor.get(f"/admin/pages/{index.pk}/view_draft/").content.decode()


def test_with_the_setting_at_zero_no_card_is_kept(settings, client, events):
    settings.EVENTS_CARD_CACHE_SECONDS = 0
    results(client, "/events/")
    assert card_keys() == []
