"""What the listing's search puts first, and what its form says about it: events titled with the
words first (not those whose organizer's name holds them), the same on SQLite and PostgreSQL; the
form shows the order actually used."""

import datetime as dt
import re

import pytest

from tests.factories import OrganizerFactory, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def alliance_events():
    institute = OrganizerFactory(name="Alliance Institute", slug="alliance-institute")
    for n in range(6):
        make_event(
            f"Grief in practice {n}",
            organizer=institute,
            starts_in=dt.timedelta(days=n + 1),
            summary="A day on grief and loss.",
        )
    make_event("The therapeutic alliance: ruptures and repair", starts_in=dt.timedelta(days=30), summary="Repair.")


def titles(client, query):
    response = client.get("/events/?" + query)
    assert response.status_code == 200
    return [event.title for event in response.context["events_page"]]


def test_a_title_match_comes_before_matches_on_the_organizers_name(client, alliance_events):
    found = titles(client, "q=alliance")
    assert found[0] == "The therapeutic alliance: ruptures and repair"
    assert found[1:] == [f"Grief in practice {n}" for n in range(6)]  # then soonest first
    api = client.get("/api/events/?q=alliance").json()["results"]
    assert api[0]["title"] == "The therapeutic alliance: ruptures and repair"


def test_more_words_in_the_title_rank_higher(client, alliance_events):
    make_event("Alliance and grief", starts_in=dt.timedelta(days=40))
    assert titles(client, "q=grief+alliance")[0] == "Alliance and grief"


def test_sorting_by_date_still_applies_with_a_query(client, alliance_events):
    assert titles(client, "q=alliance&sort=soonest")[0] == "Grief in practice 0"


def selected_sort(html):
    select = re.search(r'<select[^>]*name="sort"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="(\w+)" selected>', select)


def test_the_form_shows_the_order_actually_used(client, alliance_events):
    assert selected_sort(client.get("/events/?q=alliance").content.decode()) == ["relevance"]
    assert selected_sort(client.get("/events/").content.decode()) == ["soonest"]
    assert selected_sort(client.get("/events/?q=alliance&sort=newest").content.decode()) == ["newest"]


def test_each_page_of_a_ranked_search_holds_what_ranking_all_matches_gives(client, settings, alliance_events):
    """A page of a search by relevance is ranked by the ids alone, then read whole (PageEvents.rows):
    each page holds exactly the rows, in the order, of ranking every match with all its facts."""
    from django.http import QueryDict

    from events.listing import CARD_FACTS, search_events
    from events.models import ListingEntry

    settings.EVENTS_PAGE_SIZE = 3
    make_event("Alliance and grief", starts_in=dt.timedelta(days=40), summary="Alliance, grief.")
    make_event("Grief", starts_in=dt.timedelta(days=2), summary="On the alliance in grief work.")
    for query in ("alliance", "grief", "grief alliance"):
        search = search_events(QueryDict(f"q={query}"), ListingEntry.objects.filter(public=True))
        everything = list(search.results.values(*CARD_FACTS))
        assert len(everything) > 3
        shown = []
        for number in range(1, -(-len(everything) // 3) + 1):  # (every page, the last one partly full)
            response = client.get(f"/events/?q={query}&page={number}")
            assert response.status_code == 200
            rows = response.context["events_page"].object_list.rows
            assert rows == everything[(number - 1) * 3 : number * 3], (query, number)
            shown += rows
        assert shown == everything
