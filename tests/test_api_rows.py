"""The JSON API writes each event from its listing row alone (views.API_FACTS), never fetching the
pages: what it says must be what the pages say, for every field, on any listing and any Site."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page

from events.models import EventIndexPage, EventPage
from tests.factories import OrganizerFactory, TopicFactory, VenueFactory, event_index, local, make_event

pytestmark = pytest.mark.django_db


def from_page(event, request_host="http://testserver"):
    """The API's event as the page itself says it (what views.event_json wrote from pages before)."""
    event = EventPage.objects.get(pk=event.pk)
    zone, path = event.zone, event.get_url()
    url = None if path is None else (path if path.startswith("http") else request_host + path)
    return {
        "id": event.pk,
        "title": event.title,
        "url": url,
        "summary": event.summary,
        "start": event.start.astimezone(zone).isoformat() if event.start else None,
        "end": event.end.astimezone(zone).isoformat() if event.end else None,
        "timezone": event.time_zone,
        "format": event.format,
        "status": event.status,
        "city": event.city,
        "country": event.country,
        "language": event.language,
        "price_from": str(event.price_min) if event.price_min is not None else None,
        "price_to": str(event.price_max) if event.price_max is not None else None,
        "currency": event.currency,
        "ce_hours": str(event.ce_hours.normalize()) if event.ce_hours else "0",
        "organizer": {"name": event.organizer.name, "slug": event.organizer.slug} if event.organizer_id else None,
        "topics": [topic.slug for topic in event.topics.all()],
        "ical": url and url + "ical/",
        "distance_km": None,
    }


@pytest.fixture
def events():
    # Topics made in an order other than their names' (the API lists them by name, as pages do).
    zeta, alpha, mid = (TopicFactory(name=name, slug=f"t-{name.lower()}") for name in ("Zeta", "Alpha", "Mid"))
    courses = event_index().get_parent().add_child(instance=EventIndexPage(title="Courses", slug="courses"))
    courses.save_revision().publish()
    venue = VenueFactory(time_zone="America/New_York", city="Boston", country="US")
    return [
        make_event("Tagged", topics=[zeta, alpha, mid], venue=venue, ce_hours=Decimal("6.50"),
                   tickets=(("Standard", "120"), ("Student", "60.5")), currency="USD",
                   sessions=[(local("America/New_York", 2030, 3, 7, 9), local("America/New_York", 2030, 3, 8, 17))]),
        make_event("On another listing", parent=courses, organizer=OrganizerFactory(name="Ann & Co <b>", slug="ann-co")),
        make_event("In Spanish", language="es", starts_in=dt.timedelta(days=40)),
    ]  # fmt: skip


def test_each_event_is_what_its_page_says(client, events):
    results = client.get("/api/events/").json()["results"]
    assert {event["id"] for event in results} == {event.pk for event in events}
    for result in results:
        assert result == from_page(EventPage.objects.get(pk=result["id"])), result["title"]
    tagged = next(event for event in results if event["title"] == "Tagged")
    assert tagged["topics"] == ["t-alpha", "t-mid", "t-zeta"] and tagged["ce_hours"] == "6.5"
    assert tagged["start"] == "2030-03-07T09:00:00-05:00" and tagged["price_from"] == "60.50"
    other = next(event for event in results if event["title"] == "On another listing")
    assert other["url"].endswith("/courses/on-another-listing/")


def test_renamed_topics_and_organizers_show_at_once(client, events):
    client.get("/api/events/")  # (what the API keeps of them, kept)
    topic = events[0].topics.get(name="Alpha")
    topic.slug = "renamed"
    topic.save()
    organizer = events[1].organizer
    organizer.slug = "ann-and-co"
    organizer.save()
    results = {event["title"]: event for event in client.get("/api/events/").json()["results"]}
    assert results["Tagged"]["topics"] == ["renamed", "t-mid", "t-zeta"]
    assert results["On another listing"]["organizer"] == {"name": "Ann & Co <b>", "slug": "ann-and-co"}


def test_the_pages_are_not_fetched(client, events):
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get("/api/events/").json()["results"]) == 3
    pages = [
        q["sql"]
        for q in queries
        if 'FROM "events_eventpage"' in q["sql"]
        or 'FROM "wagtailcore_page" ' in q["sql"].split("WHERE")[0]
        and "events_listingentry" not in q["sql"]
    ]
    # (the listings' own pages, for their addresses: one query, whatever the number of events)
    assert len(pages) <= 1, pages


def test_an_event_of_a_listing_outside_every_site_has_no_address(client):
    orphan = Page.get_first_root_node().add_child(instance=EventIndexPage(title="Archive", slug="archive"))
    orphan.save_revision().publish()
    event = make_event("Orphan", parent=orphan)
    (result,) = client.get("/api/events/").json()["results"]
    assert result["id"] == event.pk and result["url"] is None and result["ical"] is None
