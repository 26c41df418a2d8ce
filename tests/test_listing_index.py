"""Every filter of the listing reads only columns of its start-order index (models.FILTERED), so that
on PostgreSQL a count or a page with any filters reads the index alone, never the wide rows; and the
index is read from the events that may not be over yet: none can have started before now by more
than the longest event lasts (ListingEntryQuerySet.ending_at_or_after)."""

import datetime as dt
import re
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict
from django.utils import timezone

from events import read_model
from events.listing import make_cursor, search_events
from events.models import FILTERED, ListingEntry, Topic
from tests.factories import OrganizerFactory, TopicFactory, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

DAY = dt.timedelta(days=1)
# The columns of the listing's start-order index: its keys, its condition and what it includes.
INDEXED = {"listing_id", "sort_start", "page_id", "end", "public"} | {
    ListingEntry._meta.get_field(name).column for name in FILTERED
}


def listed(client, query=""):
    response = client.get(f"/events/?{query}")
    assert response.status_code == 200
    return [event.title for event in response.context["events_page"]]


def filters():
    """A value for every filter of the listing (but the text and the place: their own indexes)."""
    topic, organizer = TopicFactory(slug="cbt"), OrganizerFactory(slug="institute")
    event = make_event("Any", starts_in=DAY)
    return {
        "start": "2027-01-01",
        "end": "2027-01-31",
        "when": "next_month",
        "country": "US",
        "city": "Boston",
        "format": "online",
        "topic": topic.slug,
        "language": "es",
        "organizer": organizer.slug,
        "price": "paid",
        "max_price": "50",
        "ce": "1",
        "after": make_cursor(
            "soonest", ListingEntry.objects.values("page_id", "sort_start", "first_published_at").get(page=event)
        ),
        "past": "1",
    }


def test_every_filter_reads_only_the_columns_of_the_listings_index():
    values = filters()
    for name, value in [*values.items(), ("price", "free"), ("", "")]:
        search = search_events(QueryDict(urlencode({name: value})), ListingEntry.objects.filter(public=True))
        assert not search.errors, (name, search.errors)
        for queryset in (search.matches, search.results):
            sql = str(queryset.values("page_id").query)  # (what it reads beside the page ids)
            assert set(re.findall(r'(?:FROM|JOIN) "(\w+)"', sql)) == {"events_listingentry"}, (name, sql)
            assert set(re.findall(r'"events_listingentry"\."(\w+)"', sql)) <= INDEXED, (name, sql)


def test_the_filters_together_read_only_the_columns_of_the_listings_index():
    values = filters()
    del values["after"]  # (its order: soonest)
    search = search_events(QueryDict(urlencode(values)), ListingEntry.objects.all())
    assert not search.errors
    assert set(re.findall(r'"events_listingentry"\."(\w+)"', str(search.matches.values("page_id").query))) <= INDEXED


@pytest.mark.parametrize("ids", [(1,), (11,), (1, 11), (2, 12, 112)])
def test_a_topic_filter_finds_exactly_the_events_tagged_with_it(client, ids):
    topics = {pk: Topic.objects.create(pk=pk, name=f"Topic {pk}", slug=f"topic-{pk}") for pk in (1, 2, 11, 12, 112)}
    make_event("Tagged", starts_in=DAY, topics=[topics[pk] for pk in ids])
    make_event("Untagged", starts_in=2 * DAY)
    assert ListingEntry.objects.get(title="Tagged").topic_ids == " " + "".join(f"{pk} " for pk in sorted(ids))
    for pk in topics:
        assert listed(client, f"topic={topics[pk].slug}") == (["Tagged"] if pk in ids else []), pk
    both = "&".join(f"topic={topics[pk].slug}" for pk in (1, 12))
    assert listed(client, both) == (["Tagged"] if {1, 12} & set(ids) else [])


def test_an_events_topic_ids_follow_its_topics_when_published_and_when_a_topic_is_deleted(client):
    grief, loss = TopicFactory(name="Grief", slug="grief"), TopicFactory(name="Loss", slug="loss")
    event = make_event("Seminar", starts_in=DAY, topics=[grief])
    event.topics = [grief, loss]
    event.save_revision().publish()
    assert listed(client, "topic=loss") == ["Seminar"]
    assert ListingEntry.objects.get().topic_ids == read_model.topic_ids([grief.pk, loss.pk])
    grief.delete()
    assert ListingEntry.objects.get().topic_ids == read_model.topic_ids([loss.pk])


@pytest.mark.parametrize("query", ["", "start={today}", "start={today}&end={week}", "format=online"])
def test_an_event_under_way_for_longer_than_any_other_lasts_is_still_listed(client, query):
    now = timezone.now()
    query = query.format(today=now.date().isoformat(), week=(now + 7 * DAY).date().isoformat())
    make_event("Weekend", start=now - 2 * DAY, hours=3 * 24)  # started 2 days ago
    make_event("Evening", starts_in=DAY)
    make_event("Over", start=now - 5 * DAY, hours=2)
    assert listed(client, query) == ["Weekend", "Evening"]
    # A longer one published since: the bound moves with it (the content version changed).
    make_event("Course", start=now - 40 * DAY, hours=60 * 24)
    assert listed(client, query) == ["Course", "Weekend", "Evening"]


@pytest.mark.parametrize("zone", ["Pacific/Pago_Pago", "Pacific/Kiritimati", "UTC"])  # UTC-11, UTC+14
def test_the_first_and_last_days_hold_the_events_of_every_time_zone(client, zone):
    """An event from the first minute of the first day to the last minute of the last, in its zone."""
    first, last = dt.date(2031, 3, 10), dt.date(2031, 3, 12)
    early = dt.datetime.combine(first, dt.time(0, 0), ZoneInfo(zone))
    late = dt.datetime.combine(last, dt.time(23, 59), ZoneInfo(zone))
    make_event("Early", start=early, hours=0.5, time_zone=zone)
    make_event("Late", start=late, hours=0.5, time_zone=zone)
    make_event("Before", start=early - dt.timedelta(minutes=31), hours=0.5, time_zone=zone)
    make_event("After", start=late + dt.timedelta(minutes=1), hours=0.5, time_zone=zone)
    assert listed(client, f"start={first}&end={last}") == ["Early", "Late"]
