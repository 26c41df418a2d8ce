"""What a clinician finds by typing: the flagship first for its own words among look-alikes; title
before topics and summary before the description before the organizer's name; misspelt words
corrected when nothing matches them; word forms ("seminars"); "CE", "CEU" and "continuing
education" find the events that offer CE credits. On SQLite and PostgreSQL alike."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from home.demo import alliance
from tests.factories import OrganizerFactory, TopicFactory, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def found(client, query):
    """Titles the listing shows for `query`, checked against the API's."""
    response = client.get(f"/events/?{query}")
    assert response.status_code == 200
    titles = [event.title for event in response.context["events_page"]]
    api = client.get(f"/api/events/?{query}").json()
    assert [event["title"] for event in api["results"]] == titles
    return titles


@pytest.fixture
def flagship_among_look_alikes():
    call_command("seed_demo", verbosity=0)
    topic = TopicFactory(name="Alliance work", slug="alliance-work")
    for n in range(30):
        make_event(
            f"Therapeutic alliance: Seminar #{n}",
            starts_in=dt.timedelta(days=1 + n),  # all sooner than the flagship
            summary="A therapeutic alliance seminar for clinicians.",
            topics=[topic],
        )


@pytest.mark.parametrize("query", ["q=alliance", "q=therapeutic+alliance", "q=Therapeutic+Alliance"])
def test_the_flagship_comes_first_for_its_own_words(client, flagship_among_look_alikes, query):
    titles = found(client, query)
    assert titles[0] == alliance.TITLE
    assert len(titles) == 20 and all("lliance" in title for title in titles[1:])


@pytest.fixture
def mentalization_events():
    """The word in a different place of each, the later-starting ones the better placed."""
    make_event("Mentalization in practice", starts_in=dt.timedelta(days=40), summary="A day of practice.")
    make_event("Topic tagged", starts_in=dt.timedelta(days=30), topics=[TopicFactory(name="Mentalization")])
    make_event("Summary says", starts_in=dt.timedelta(days=20), summary="Mentalization for beginners.")
    make_event(
        "Objective says",
        starts_in=dt.timedelta(days=10),
        learning_objectives=[("objective", "Use mentalization with adolescents")],
    )
    make_event(
        "Organizer says", starts_in=dt.timedelta(days=5), organizer=OrganizerFactory(name="Mentalization Institute")
    )
    make_event("Nothing to do with it", starts_in=dt.timedelta(days=1))


def test_title_then_topics_and_summary_then_description_then_organizer(client, mentalization_events):
    titles = found(client, "q=mentalization")
    assert titles[0] == "Mentalization in practice"
    assert set(titles[1:3]) == {"Topic tagged", "Summary says"}
    assert titles[3:] == ["Objective says", "Organizer says"]
    # Sorted by date, the same events are found, soonest first.
    assert found(client, "q=mentalization&sort=soonest") == [
        "Organizer says",
        "Objective says",
        "Summary says",
        "Topic tagged",
        "Mentalization in practice",
    ]


def test_every_word_must_be_found(client, mentalization_events):
    assert found(client, "q=mentalization+adolescents") == ["Objective says"]
    assert found(client, "q=mentalization+zebra&exact=1") == []


@pytest.fixture
def grief_and_ce():
    make_event("Grief Seminar", starts_in=dt.timedelta(days=2), summary="Loss and mourning.")
    make_event(
        "Trauma Intensive",
        starts_in=dt.timedelta(days=3),
        summary="Stabilisation first.",
        ce_hours=Decimal(6),
        ce_accreditor="State Board of Social Work",
    )
    make_event("Ethics Forum", starts_in=dt.timedelta(days=4), summary="Boundaries.", ce_hours=Decimal("1.5"))
    make_event("Peer Supervision Circle", starts_in=dt.timedelta(days=5), summary="No credits here.")


def test_word_forms_are_found(client, grief_and_ce):
    assert found(client, "q=grief+seminars") == ["Grief Seminar"]
    assert found(client, "q=intensives") == ["Trauma Intensive"]


@pytest.mark.parametrize("query", ["CE", "CEU", "ceu", "CME", "continuing education", "CE credits", "CE hours"])
def test_ce_words_find_the_events_that_offer_ce_credits(client, grief_and_ce, query):
    assert found(client, f"q={query}") == ["Trauma Intensive", "Ethics Forum"]


def test_the_accrediting_body_is_searched(client, grief_and_ce):
    assert found(client, "q=social+work+board") == ["Trauma Intensive"]


@pytest.mark.parametrize(
    ("typed", "meant", "first"),
    [
        ("aliance", "alliance", alliance.TITLE),
        ("therapeutc alliance", "therapeutic alliance", alliance.TITLE),
        ("Therapeutc Aliance", "therapeutic alliance", alliance.TITLE),
    ],
)
def test_a_misspelt_search_shows_what_was_meant_and_says_so(client, typed, meant, first):
    call_command("seed_demo", verbosity=0)
    response = client.get("/events/", {"q": typed})
    titles = [event.title for event in response.context["events_page"]]
    assert titles[0] == first
    html = response.content.decode()
    assert f"Showing results for <strong>{meant}</strong>" in html
    exact = response.context["search"].exact_query_string
    assert f'href="?{exact.replace("&", "&amp;")}"' in html and "exact=1" in exact
    # The words as typed, asked for: nothing, and no correction.
    response = client.get(f"/events/?{exact}")
    assert response.context["events_page"].paginator.count == 0 and "Showing results for" not in response.text
    api = client.get("/api/events/", {"q": typed}).json()
    assert api["corrected_query"] == meant and api["results"][0]["title"] == first
    assert client.get("/api/events/", {"q": meant}).json()["corrected_query"] is None


def test_a_search_that_finds_something_is_not_corrected(client, grief_and_ce):
    with CaptureQueriesContext(connection) as captured:
        titles = found(client, "q=grief")
    assert titles == ["Grief Seminar"]
    assert not [q for q in captured if "events_searchterm" in q["sql"]]


def test_no_correction_when_no_word_is_near_one_the_events_use(client, grief_and_ce):
    response = client.get("/events/?q=xylophone")
    assert response.context["events_page"].paginator.count == 0
    assert response.context["correction"] is None
    assert "No events match" in response.text


def test_a_correction_keeps_the_filters(client, grief_and_ce):
    assert found(client, "q=greif&ce=on") == []  # "grief" has no CE event: nothing, and no correction shown
    assert found(client, "q=intensiv&ce=on") == ["Trauma Intensive"]


@pytest.mark.parametrize("query", ["%F0%9F%98%80", "%22%22", "--+%2A"])
def test_a_query_without_words_lists_everything_soonest_first(client, grief_and_ce, query):
    assert found(client, f"q={query}") == [
        "Grief Seminar",
        "Trauma Intensive",
        "Ethics Forum",
        "Peer Supervision Circle",
    ]
