"""Each filter and sort of the listing, alone and with a text query, against events whose right
answer is known; the JSON API and the calendar feed give the same answers."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from icalendar import Calendar

from events.listing import KnownChoiceField
from tests.factories import OrganizerFactory, TopicFactory, VenueFactory, delete_all_events, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

A, B, C, D, E = (
    "Alliance basics",
    "Trauma care in practice",
    "Alliance online webinar",
    "Hybrid supervision day",
    "Old alliance symposium",
)


@pytest.fixture(scope="module")
def events(django_db_setup, django_db_blocker):
    """Made once for the module (committed), removed after it: the tests only read."""
    with django_db_blocker.unblock():
        made = make_events()
    yield made
    with django_db_blocker.unblock():
        delete_all_events()


def make_events():
    org_a, org_b = OrganizerFactory(name="Org A", slug="org-a"), OrganizerFactory(name="Org B", slug="org-b")
    alliance, trauma, ethics, supervision = (
        TopicFactory(name=n, slug=n.lower()) for n in ("Alliance", "Trauma", "Ethics", "Supervision")
    )
    london = VenueFactory(city="London", country="GB", time_zone="Europe/London")
    tokyo = VenueFactory(city="Tokyo", country="JP", time_zone="Asia/Tokyo")
    sydney = VenueFactory(city="Sydney", country="AU", time_zone="Australia/Sydney")
    days = lambda n: dt.timedelta(days=n)  # noqa: E731
    made = {
        A: make_event(
            A,
            venue=london,
            starts_in=days(5),
            topics=[alliance],
            language="en",
            organizer=org_a,
            tickets=[("Free", "0")],
        ),
        B: make_event(
            B,
            venue=tokyo,
            starts_in=days(20),
            topics=[trauma],
            language="ja",
            organizer=org_b,
            currency="JPY",
            tickets=[("一般", "15000")],
            ce_hours=6,
        ),
        C: make_event(
            C,
            starts_in=days(10),
            topics=[alliance, ethics],
            organizer=org_a,
            format="online",
            currency="USD",
            tickets=[("Webinar", "30")],
            ce_hours=2,
        ),
        D: make_event(
            D,
            venue=sydney,
            format="hybrid",
            starts_in=days(40),
            topics=[supervision],
            organizer=org_b,
            currency="AUD",
            tickets=[("Online", "0"), ("In person", "100")],
            ce_hours=3,
        ),
        E: make_event(
            E,
            venue=london,
            starts_in=days(-10),
            topics=[alliance],
            organizer=org_a,
            tickets=[("Standard", "100")],
            ce_hours=7,
        ),
    }
    make_event("Secret alliance draft", venue=london, starts_in=days(6), publish=False)
    return made


def titles(client, query):
    response = client.get("/events/?" + query)
    assert response.status_code == 200
    return [event.title for event in response.context["events_page"]]


def local_date(days):
    return (timezone.now() + dt.timedelta(days=days)).date().isoformat()


FILTERS = [
    ("", [A, C, B, D]),
    ("country=GB", [A]),
    ("country=GB&past=1", [E, A]),
    ("city=tokyo", [B]),
    ("format=online", [C, D]),  # a hybrid event can be attended online
    ("format=hybrid", [D]),
    ("format=in_person", [A, B, D]),  # and in person
    ("topic=alliance", [A, C]),
    ("topic=alliance&topic=supervision", [A, C, D]),
    ("language=ja", [B]),
    ("organizer=org-a", [A, C]),
    ("organizer=org-a&past=1", [E, A, C]),
    ("price=free", [A, D]),
    ("price=paid", [C, B, D]),
    ("max_price=50", [A, C, D]),
    ("ce=1", [C, B, D]),
    ("past=1", [E, A, C, B, D]),
    ("sort=newest", [D, C, B, A]),
    ("sort=soonest", [A, C, B, D]),
    ("country=AU&format=hybrid&price=free&ce=1", [D]),
]


@pytest.mark.parametrize("query,expected", FILTERS)
def test_each_filter_keeps_exactly_the_matching_events(client, events, query, expected):
    assert titles(client, query) == expected


def test_date_range_keeps_events_overlapping_it(client, events):
    assert titles(client, f"start={local_date(15)}") == [B, D]
    assert titles(client, f"end={local_date(12)}") == [A, C]
    assert titles(client, f"start={local_date(8)}&end={local_date(12)}") == [C]
    assert titles(client, f"start={local_date(-30)}&end={local_date(-5)}") == [E]


def test_from_a_day_is_that_day_in_the_events_own_time_zone(client, events):
    """An event that ends 30 minutes into the day where the day begins first (UTC+14) is listed
    from that day; one that ends 30 minutes before it where it begins last (UTC-11) is not."""
    day = (timezone.now() + dt.timedelta(days=300)).date()
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    ends_into_the_day = midnight - dt.timedelta(hours=14) + dt.timedelta(minutes=30)
    ends_before_it = midnight + dt.timedelta(hours=11) - dt.timedelta(minutes=30)
    make_event(
        "Kiritimati",
        time_zone="Pacific/Kiritimati",
        sessions=[(ends_into_the_day - dt.timedelta(hours=2), ends_into_the_day)],
    )
    make_event(
        "Pago Pago", time_zone="Pacific/Pago_Pago", sessions=[(ends_before_it - dt.timedelta(hours=2), ends_before_it)]
    )
    assert titles(client, f"start={day.isoformat()}") == ["Kiritimati"]
    assert titles(client, f"start={(day - dt.timedelta(days=1)).isoformat()}") == ["Kiritimati", "Pago Pago"]


@pytest.mark.parametrize(
    "query,expected",
    [
        ("q=alliance", {A, C}),
        ("q=alliance&country=GB", {A}),
        ("q=alliance&past=1", {A, C, E}),
        ("q=alliance&format=online", {C}),
        ("q=supervision&format=online", {D}),
        ("q=alliance&organizer=org-b", set()),
        ("q=alliance&topic=ethics", {C}),
        ("q=alliance&price=free", {A}),
        ("q=alliance&ce=1", {C}),
        ("q=alliance&max_price=10", {A}),
        ("q=trauma&language=ja", {B}),
        ("q=supervision&city=Sydney", {D}),
        ("q=nothing-matches-this", set()),
    ],
)
def test_text_query_combines_with_every_filter(client, events, query, expected):
    assert set(titles(client, query)) == expected


def test_text_query_sorted_by_date_or_relevance(client, events):
    assert titles(client, "q=alliance&past=1&sort=soonest") == [E, A, C]
    assert titles(client, "q=alliance&past=1&sort=newest") == [E, C, A]
    assert titles(client, "q=trauma&sort=relevance")[0] == B


def test_drafts_are_never_listed(client, events):
    assert "Secret alliance draft" not in titles(client, "q=secret&past=1")
    assert "Secret alliance draft" not in titles(client, "past=1")


@pytest.mark.parametrize(
    "query,field",
    [
        ("start=notadate", "start"),
        ("end=2026-13-45", "end"),
        ("country=XX", "country"),
        ("format=teleport", "format"),
        ("topic=no-such-topic", "topic"),
        ("language=xx", "language"),
        ("organizer=nobody", "organizer"),
        ("price=cheap", "price"),
        ("max_price=-3", "max_price"),
        ("max_price=abc", "max_price"),
        ("sort=random", "sort"),
        ("q=" + "x" * 300, "q"),
    ],
)
def test_invalid_parameter_is_reported_on_the_form_and_the_rest_still_applies(client, events, query, field):
    response = client.get(f"/events/?{query}&country=GB" if field != "country" else f"/events/?{query}")
    assert response.status_code == 200
    assert field in response.context["search"].errors
    assert 'role="alert"' in response.content.decode()
    if field != "country":
        assert [e.title for e in response.context["events_page"]] == [A]


@pytest.mark.parametrize("page", ["999", "abc", "-1", "0", "²", "9" * 40])
def test_a_page_that_does_not_exist_answers_404_and_says_so(client, events, page):
    response = client.get(f"/events/?page={page}&country=GB")
    assert response.status_code == 404
    text = response.content.decode()
    assert "There is no page" in text and 'href="?country=GB">Go to the first page' in text


def test_each_missing_page_is_named_in_its_own_message(client, events, settings):
    settings.EVENTS_LISTING_CACHE_SECONDS = 60
    assert "no page “abc”" in client.get("/events/?page=abc").content.decode()
    assert "no page “xyz”" in client.get("/events/?page=xyz").content.decode()


def test_the_first_and_last_pages_exist(client, events, settings):
    settings.EVENTS_PAGE_SIZE = 3
    assert titles(client, "page=1") == [A, C, B]
    assert titles(client, "page=2") == [D]
    assert client.get("/events/?page=3").status_code == 404
    assert client.get("/events/?country=NZ").status_code == 200  # no results: page 1 still exists


@pytest.mark.parametrize("page", ["999", "2"])
def test_the_api_answers_404_with_a_reason_for_a_page_past_the_last(client, events, page):
    response = client.get(f"/api/events/?page={page}&page_size=10")
    assert response.status_code == 404
    assert response.json()["errors"]["page"][0]["message"] == f"There is no page {page} of these results."


def api_titles(client, query):
    response = client.get("/api/events/?" + query)
    assert response.status_code == 200, response.content
    return [result["title"] for result in response.json()["results"]]


@pytest.mark.parametrize("query,expected", FILTERS[:12])
def test_api_answers_like_the_listing(client, events, query, expected):
    assert api_titles(client, query) == expected


def test_api_result_fields_and_pagination(client, events):
    page1 = client.get("/api/events/?page_size=2").json()
    assert page1["count"] == 4 and page1["previous"] is None
    assert [r["title"] for r in page1["results"]] == [A, C]
    result = page1["results"][0]
    for key in (
        "id",
        "title",
        "url",
        "start",
        "end",
        "timezone",
        "format",
        "city",
        "country",
        "price_from",
        "currency",
        "ce_hours",
        "status",
    ):
        assert key in result
    assert result["url"].startswith("http://testserver/events/")
    assert dt.datetime.fromisoformat(result["start"]).utcoffset() is not None
    page2 = client.get(page1["next"]).json()
    assert [r["title"] for r in page2["results"]] == [B, D]
    assert page2["next"] is None and page2["previous"]
    tokyo = next(r for r in api_titles_full(client, "city=Tokyo"))
    assert (tokyo["price_from"], tokyo["currency"], tokyo["country"], tokyo["timezone"]) == (
        "15000.00",
        "JPY",
        "JP",
        "Asia/Tokyo",
    )
    assert tokyo["start"].endswith("+09:00")


def api_titles_full(client, query):
    return client.get("/api/events/?" + query).json()["results"]


@pytest.mark.parametrize(
    "query",
    [
        "country=XX",
        "page_size=0",
        "page_size=1000",
        "page=abc",
        "page=0",
        "page=²",
        "page_size=²",
        "max_price=x",
        "topic=nope",
    ],
)
def test_api_rejects_invalid_parameters_with_400_and_reasons(client, events, query):
    response = client.get("/api/events/?" + query)
    assert response.status_code == 400
    assert json.loads(response.content)["errors"]


def feed_titles(client, query):
    response = client.get("/events/ical/?" + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    return [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]


@pytest.mark.parametrize(
    "query,expected",
    [("", [A, C, B, D]), ("topic=alliance", [A, C]), ("organizer=org-b", [B, D]), ("q=alliance&past=1", [A, C, E])],
)
def test_calendar_feed_follows_the_listing_filters(client, events, query, expected):
    found = feed_titles(client, query)
    assert sorted(found) == sorted(expected) if "q=" in query else found == expected


def test_calendar_feed_rejects_invalid_parameters(client, events):
    assert client.get("/events/ical/?country=XX").status_code == 400


def test_cards_show_place_format_price_and_credits(client, events):
    html = client.get("/events/?past=1").content.decode()
    assert "Tokyo, Japan" in html and "London, United Kingdom" in html
    assert "¥15,000" in html and "Free" in html and "6 CE hours" in html


def test_searches_alive_at_once_each_apply_their_own_filters(events):
    """Each search copies the class's filters shallowly (EventFilterSet.__init__): a filter's method
    must still be its own search's, and the class's filters must stay nobody's."""
    from django.http import QueryDict

    from events.listing import EventFilterSet
    from events.models import ListingEntry

    queries = ["format=online", "format=in_person&price=free", "when=next_month", "topic=cbt&ce=1"]
    alone = {query: set(EventFilterSet(QueryDict(query), ListingEntry.objects.all()).qs) for query in queries}
    together = [EventFilterSet(QueryDict(query), ListingEntry.objects.all()) for query in queries]
    for search in together:
        search.is_valid()  # (every form cleaned before any search filters)
    for query, search in reversed(list(zip(queries, together, strict=True))):
        assert set(search.qs) == alone[query], query
        for filter_ in search.filters.values():
            assert filter_.parent is search
            if filter_.method:
                assert filter_.filter.f is filter_
    assert len({len(rows) for rows in alone.values()}) > 1  # (the searches differ)
    assert not any(hasattr(filter_, "parent") for filter_ in EventFilterSet.base_filters.values())


def test_a_choice_among_many_is_checked_against_their_values_made_once_a_language():
    """Countries and languages: a value is looked up in a set, not checked against every choice,
    each time asking the function that names them in the active language."""
    made = []

    def choices():
        made.append(translation.get_language())
        return [("GB", "United Kingdom"), ("FR", "France")]

    field = KnownChoiceField(choices=choices, required=False)
    with translation.override("en"):
        assert [field.clean(value) for value in ("GB", "FR", "GB", "")] == ["GB", "FR", "GB", ""]
        with pytest.raises(ValidationError):
            field.clean("XX")
        with pytest.raises(ValidationError):
            field.clean("gb")
    with translation.override("fr"):
        assert field.clean("FR") == "FR"
    assert made == ["en", "fr"]


def test_each_search_form_has_fields_of_its_own_sharing_only_their_unchanged_choices():
    """The listing's form is made for every search from one set of fields (EventFilterSet.form_class):
    what one form changes (its choices, a widget's attributes, an error) is never seen by another."""
    from django.http import QueryDict

    from events.listing import EventFilterSet

    def form(query=""):
        return EventFilterSet(QueryDict(query)).form

    first, second = form(), form("when=someday&country=XX")
    assert not second.is_valid() and first.is_bound
    assert "when" in second.errors and "country" in second.errors
    for name in ("when", "country", "format", "topic", "organizer", "sort"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].widget is not second.fields[name].widget
        assert list(first.fields[name].choices) == list(second.fields[name].choices)
    first.fields["when"].choices = [("someday", "Some day")]
    first.fields["format"].widget.attrs["aria-invalid"] = "true"
    third = form("when=someday")
    assert "someday" not in dict(second.fields["when"].choices) and not third.is_valid()
    assert "aria-invalid" not in third.fields["format"].widget.attrs
    with translation.override("es"):
        spanish = str(dict(form().fields["format"].choices)["online"])
    with translation.override("en"):
        english = str(dict(form().fields["format"].choices)["online"])
    assert spanish != english and english.startswith("Online")
