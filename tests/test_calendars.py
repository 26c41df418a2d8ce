"""Every calendar we emit is valid, and times survive daylight-saving changes."""

import datetime as dt
import json
import re
import zoneinfo

import pytest
from bs4 import BeautifulSoup

from tests.calendar_checks import parse_valid_calendar
from tests.factories import TopicFactory, VenueFactory, edited, local, make_event

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def dst_event():
    """28 March 2027 is the last Sunday of March: London moves from GMT to BST at 01:00."""
    venue = VenueFactory(
        name="Wellcome Hall", city="London", country="GB", time_zone="Europe/London", latitude=51.5, longitude=-0.13
    )
    return make_event(
        "Spring forward workshop",
        venue=venue,
        sessions=[
            (local("Europe/London", 2027, 3, 27, 10), local("Europe/London", 2027, 3, 27, 16)),
            (local("Europe/London", 2027, 3, 28, 10), local("Europe/London", 2027, 3, 28, 16)),
        ],
        tickets=[("Standard", "120"), ("Student", "60")],
        currency="GBP",
        topics=[TopicFactory(name="Ethics")],
        ce_hours=12,
    )


def test_event_calendar_is_valid_with_one_event_per_session(client, dst_event):
    response = client.get(dst_event.url + "ical/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = parse_valid_calendar(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    assert len({str(e["UID"]) for e in events}) == 2
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert all(e["DTSTART"].params["TZID"] == "Europe/London" for e in events)
    assert "Wellcome Hall" in str(events[0]["LOCATION"])


def test_dst_times_are_right_in_the_calendar(client, dst_event):
    calendar = parse_valid_calendar(client.get(dst_event.url + "ical/").content)
    saturday, sunday = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("DTSTART"))
    assert saturday.decoded("DTSTART").astimezone(dt.UTC) == dt.datetime(2027, 3, 27, 10, tzinfo=dt.UTC)  # GMT
    assert sunday.decoded("DTSTART").astimezone(dt.UTC) == dt.datetime(2027, 3, 28, 9, tzinfo=dt.UTC)  # BST
    assert b"DTSTART;TZID=Europe/London:20270328T100000" in client.get(dst_event.url + "ical/").content
    names = {sub["TZNAME"] for tz in calendar.walk("VTIMEZONE") for sub in tz.subcomponents}
    assert {"GMT", "BST"} <= names


def test_dst_times_are_right_in_the_api(client, dst_event):
    result = client.get("/api/events/?past=1").json()["results"][0]
    assert result["start"] == "2027-03-27T10:00:00+00:00"
    assert result["end"] == "2027-03-28T16:00:00+01:00"
    assert result["timezone"] == "Europe/London"


def test_dst_times_are_right_on_the_page(client, dst_event):
    html = client.get(dst_event.url).content.decode()
    soup = BeautifulSoup(html, "html.parser")
    sessions = soup.select(".sessions li")
    assert len(sessions) == 2
    saturday, sunday = (" ".join(li.get_text(" ").split()) for li in sessions)
    assert "March 27, 2027" in saturday and "10 a.m." in saturday and "GMT" in saturday
    assert "March 28, 2027" in sunday and "10 a.m." in sunday and "4 p.m." in sunday and "BST" in sunday
    viewer = sessions[1].select_one("[data-viewer-time]")
    assert viewer["data-start"] == "2027-03-28T10:00:00+01:00" and viewer["data-event-zone"] == "Europe/London"


def json_ld(html):
    soup = BeautifulSoup(html, "html.parser")
    scripts = soup.find_all("script", type="application/ld+json")
    assert len(scripts) == 1
    return json.loads(scripts[0].string)


def test_event_page_carries_schema_org_event(client, dst_event):
    data = json_ld(client.get(dst_event.url).content.decode())
    assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
    assert data["name"] == "Spring forward workshop"
    assert data["startDate"] == "2027-03-27T10:00:00+00:00" and data["endDate"] == "2027-03-28T16:00:00+01:00"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["location"]["@type"] == "Place" and data["location"]["address"]["addressCountry"] == "GB"
    assert [(o["price"], o["priceCurrency"]) for o in data["offers"]] == [("120.00", "GBP"), ("60.00", "GBP")]
    assert data["organizer"]["name"] == dst_event.organizer.name


def test_json_ld_of_online_and_cancelled_events(client):
    event = make_event("Webinar </script><script>alert(1)</script>", format="online", status="cancelled")
    html = client.get(event.url).content.decode()
    assert "<script>alert(1)</script>" not in html
    data = json_ld(html)
    assert data["name"] == "Webinar </script><script>alert(1)</script>"
    assert data["eventStatus"] == "https://schema.org/EventCancelled"
    assert data["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert data["location"]["@type"] == "VirtualLocation"


def test_a_multi_session_event_gets_web_calendar_links_per_session(client, dst_event):
    """A two-day course is two entries in Google and Outlook, never one block across the night."""
    soup = BeautifulSoup(client.get(dst_event.url).content, "html.parser")
    google = [a["href"] for a in soup.find_all("a", string="Google")]
    outlook = [a["href"] for a in soup.find_all("a", string="Outlook")]
    assert len(google) == len(outlook) == 2
    assert all(url.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE") for url in google)
    assert "dates=20270327T100000Z%2F20270327T160000Z" in google[0] and "ctz=Europe%2FLondon" in google[0]
    assert "dates=20270328T090000Z%2F20270328T150000Z" in google[1]  # BST
    assert all(url.startswith("https://outlook.live.com/calendar/0/action/compose?") for url in outlook)
    assert "startdt=2027-03-27T10%3A00%3A00%2B00%3A00" in outlook[0] and "enddt=2027-03-27T16" in outlook[0]
    assert "startdt=2027-03-28T09%3A00%3A00%2B00%3A00" in outlook[1]
    assert [a["aria-label"] for a in soup.find_all("a", string="Google")] == [
        "Google Calendar, March 27, 2027",
        "Google Calendar, March 28, 2027",
    ]
    assert soup.find("a", attrs={"download": True})["href"] == dst_event.url + "ical/"


def test_each_web_calendar_link_carries_its_session_title_and_the_event_description_and_place(client, dst_event):
    """What every session's links share (description, place, zone) is encoded once: each link still
    says all of it, with its own session's title."""
    from urllib.parse import parse_qs, urlsplit

    session = dst_event.ordered_sessions[1]
    session.title = "Day 2 & wrap-up"
    session.save()
    dst_event.format = "hybrid"
    dst_event.save()
    soup = BeautifulSoup(client.get(dst_event.url).content, "html.parser")
    google = [parse_qs(urlsplit(a["href"]).query) for a in soup.find_all("a", string="Google")]
    outlook = [parse_qs(urlsplit(a["href"]).query) for a in soup.find_all("a", string="Outlook")]
    description = f"{dst_event.summary}\n\nhttp://testserver{dst_event.url}"
    place = "Wellcome Hall"
    assert [link["text"] for link in google] == [
        ["Spring forward workshop"],
        ["Spring forward workshop: Day 2 & wrap-up"],
    ]
    assert [link["subject"] for link in outlook] == [link["text"] for link in google]
    for link in google:
        assert link["details"] == [description] and link["ctz"] == ["Europe/London"]
        assert link["location"][0].startswith(place) and link["location"][0].endswith("(and online)")
    for link in outlook:
        assert link["body"] == [description] and link["path"] == ["/calendar/action/compose"]
        assert link["location"] == google[0]["location"]


def test_a_one_session_event_gets_one_pair_of_web_calendar_links(client):
    event = make_event("Evening talk", start=dt.datetime(2031, 5, 1, 18, tzinfo=dt.UTC), hours=2)
    soup = BeautifulSoup(client.get(event.url).content, "html.parser")
    (google,) = [a["href"] for a in soup.find_all("a", string="Google")]
    assert "dates=20310501T180000Z%2F20310501T200000Z" in google
    assert len(soup.find_all("a", string="Outlook")) == 1


def test_listing_feed_is_valid_across_many_zones(client):
    for zone in ("Asia/Tokyo", "America/Los_Angeles", "Australia/Sydney", "Pacific/Auckland"):
        make_event(f"Event in {zone}", time_zone=zone, start=dt.datetime(2031, 6, 1, 9, tzinfo=zoneinfo.ZoneInfo(zone)))
    calendar = parse_valid_calendar(client.get("/events/ical/").content)
    assert {tz["TZID"] for tz in calendar.walk("VTIMEZONE")} == {
        "Asia/Tokyo",
        "America/Los_Angeles",
        "Australia/Sydney",
        "Pacific/Auckland",
    }
    assert len(calendar.walk("VEVENT")) == 4


def test_events_after_2038_still_get_their_zone_rules(client):
    event = make_event("Far future", time_zone="Europe/London", start=dt.datetime(2045, 7, 1, 9, tzinfo=LONDON))
    calendar = parse_valid_calendar(client.get(event.url + "ical/").content)
    transitions = [sub.decoded("DTSTART") for tz in calendar.walk("VTIMEZONE") for sub in tz.subcomponents]
    assert any(t.year == 2045 for t in transitions)


def test_calendar_text_is_escaped(client):
    event = make_event("Commas, semicolons; and\nnewlines", summary="Line one\nLine two; with, punctuation")
    data = client.get(event.url + "ical/").content
    vevent = parse_valid_calendar(data).walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == "Commas, semicolons; and\nnewlines"
    assert re.search(rb"SUMMARY:Commas\\, semicolons\\; and\\nnewlines", data)


def publish(event, **changes):
    edited(event, **changes).save_revision().publish()


def vevents(client, event, url=None):
    return parse_valid_calendar(client.get(url or event.url + "ical/").content).walk("VEVENT")


def test_public_calendars_raise_sequence_when_time_place_or_status_change(client, settings):
    settings.EVENTS_FEED_CACHE_SECONDS = 0
    event = make_event("Moving talk", start=dt.datetime(2031, 5, 1, 18, tzinfo=dt.UTC), hours=2)
    (vevent,) = vevents(client, event)
    assert vevent["SEQUENCE"] == 0 and "LAST-MODIFIED" in vevent and "DTSTAMP" in vevent

    publish(event, summary="Only the summary changed.")
    assert vevents(client, event)[0]["SEQUENCE"] == 0  # nothing a calendar shows changed

    later = dt.datetime(2031, 5, 2, 18, tzinfo=dt.UTC)
    publish(event, sessions={0: (later, later + dt.timedelta(hours=2))})
    (vevent,) = vevents(client, event)
    assert vevent["SEQUENCE"] == 1
    assert vevent.decoded("DTSTART").astimezone(dt.UTC) == later
    publish(event)  # published again unchanged: the same sequence
    assert vevents(client, event)[0]["SEQUENCE"] == 1

    publish(event, format="in_person", venue=VenueFactory(name="Conway Hall"))
    assert vevents(client, event)[0]["SEQUENCE"] == 2
    publish(event, status="postponed")
    (vevent,) = vevents(client, event)
    assert vevent["SEQUENCE"] == 3 and vevent["STATUS"] == "TENTATIVE"
    # The listing's feed carries the same UIDs, so it says the same sequence.
    (in_feed,) = [e for e in vevents(client, event, "/events/ical/") if e["UID"] == vevent["UID"]]
    assert in_feed["SEQUENCE"] == 3


def test_a_venue_edit_raises_the_sequence_of_its_events_calendars(client, settings):
    settings.EVENTS_FEED_CACHE_SECONDS = 0
    venue = VenueFactory(name="Wellcome Hall")
    event = make_event("At the hall", venue=venue, start=dt.datetime(2031, 5, 1, 18, tzinfo=dt.UTC))
    venue.address = "215 Euston Road"
    venue.save()
    (vevent,) = vevents(client, event)
    assert vevent["SEQUENCE"] == 1 and "215 Euston Road" in str(vevent["LOCATION"])


def test_an_event_published_before_sequences_were_kept_gets_a_new_one_on_its_next_publish(client):
    from events.models import EventPage

    event = make_event("Older", start=dt.datetime(2031, 5, 1, 18, tzinfo=dt.UTC))
    EventPage.objects.filter(pk=event.pk).update(calendar_fingerprint="")  # as the migration leaves it
    later = dt.datetime(2031, 5, 8, 18, tzinfo=dt.UTC)
    publish(event, sessions={0: (later, later + dt.timedelta(hours=3))})
    assert vevents(client, event)[0]["SEQUENCE"] == 1


def test_publishing_an_older_draft_never_lowers_the_calendar_sequence(client, settings):
    """A revision holds a copy of the event's SEQUENCE from when it was saved; publishing it later
    must not take the public calendars back to that number (they would ignore the change)."""
    from wagtail.models import Revision

    settings.EVENTS_FEED_CACHE_SECONDS = 0
    event = make_event("Drafted long ago", start=dt.datetime(2031, 5, 1, 18, tzinfo=dt.UTC), hours=2)
    old_draft = event.get_latest_revision_as_object().save_revision().pk  # its copy says SEQUENCE 0
    later = dt.datetime(2031, 5, 2, 18, tzinfo=dt.UTC)
    publish(event, sessions={0: (later, later + dt.timedelta(hours=2))})
    assert vevents(client, event)[0]["SEQUENCE"] == 1

    Revision.objects.get(pk=old_draft).publish()  # back to 1 May: a change calendars must see
    (vevent,) = vevents(client, event)
    assert vevent["SEQUENCE"] == 2
    assert vevent.decoded("DTSTART").astimezone(dt.UTC) == dt.datetime(2031, 5, 1, 18, tzinfo=dt.UTC)
