"""A feed reuses each event's calendar entry (events/ical.py `feed_calendar`, CalendarEntry): it
says what a calendar made afresh says, is made once per event and language, and is made again
after any change to what it shows, however that change was made."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.ical import events_calendar
from events.models import CalendarEntry, EventPage
from tests.calendar_checks import parse_valid_calendar
from tests.factories import TopicFactory, VenueFactory, edited, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def no_feed_cache(settings):
    """Every feed built anew: what is reused is the entries."""
    settings.EVENTS_FEED_CACHE_SECONDS = settings.EVENTS_LISTING_CACHE_SECONDS = 0


def feed(client, url="/events/ical/", **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200
    return parse_valid_calendar(response.content)


def by_uid(calendar):
    """Each VEVENT's properties but the stamp (when the entry was written), by UID."""
    return {
        str(vevent["UID"]): {name: vevent[name].to_ical() for name in vevent if name != "DTSTAMP"}
        for vevent in calendar.walk("VEVENT")
    }


@pytest.fixture
def events():
    venue = VenueFactory(name="Conway Hall", address="25 Red Lion Square", city="London", country="GB")
    return [
        make_event("In London", venue=venue, topics=[TopicFactory(name="Ethics", slug="ethics")]),
        make_event("Online seminar", starts_in=dt.timedelta(days=9)),
        make_event(
            "Two days in Tokyo",
            time_zone="Asia/Tokyo",
            sessions=[
                (dt.datetime(2031, 3, 1, 9, tzinfo=TOKYO), dt.datetime(2031, 3, 1, 17, tzinfo=TOKYO)),
                (dt.datetime(2031, 3, 2, 9, tzinfo=TOKYO), dt.datetime(2031, 3, 2, 12, tzinfo=TOKYO)),
            ],
            format="hybrid",
            venue=VenueFactory(name="Tokyo Forum", city="Tokyo", country="JP", time_zone="Asia/Tokyo"),
        ),
    ]


def fresh(events, rf):
    """The same events' calendar made afresh, as a single event's calendar is."""
    request = rf.get("/events/ical/")
    return parse_valid_calendar(events_calendar([EventPage.objects.get(pk=event.pk) for event in events], request))


def test_a_feed_says_what_a_calendar_made_afresh_says(client, rf, events):
    calendar = feed(client)
    assert by_uid(calendar) == by_uid(fresh(events, rf))
    assert len(calendar.walk("VEVENT")) == 4
    assert {zone["TZID"] for zone in calendar.walk("VTIMEZONE")} == {"Europe/London", "Asia/Tokyo"}
    # asked again, from the stored entries: the same, stamp included
    assert feed(client).to_ical() == calendar.to_ical()


def test_entries_are_made_once_per_event_and_language_and_then_only_read_without_the_pages(client, events):
    feed(client)
    assert CalendarEntry.objects.filter(language="en").count() == 3
    with CaptureQueriesContext(connection) as captured:
        feed(client)
    assert not [q["sql"] for q in captured if "INSERT" in q["sql"] or "UPDATE" in q["sql"]]
    # found by the listing rows' facts: no page is fetched to serve a kept entry
    assert not [q["sql"] for q in captured if 'FROM "events_eventpage"' in q["sql"]]
    feed(client, HTTP_ACCEPT_LANGUAGE="es")
    assert CalendarEntry.objects.filter(language="es").count() == 3


def location(calendar, title):
    (vevent,) = [v for v in calendar.walk("VEVENT") if str(v["SUMMARY"]) == title]
    return str(vevent["LOCATION"]), vevent


def test_every_kind_of_change_makes_its_entries_again(client, events):
    london, online, tokyo = events
    feed(client)
    # the venue's address and its pin (the event page is not saved; a new pin changes no sequence)
    london.venue.address = "26 Red Lion Square"
    london.venue.save()
    assert "26 Red Lion Square" in location(feed(client), "In London")[0]
    london.venue.latitude, london.venue.longitude = Decimal("51.5194"), Decimal("-0.1196")
    london.venue.save()
    assert location(feed(client), "In London")[1]["GEO"].to_ical() == "51.5194;-0.1196"
    # a topic renamed, an organizer's email changed
    topic = london.topics.get()
    topic.name = "Professional ethics"
    topic.save()
    organizer = london.organizer
    organizer.email = "desk@example.org"
    organizer.save()
    _, vevent = location(feed(client), "In London")
    assert vevent["CATEGORIES"].to_ical() == b"Professional ethics"
    assert "desk@example.org" in str(vevent["ORGANIZER"])
    # a published edit of the page: its title and times
    later = dt.datetime(2031, 4, 1, 18, tzinfo=dt.UTC)
    moved = edited(online, title="Online seminar, moved", sessions={0: (later, later + dt.timedelta(hours=1))})
    moved.save_revision().publish()
    _, vevent = location(feed(client), "Online seminar, moved")
    assert vevent.decoded("DTSTART").astimezone(dt.UTC) == later and vevent["SEQUENCE"] == 1
    # the language asked for: the words the entry translates
    assert location(feed(client, HTTP_ACCEPT_LANGUAGE="es"), "Online seminar, moved")[0] == "En línea"
    assert location(feed(client), "Online seminar, moved")[0] == "Online"


def test_the_address_is_on_the_host_the_feed_was_asked_on(client, events, settings):
    settings.ALLOWED_HOSTS = ["testserver", "calendar.example.org"]
    feed(client)
    calendar = feed(client, HTTP_HOST="calendar.example.org")
    urls = {str(vevent["URL"]) for vevent in calendar.walk("VEVENT")}
    assert urls and all(url.startswith("http://calendar.example.org/events/") for url in urls), urls
    assert all(str(vevent["URL"]) in str(vevent["DESCRIPTION"]) for vevent in calendar.walk("VEVENT"))


def test_an_entry_made_for_an_older_version_is_never_served(client, events):
    """A feed built while an event was edited may keep an entry of the old version: its digest no
    longer matches, so the next feed makes it again rather than serving it."""
    london = events[0]
    feed(client)
    CalendarEntry.objects.filter(page_id=london.pk).update(text="BEGIN:VEVENT\r\nSUMMARY:Kept\r\nEND:VEVENT\r\n")
    assert b"SUMMARY:Kept" in client.get("/events/ical/").content  # (reused while its digest matches)
    london.organizer.name = "Renamed Institute"
    london.organizer.save()
    content = client.get("/events/ical/").content
    assert b"SUMMARY:Kept" not in content and b"Renamed Institute" in content


def test_a_feeds_zone_covers_the_years_of_its_first_and_last_sessions(client):
    """A feed's VTIMEZONE runs from the year before its first session to the year after its last."""
    london = zoneinfo.ZoneInfo("Europe/London")
    for name, year in (("Later", 2034), ("First", 2031), ("Between", 2032)):
        make_event(name, time_zone="Europe/London", start=dt.datetime(year, 7, 1, 9, tzinfo=london))
    (zone,) = feed(client).walk("VTIMEZONE")
    assert transition_years(zone) == {2030, 2031, 2032, 2033, 2034, 2035}


def test_a_feeds_zone_counts_years_in_its_own_time(client):
    """Sessions are read as text in UTC (feed_calendar), and their years are the zone's: 1 January
    2031 in Kiribati is still 31 December 2030 in UTC."""
    kiribati = zoneinfo.ZoneInfo("Pacific/Kiritimati")
    make_event("New Year", time_zone="Pacific/Kiritimati", start=dt.datetime(2031, 1, 1, 5, tzinfo=kiribati))
    (zone,) = feed(client).walk("VTIMEZONE")
    # Kiribati has kept one offset since 1995: one observance, from the year before 2031 there.
    (observance,) = zone.subcomponents
    assert observance.decoded("DTSTART").year == 2030 and observance.decoded("TZOFFSETTO") == dt.timedelta(hours=14)


def transition_years(zone):
    """The years of a VTIMEZONE's observances' starts (DTSTART and RDATE)."""
    years = set()
    for observance in zone.subcomponents:
        years.add(observance.decoded("DTSTART").year)
        rdates = observance.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            years.update(moment.dt.year for moment in rdate.dts)
    return years
