"""An event page's topics (EventPage.shown_topics): routed to, their ids come with the page, from its
listing row, and the topics from the process's memory, with no query of their own; they stay the
page's topics whatever changes (a topic renamed or deleted, the page published with others)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import EventPage, ListingEntry
from tests.factories import TopicFactory, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# A topic in the page's "Topics" list: its filter link, then its name.
TOPIC = re.compile(r'<dd><a href="[^"]*\?topic=([^"]+)">([^<]+)</a>')


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    """Each visit works the page out, as for an event of the long tail."""
    settings.EVENTS_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def event():
    unrelated = TopicFactory(name="Ethics", slug="ethics")
    zeta, alpha = TopicFactory(name="Zeta grief", slug="zeta"), TopicFactory(name="Alpha trauma", slug="alpha")
    return make_event("Topical", topics=[zeta, alpha]), {"unrelated": unrelated, "zeta": zeta, "alpha": alpha}


def visit(client, url):
    """(the topics shown as (slug, name), in order; the SQL of the visit)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return TOPIC.findall(response.content.decode()), [query["sql"] for query in captured]


def asks_for_topics(sql):
    return [query for query in sql if '"events_topic"' in query or '"events_eventpage_topics"' in query]


def test_the_topics_come_with_the_page_in_name_order_and_cost_no_query(client, event):
    page, _topics = event
    visit(client, page.url)  # (the topics are then held by this process)
    shown, sql = visit(client, page.url)
    assert shown == [("alpha", "Alpha trauma"), ("zeta", "Zeta grief")]
    assert asks_for_topics(sql) == []
    assert [query for query in sql if '"events_eventpage"' in query and '"events_listingentry"' in query], sql


def test_a_renamed_topic_shows_at_once(client, event):
    page, topics = event
    visit(client, page.url)
    topics["zeta"].name = "Grief, renamed"
    topics["zeta"].save()
    assert visit(client, page.url)[0] == [("alpha", "Alpha trauma"), ("zeta", "Grief, renamed")]


def test_a_deleted_topic_and_one_taken_off_the_page_are_no_longer_shown(client, event):
    page, topics = event
    visit(client, page.url)
    topics["zeta"].delete()
    assert visit(client, page.url)[0] == [("alpha", "Alpha trauma")]
    page = EventPage.objects.get(pk=page.pk)
    page.topics = [topics["unrelated"]]
    page.save_revision().publish()
    assert visit(client, page.url)[0] == [("ethics", "Ethics")]


@pytest.mark.parametrize("routing_cache_seconds", [0, 300])
def test_a_page_without_its_listing_row_shows_its_own_topics(client, settings, event, routing_cache_seconds):
    settings.EVENTS_ROUTING_CACHE_SECONDS = routing_cache_seconds
    page, _topics = event
    ListingEntry.objects.filter(page=page).delete()
    assert visit(client, page.url)[0] == [("alpha", "Alpha trauma"), ("zeta", "Zeta grief")]


def test_without_the_routing_cache_the_topics_are_still_the_pages(client, settings, event):
    settings.EVENTS_ROUTING_CACHE_SECONDS = 0
    page, _topics = event
    assert visit(client, page.url)[0] == [("alpha", "Alpha trauma"), ("zeta", "Zeta grief")]
