"""Sold out and nearly so, as a visitor sees it: the register page says sold out and offers the
waitlist instead of a form; "Only N seats left" when few remain; the listing's cards carry a
"Sold out" badge, from a flag the seat operations keep (no query per card), shown at once in
cached listings."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Revision

from events.models import EventPage
from registrations.models import Registration
from registrations.services import cancellation
from tests.factories import make_event
from tests.registration_helpers import register

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def is_flagged(event):
    return EventPage.objects.get(pk=event.pk).sold_out


def card(html, title):
    return html.split(f">{title}</a>")[1].split("</article>")[0]


def test_a_sold_out_register_page_shows_the_waitlist_not_the_form(client, django_capture_on_commit_callbacks):
    event = make_event("Full forum", tickets=[("Standard", "0"), ("Student", "0")], capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert register(client, event).status_code == 302
    for response in (client.get(f"/events/{event.slug}/register/"), register(client, event)):
        html = response.content.decode()
        assert response.status_code == 200
        assert "This event is sold out" in html and "Join the waitlist" in html
        assert 'class="register-form"' not in html and "This field is required" not in html
        for ticket in event.ticket_types.all():  # both tickets can be waited for
            assert f'<option value="{ticket.pk}">{ticket.name}' in html
    assert Registration.objects.count() == 1


def test_only_n_seats_left_shows_when_few_remain(client, settings):
    settings.REGISTRATIONS_FEW_SEATS_LEFT = 5
    event = make_event("Small room", tickets=[("Standard", "0")], capacity=6)
    assert "seats left" not in client.get(f"/events/{event.slug}/register/").content.decode()
    register(client, event)
    # The register page, and the event page's live Register box (the page itself, shared by caches,
    # carries no count that could go stale: test_http_caching.py).
    for url in (f"/events/{event.slug}/register/", event.route_url("registration_box")):
        assert "Only 5 seats left" in client.get(url).content.decode(), url


def test_a_card_says_sold_out_at_once_in_a_cached_listing_and_stops_when_a_seat_frees(
    client, settings, django_capture_on_commit_callbacks
):
    settings.EVENTS_LISTING_CACHE_SECONDS = 60
    event = make_event("Full forum", tickets=[("Standard", "0")], capacity=1, starts_in=dt.timedelta(days=3))
    make_event("Roomy forum", tickets=[("Standard", "0")], capacity=50, starts_in=dt.timedelta(days=4))
    assert "Sold out" not in client.get("/events/").content.decode()  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        register(client, event)
    assert is_flagged(event)
    html = client.get("/events/").content.decode()
    assert "Sold out" in card(html, "Full forum") and "Sold out" not in card(html, "Roomy forum")
    with django_capture_on_commit_callbacks(execute=True):
        cancellation.cancel_registrations(Registration.objects.all(), reason="test")
    assert not is_flagged(event)
    assert "Sold out" not in client.get("/events/").content.decode()


def test_publishing_more_seats_clears_the_flag_and_a_revision_never_brings_it_back(client):
    event = make_event("Full forum", tickets=[("Standard", "0")], capacity=1)
    draft = event.get_latest_revision_as_object()
    draft.capacity = 5
    revision_id = draft.save_revision().pk  # saved before the event sold out: its copy says "not sold out"
    register(client, event)
    assert is_flagged(event)
    revision = Revision.objects.get(pk=revision_id)
    assert revision.as_object().sold_out  # the live flag, not the revision's copy
    revision.publish()  # capacity 5: no longer sold out
    assert not is_flagged(event)


def test_the_badge_costs_no_query_per_card(client, settings):
    settings.EVENTS_LISTING_CACHE_SECONDS = 0
    for n in range(3):
        event = make_event(f"Full {n}", tickets=[("Standard", "0")], capacity=1, starts_in=dt.timedelta(days=n + 1))
        register(client, event)
    client.get("/events/")
    with CaptureQueriesContext(connection) as few:
        html = client.get("/events/").content.decode()
    assert html.count("badge-sold-out") == 3
    for n in range(3, 8):
        event = make_event(f"Full {n}", tickets=[("Standard", "0")], capacity=1, starts_in=dt.timedelta(days=n + 1))
        register(client, event)
    client.get("/events/")
    with CaptureQueriesContext(connection) as many:
        html = client.get("/events/").content.decode()
    assert html.count("badge-sold-out") == 8 and len(many) == len(few)


def test_the_flag_is_written_once_when_it_flips_and_not_again(django_capture_on_commit_callbacks):
    """Writing it bumps every cached listing's version: a second look that finds nothing changed
    writes nothing, on the same event object too."""
    from django.db import transaction

    from registrations.services.capacity import lock_event, refresh_sold_out
    from tests.factories import make_registration

    event = make_event("One seat", tickets=[("Free", "0")], capacity=1)
    make_registration(event, price="0")
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        locked = lock_event(event.pk)
        assert refresh_sold_out(locked) is True
        with CaptureQueriesContext(connection) as queries:
            assert refresh_sold_out(locked) is True
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(callbacks) == 1  # one bump of the content version
    assert EventPage.objects.get(pk=event.pk).sold_out
