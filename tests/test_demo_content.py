"""The demo seed and the benchmark generator."""

import pytest
from django.core.management import call_command
from django.db.models import Count
from wagtail.models import Page

from events.models import EventPage, EventSession

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_seed_demo_publishes_the_alliance_workshop_and_events_worldwide(client):
    call_command("seed_demo", verbosity=0)
    events = EventPage.objects.live()
    assert events.count() >= 21
    assert len(set(events.values_list("time_zone", flat=True))) >= 8
    assert len(set(events.exclude(country="").values_list("country", flat=True))) >= 6
    assert {"in_person", "online", "hybrid"} <= set(events.values_list("format", flat=True))
    assert events.filter(price_max=0).exists() and events.filter(price_min__gt=0).exists()
    assert events.upcoming().exists() and events.exclude(pk__in=events.upcoming()).exists()
    assert events.values("organizer").distinct().count() >= 3

    workshop = EventPage.objects.get(slug="therapeutic-alliance-workshop")
    assert workshop.ce_hours == 6
    assert sorted(t.price for t in workshop.ticket_types.all()) == [79, 149]
    assert len(workshop.learning_objectives) == 9
    page = client.get(workshop.url)
    assert page.status_code == 200
    assert b"Find ways to honor the alliance, regardless of role or work setting" in page.content
    assert b"Equivalent Outcomes Paradox" in page.content


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo", verbosity=0)
    before = (Page.objects.count(), EventSession.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Page.objects.count(), EventSession.objects.count()) == before


def test_generate_events_builds_a_valid_tree_that_lists_and_searches(client):
    call_command("seed_demo", verbosity=0)
    seeded = EventPage.objects.count()
    call_command("generate_events", count=300, batch=120, verbosity=0)
    assert EventPage.objects.count() == seeded + 300
    index = EventPage.objects.first().get_parent()
    assert index.numchild == index.get_children().count() == seeded + 300
    assert all(not problems for problems in Page.find_problems())  # treebeard: paths, depths, numchild
    assert not EventPage.objects.annotate(n=Count("sessions")).filter(n=0).exists()
    generated = EventPage.objects.filter(title__contains="#").first()
    assert client.get(generated.url).status_code == 200
    response = client.get("/api/events/?past=1&page_size=100&q=" + generated.title.split(":")[0].split()[-1])
    assert response.status_code == 200 and response.json()["count"] > 0


def test_generate_events_refuses_bad_arguments():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No event listing"):
        call_command("generate_events", count=5)
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_events", count=0)
