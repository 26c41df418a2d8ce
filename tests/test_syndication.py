"""It comes to them: a listing's newest events as Atom (`feed/`) and RSS (`rss/`), with the
listing's filters, and on each event page a calendar subscription and an Atom feed of its organizer
and of each of its topics (events/syndication.py)."""

import datetime as dt
import html
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from events import syndication
from events.models import EventPage
from tests.calendar_checks import parse_valid_calendar
from tests.factories import OrganizerFactory, TopicFactory, edited, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ATOM = "{http://www.w3.org/2005/Atom}"
HOST = "events.example.org"


@pytest.fixture(autouse=True)
def other_host(settings):
    settings.ALLOWED_HOSTS = ["testserver", HOST]


def get(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content
    return response


def atom(client, query="", **headers):
    response = get(client, "/events/feed/" + (f"?{query}" if query else ""), **headers)
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ElementTree.fromstring(response.content)


def rss(client, query="", **headers):
    response = get(client, "/events/rss/" + (f"?{query}" if query else ""), **headers)
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root.find("channel")


def titles(feed):
    """The entries' (Atom) or items' (RSS) titles, in the feed's order."""
    if feed.tag == f"{ATOM}feed":
        return [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]
    return [item.findtext("title") for item in feed.iter("item")]


def only_entry(feed):
    (entry,) = feed.iter(f"{ATOM}entry")
    return entry


@pytest.fixture
def three():
    """Published in the order A, B, C; starting in the order B, C, A."""
    return [
        make_event("A: oldest", starts_in=dt.timedelta(days=30)),
        make_event("B: middle", starts_in=dt.timedelta(days=10)),
        make_event("C: newest", starts_in=dt.timedelta(days=20)),
    ]


# What the feeds say


def test_the_atom_feed_lists_the_newest_published_events_first(client, three):
    assert titles(atom(client)) == ["C: newest", "B: middle", "A: oldest"]
    # whatever order was asked for: it is a feed of what is new
    assert titles(atom(client, "sort=soonest")) == ["C: newest", "B: middle", "A: oldest"]


def test_the_rss_feed_lists_the_newest_published_events_first(client, three):
    assert titles(rss(client)) == ["C: newest", "B: middle", "A: oldest"]


def test_an_atom_entry_says_what_a_reader_shows(client):
    event = make_event(
        "Ruptures & repair",
        summary="Alliance <ruptures> & how to repair them.",
        organizer=OrganizerFactory(name="Institute of Trauma Studies", slug="its"),
        topics=[TopicFactory(name="Ethics", slug="ethics"), TopicFactory(name="Alliance", slug="alliance")],
    )
    event = EventPage.objects.get(pk=event.pk)
    entry = only_entry(atom(client))
    assert entry.findtext(f"{ATOM}title") == "Ruptures & repair"
    assert entry.find(f"{ATOM}link").get("href") == "http://testserver" + event.url
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "html" and html.unescape(summary.text) == event.summary
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Institute of Trauma Studies"
    assert [category.get("term") for category in entry.iter(f"{ATOM}category")] == ["Alliance", "Ethics"]
    assert dt.datetime.fromisoformat(entry.findtext(f"{ATOM}published")) == event.first_published_at
    assert dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated")) == event.last_published_at
    assert entry.findtext(f"{ATOM}id") == f"tag:events.invalid,2026:event-{event.pk}"


def test_an_rss_item_says_what_a_reader_shows(client):
    event = make_event(
        "Ruptures & repair",
        summary="Alliance <ruptures> & how to repair them.",
        organizer=OrganizerFactory(name="Institute of Trauma Studies", slug="its"),
        topics=[TopicFactory(name="Ethics", slug="ethics")],
    )
    event = EventPage.objects.get(pk=event.pk)
    (item,) = rss(client).iter("item")
    assert item.findtext("title") == "Ruptures & repair"
    assert item.findtext("link") == "http://testserver" + event.url
    assert html.unescape(item.findtext("description")) == event.summary
    assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == "Institute of Trauma Studies"
    assert [category.text for category in item.iter("category")] == ["Ethics"]
    assert parsedate_to_datetime(item.findtext("pubDate")) == event.first_published_at.replace(microsecond=0)
    guid = item.find("guid")
    assert guid.text == f"tag:events.invalid,2026:event-{event.pk}" and guid.get("isPermaLink") == "false"


def test_a_feed_holds_only_the_newest_events(client, three, monkeypatch):
    assert syndication.FEED_ITEMS == 50
    monkeypatch.setattr(syndication, "FEED_ITEMS", 2)
    assert titles(atom(client)) == ["C: newest", "B: middle"]
    assert titles(rss(client)) == ["C: newest", "B: middle"]


@pytest.fixture
def by_organizer_and_topic():
    alliance, grief = TopicFactory(name="Alliance", slug="alliance"), TopicFactory(name="Grief", slug="grief")
    org_a, org_b = OrganizerFactory(name="Org A", slug="org-a"), OrganizerFactory(name="Org B", slug="org-b")
    make_event("Alliance workshop", organizer=org_a, topics=[alliance])
    make_event("Grief seminar", organizer=org_b, topics=[grief])
    make_event("Repairing ruptures", organizer=org_b, topics=[alliance], summary="About the alliance.")


@pytest.mark.parametrize(
    "query,expected",
    [
        ("", ["Repairing ruptures", "Grief seminar", "Alliance workshop"]),
        ("organizer=org-b", ["Repairing ruptures", "Grief seminar"]),
        ("topic=alliance", ["Repairing ruptures", "Alliance workshop"]),
        ("q=grief", ["Grief seminar"]),
    ],
)
def test_the_feeds_follow_the_listing_filters(client, by_organizer_and_topic, query, expected):
    assert titles(atom(client, query)) == expected
    assert titles(rss(client, query)) == expected


def test_drafts_private_and_unpublished_events_never_appear(client):
    make_event("Open to all")
    make_event("Draft", publish=False)
    private = make_event("Members only")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    make_event("Withdrawn").unpublish()
    assert titles(atom(client)) == ["Open to all"]
    assert titles(rss(client)) == ["Open to all"]


def test_links_are_absolute_on_the_host_asked(client, three):
    feed = atom(client, "organizer=" + three[0].organizer.slug, HTTP_HOST=HOST)
    entry = only_entry(feed)
    assert entry.find(f"{ATOM}link").get("href") == f"http://{HOST}{three[0].url}"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    query = f"organizer={three[0].organizer.slug}&sort=newest"
    assert links == {"alternate": f"http://{HOST}/events/?{query}", "self": f"http://{HOST}/events/feed/?{query}"}
    assert [item.findtext("link") for item in rss(client, HTTP_HOST=HOST).iter("item")] == [
        f"http://{HOST}{event.url}" for event in reversed(three)
    ]


def test_an_entry_keeps_its_id_when_the_event_is_edited(client):
    event = make_event("Workshop")
    before = only_entry(atom(client))
    edited(event, title="Workshop, renamed", slug="workshop-renamed").save_revision().publish()
    after = only_entry(atom(client))
    assert after.findtext(f"{ATOM}title") == "Workshop, renamed"
    assert after.find(f"{ATOM}link").get("href") == "http://testserver/events/workshop-renamed/"
    assert after.findtext(f"{ATOM}id") == before.findtext(f"{ATOM}id")
    assert after.findtext(f"{ATOM}updated") != before.findtext(f"{ATOM}updated")


def test_the_feed_title_names_the_filters_in_the_language_asked(client, by_organizer_and_topic):
    assert atom(client).findtext(f"{ATOM}title") == "Events"
    assert atom(client, "organizer=org-a").findtext(f"{ATOM}title") == "Events — Org A"
    spanish = atom(client, "organizer=org-a&topic=alliance&q=rupture", HTTP_ACCEPT_LANGUAGE="es")
    assert spanish.findtext(f"{ATOM}title") == "Eventos — Org A, Alliance, «rupture»"
    assert spanish.get("{http://www.w3.org/XML/1998/namespace}lang") == "es"
    assert rss(client, "topic=grief", HTTP_ACCEPT_LANGUAGE="es").findtext("title") == "Eventos — Grief"


@pytest.mark.parametrize("route", ["feed", "rss"])
@pytest.mark.parametrize("query", ["country=XX", "start=not-a-date", "organizer=nobody", "topic=nothing"])
def test_invalid_parameters_answer_400_with_the_reasons(client, three, route, query):
    response = client.get(f"/events/{route}/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("Invalid parameters:")
    assert query.split("=")[0] in response.content.decode()


def test_odd_characters_in_a_search_do_not_break_the_feed(client, three):
    feed = atom(client, "q=work%01shop&past=1")
    assert "\x01" not in feed.findtext(f"{ATOM}title")
    assert "“”" not in atom(client, "q=%01").findtext(f"{ATOM}title")  # (nothing left to name)


def test_a_feed_asked_again_is_served_from_the_cache_until_an_edit(client, settings, three):
    settings.EVENTS_FEED_CACHE_SECONDS = 300
    first = get(client, "/events/feed/")
    with CaptureQueriesContext(connection) as captured:
        second = get(client, "/events/feed/")
    assert not [query for query in captured if "events_eventpage" in query["sql"]]
    assert second.content == first.content
    edited(three[0], title="A: renamed").save_revision().publish()
    assert b"A: renamed" in get(client, "/events/feed/").content


def feed_queries(client, url):
    client.get(url)  # warm what is filled once per process (site root paths)
    with CaptureQueriesContext(connection) as captured:
        get(client, url)
    return len(captured)


def test_the_query_count_does_not_grow_with_the_events(client, settings):
    settings.EVENTS_FEED_CACHE_SECONDS = settings.EVENTS_LISTING_CACHE_SECONDS = 0
    topics = [TopicFactory(name="T1", slug="t1"), TopicFactory(name="T2", slug="t2")]

    def add(n, offset):
        for i in range(n):
            organizer = OrganizerFactory(name=f"Org {i % 4}", slug=f"org-{i % 4}")
            make_event(f"Workshop {offset + i}", organizer=organizer, topics=topics[: 1 + i % 2])

    urls = ["/events/feed/", "/events/rss/", "/events/feed/?topic=t1&q=workshop"]
    add(3, 0)
    few = [feed_queries(client, url) for url in urls]
    add(27, 3)
    assert [feed_queries(client, url) for url in urls] == few
    assert len(titles(atom(client))) == 30


# Where they are offered


def test_the_listing_offers_its_atom_feed(client, three):
    soup = BeautifulSoup(get(client, "/events/?format=online").content, "html.parser")
    alternate = soup.find("link", rel="alternate", type="application/atom+xml")
    assert alternate["href"] == "/events/feed/?format=online"
    assert soup.find("a", string="Atom feed of new events")["href"] == "/events/feed/?format=online"


def follow_links(soup, label):
    """The event page's subscriptions for the organizer or topic called `label`: (webcal, Atom)."""
    (dd,) = [dd for dd in soup.select(".event-facts dd") if dd.a and dd.a.get_text() == label]
    calendar = dd.find("a", string="Follow in your calendar")
    feed = dd.find("a", string="Atom")
    assert calendar["aria-label"] == f"Follow in your calendar: {label}"
    assert feed["aria-label"] == f"Atom feed of new events: {label}"
    return calendar["href"], feed["href"]


def test_an_event_page_offers_its_organizer_and_topics_to_follow(client):
    its = OrganizerFactory(name="Institute of Trauma Studies", slug="its")
    ethics, grief = TopicFactory(name="Ethics", slug="ethics"), TopicFactory(name="Grief", slug="grief")
    event = make_event("Ethics of grief work", organizer=its, topics=[ethics, grief])
    make_event("Another ITS course", organizer=its)
    make_event("Ethics elsewhere", topics=[ethics])
    make_event("Unrelated")
    get(client, event.url)  # the page's fragments now cached for testserver
    soup = BeautifulSoup(get(client, event.url, HTTP_HOST=HOST).content, "html.parser")

    expected = {
        "Institute of Trauma Studies": ("organizer=its", {"Ethics of grief work", "Another ITS course"}),
        "Ethics": ("topic=ethics", {"Ethics of grief work", "Ethics elsewhere"}),
        "Grief": ("topic=grief", {"Ethics of grief work"}),
    }
    for label, (query, events) in expected.items():
        calendar, feed = follow_links(soup, label)
        assert calendar == f"webcal://{HOST}/events/ical/?{query}"
        subscribed = parse_valid_calendar(
            get(client, calendar.removeprefix(f"webcal://{HOST}"), HTTP_HOST=HOST).content
        )
        assert {str(vevent["SUMMARY"]) for vevent in subscribed.walk("VEVENT")} == events
        assert feed == f"/events/feed/?{query}"
        assert set(titles(ElementTree.fromstring(get(client, feed).content))) == events
