"""Autocomplete (`/api/events/suggest/`): a word begun finds the topics, organizers, cities and the
titles of public upcoming events that hold it, without case or accents; never a draft, a private,
an unpublished or a past event; odd input is refused with a reason; the same number of queries
whatever the number of events. On SQLite and PostgreSQL alike."""

import datetime as dt

import pytest
from wagtail.models import PageViewRestriction

from events.models import EventPage
from tests.factories import OrganizerFactory, TopicFactory, VenueFactory, edited, event_index, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def suggest(client, query, **headers):
    response = client.get("/api/events/suggest/", {"q": query}, **headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["query"] == query.strip()
    return body["suggestions"]


def labels(client, query, kind="event", **headers):
    return [s["label"] for s in suggest(client, query, **headers) if s["kind"] == kind]


def test_a_word_begun_anywhere_in_a_title_suggests_the_event(client):
    event = make_event("Therapeutic alliance in practice")
    make_event("Grief seminar")
    assert suggest(client, "alli") == [{"kind": "event", "label": event.title, "url": event.url}]
    assert labels(client, "therapeutic all") == [event.title]
    assert labels(client, "alliance grief") == []


def test_an_event_of_another_listing_leads_to_its_own_address(client):
    from events.models import EventIndexPage
    from tests.factories import ensure_home

    first = make_event("Alliance basics")
    courses = ensure_home().add_child(instance=EventIndexPage(title="Courses", slug="courses"))
    courses.save_revision().publish()
    other = make_event("Alliance course", parent=courses)
    urls = {s["label"]: s["url"] for s in suggest(client, "alli")}
    assert urls == {"Alliance basics": first.url, "Alliance course": other.url}
    assert other.url.startswith("/courses/") and client.get(other.url).status_code == 200


def test_topics_organizers_and_cities_lead_to_the_filtered_listing_before_event_titles(client):
    make_event("Trauma and the body", venue=VenueFactory(city="Trautenau"))
    TopicFactory(name="Trauma-informed care", slug="trauma-informed-care")
    OrganizerFactory(name="Institute of Trauma Studies", slug="its")
    listing = event_index().url
    assert suggest(client, "trau") == [
        {"kind": "topic", "label": "Trauma-informed care", "url": f"{listing}?topic=trauma-informed-care"},
        {"kind": "organizer", "label": "Institute of Trauma Studies", "url": f"{listing}?organizer=its"},
        {"kind": "city", "label": "Trautenau", "url": f"{listing}?city=Trautenau"},
        {"kind": "event", "label": "Trauma and the body", "url": EventPage.objects.get().url},
    ]
    assert client.get(f"{listing}?city=Trautenau").context["events_page"].paginator.count == 1


@pytest.mark.parametrize("query", ["THERAP", "thérap", "Therap", "groupe"])
def test_case_and_accents_do_not_matter(client, query):
    make_event("Thérapie de groupe")
    make_event("Therapy dogs")
    TopicFactory(name="Thérapie familiale", slug="therapie-familiale")
    expected = ["Thérapie de groupe"] if query == "groupe" else ["Thérapie de groupe", "Therapy dogs"]
    assert sorted(labels(client, query)) == sorted(expected)
    assert labels(client, query, kind="topic") == ([] if query == "groupe" else ["Thérapie familiale"])


def test_the_soonest_come_first_and_those_in_the_visitors_language_before_them(client):
    make_event("Supervision later", starts_in=dt.timedelta(days=20))
    make_event("Supervision sooner", starts_in=dt.timedelta(days=2))
    make_event("Supervisión en español", starts_in=dt.timedelta(days=30), language="es")
    assert labels(client, "super") == ["Supervision sooner", "Supervision later", "Supervisión en español"]
    assert labels(client, "super", HTTP_ACCEPT_LANGUAGE="es")[0] == "Supervisión en español"


def test_titles_of_different_completions_come_in_one_order_soonest_first(client):
    """One query reads the soonest events of every completion of the word typed ("super" ->
    superb, superior, supersonic, supervision); the titles then come in one order, soonest first."""
    make_event("Superior course", starts_in=dt.timedelta(days=9))
    make_event("Supervision basics", starts_in=dt.timedelta(days=3))
    make_event("Superb day", starts_in=dt.timedelta(days=6))
    for n in range(5):
        make_event(f"Supersonic {n}", starts_in=dt.timedelta(days=10 + n))
    assert labels(client, "super") == [
        "Supervision basics",
        "Superb day",
        "Superior course",
        *[f"Supersonic {n}" for n in range(5)],
    ]
    assert labels(client, "superio") == ["Superior course"]
    assert labels(client, "superb superv") == []


def test_the_address_of_an_event_with_a_unicode_slug_is_its_page_address(client):
    event = make_event("Thérapie brève", slug="thérapie-brève")
    assert suggest(client, "brève") == [{"kind": "event", "label": event.title, "url": event.url}]


def test_at_most_eight_suggestions(client):
    for n in range(12):
        make_event(f"Mentalization {n}", starts_in=dt.timedelta(days=1 + n))
    TopicFactory(name="Mentalization", slug="mentalization")
    found = suggest(client, "ment")
    assert len(found) == 8
    assert found[0]["kind"] == "topic"
    assert [s["label"] for s in found[1:]] == [f"Mentalization {n}" for n in range(7)]


def test_drafts_private_unpublished_and_past_events_are_never_suggested(client):
    make_event("Zebrafish draft", publish=False)
    private = make_event("Zebrafish private")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    gone = make_event("Zebrafish unpublished")
    EventPage.objects.get(pk=gone.pk).unpublish()
    make_event("Zebrafish past", starts_in=dt.timedelta(days=-3))
    make_event("Zebrafish upcoming")
    assert labels(client, "zebra") == ["Zebrafish upcoming"]


def test_a_retitled_event_is_found_by_its_new_words_only(client):
    event = make_event("Old name workshop")
    edited(event, title="Brand new workshop").save_revision().publish()
    assert labels(client, "old") == []
    assert labels(client, "brand") == ["Brand new workshop"]


@pytest.mark.parametrize("query", ["", "a", " b ", "😀", "--", "%_"])
def test_fewer_than_two_characters_or_no_word_suggest_nothing(client, query):
    make_event("A workshop")
    assert suggest(client, query) == []


@pytest.mark.parametrize("query", ["x" * 101, "ab\x00", "ab\ncd", "tab\there"])
def test_long_or_control_character_queries_are_refused_with_a_reason(client, query):
    response = client.get("/api/events/suggest/", {"q": query})
    assert response.status_code == 400
    assert response.json()["errors"]["q"][0]["code"] == "invalid"


def test_only_get(client):
    assert client.post("/api/events/suggest/?q=work").status_code == 405


def test_a_burst_from_one_address_is_refused(client, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMITS = {"suggest": "3/h"}  # (an hour: a minute's window could end mid-test)
    make_event("Workshop")
    assert [client.get("/api/events/suggest/?q=wor").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client.get("/api/events/suggest/?q=w").status_code == 200  # too short to be looked up


def add_events(n):
    for i in range(n):
        make_event(
            f"Workshop on practice {i}",
            starts_in=dt.timedelta(days=1 + i),
            topics=[TopicFactory(name=f"Work topic {i % 5}", slug=f"work-topic-{i % 5}")],
            organizer=OrganizerFactory(name=f"Workers {i % 4}", slug=f"workers-{i % 4}"),
            venue=VenueFactory(city=f"Worcester {i % 3}") if i % 2 else None,
        )


@pytest.mark.parametrize("count", [3, 30])
def test_the_number_of_queries_does_not_grow_with_the_events(client, django_assert_num_queries, count):
    add_events(count)
    suggest(client, "work")  # warms what is kept in memory (the names, the listing's address)
    # The words; the titles.
    with django_assert_num_queries(2):
        found = suggest(client, "wor")
    assert {"topic", "event"} <= {s["kind"] for s in found}
