"""Listing rows of events long over are marked `ended` (ListingEntry.ended): when written, and by
`manage.py mark_ended_events`. The search of upcoming events then reads the search indexes of the
rest alone (PostgreSQL). The mark is a hint only: it never changes what any listing, search, the
API or a feed shows."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from events import read_model
from events.models import ListingEntry
from tests.factories import edited, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def ended(event):
    return ListingEntry.objects.get(page_id=event.pk).ended


def test_an_event_is_marked_when_written_long_over_or_by_the_daily_run():
    long_over = make_event("Long over", start=timezone.now() - dt.timedelta(days=10))
    just_over = make_event("Just over", start=timezone.now() - dt.timedelta(days=2))
    coming = make_event("Coming", starts_in=dt.timedelta(days=1))
    assert [ended(long_over), ended(just_over), ended(coming)] == [True, False, False]

    out = io.StringIO()
    call_command("mark_ended_events", stdout=out)
    assert "0 events marked" in out.getvalue()  # (two days over: on some zone's "today" still)
    assert read_model.mark_ended(now=timezone.now() + dt.timedelta(days=2)) == 1  # two days on
    assert [ended(long_over), ended(just_over), ended(coming)] == [True, True, False]
    assert read_model.mark_ended(now=timezone.now() + dt.timedelta(days=2)) == 0


def test_an_ended_event_moved_to_coming_dates_is_unmarked_and_listed(client):
    event = make_event("Rescheduled", start=timezone.now() - dt.timedelta(days=10))
    assert ended(event)
    start = timezone.now() + dt.timedelta(days=5)
    edited(event, sessions={0: (start, start + dt.timedelta(hours=2))}).save_revision().publish()
    assert not ended(event)
    assert [e["title"] for e in client.get("/api/events/?q=rescheduled").json()["results"]] == ["Rescheduled"]


# What each query must show: checked before and after the marks, which must change nothing.
QUERIES = [
    "",
    "q=seminar",
    "past=1",
    "past=1&q=seminar",
    "when=today",
    "when=this_month&q=seminar",
    "start={fifteen_days_ago}",  # the day the long-over seminar began: it ended after it
    "start={fifteen_days_ago}&q=seminar",
    "sort=newest&q=seminar",
]


def shown(client, query):
    page = [event.title for event in client.get(f"/events/?{query}").context["events_page"]]
    api = [event["title"] for event in client.get(f"/api/events/?{query}").json()["results"]]
    feed = client.get(f"/events/ical/?{query}").content.decode()
    return page, api, sorted(line for line in feed.splitlines() if line.startswith("SUMMARY"))


def test_the_marks_never_change_what_listings_searches_the_api_or_feeds_show(client):
    now = timezone.now()
    make_event("Seminar long over", start=now - dt.timedelta(days=15), hours=24 * 5)  # ended 10 days ago
    make_event("Seminar over four days", start=now - dt.timedelta(days=4, hours=2))
    make_event("Seminar today", start=now - dt.timedelta(hours=1), hours=3)
    make_event("Seminar next week", starts_in=dt.timedelta(days=7))
    make_event("Workshop next week", starts_in=dt.timedelta(days=7))
    ListingEntry.objects.update(ended=False)  # as rows written before the marks were
    queries = [query.format(fifteen_days_ago=(now - dt.timedelta(days=15)).date()) for query in QUERIES]
    before = {query: shown(client, query) for query in queries}
    assert "Seminar long over" in before[queries[3]][0]  # (the past ones are among what is compared)
    assert "Seminar long over" in before[queries[7]][0]

    assert read_model.mark_ended() == 2
    assert {query: shown(client, query) for query in queries} == before
