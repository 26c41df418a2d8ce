"""What the listing page says around its results: a calendar subscription only when there is
something to subscribe to, a clear message for dates that cannot be, and its heading in the
visitor's language while the editor has left the default title."""

import datetime as dt

import pytest
from django.conf import settings

from tests.factories import event_index, make_event

pytestmark = pytest.mark.django_db


def test_the_listing_offers_a_webcal_subscription_and_a_download(client):
    make_event("Workshop", starts_in=dt.timedelta(days=2), format="online")
    html = client.get("/events/?format=online&junk=1").content.decode()
    assert '<a href="webcal://testserver/events/ical/?format=online">' in html
    assert '<a href="/events/ical/?format=online" download="events.ics">' in html


def test_no_subscription_is_offered_for_no_results(client):
    make_event("Workshop", starts_in=dt.timedelta(days=2), format="online")
    html = client.get("/events/?country=NZ").content.decode()
    assert "0 events" in html
    assert "webcal:" not in html and "Subscribe to these events" not in html


def test_an_end_date_before_the_start_date_is_a_form_error(client):
    make_event("Workshop", starts_in=dt.timedelta(days=2))
    response = client.get("/events/?start=2027-05-10&end=2027-05-01")
    html = response.content.decode()
    assert response.status_code == 200
    assert "end" in response.context["search"].errors
    assert 'role="alert"' in html and "The end date is before the start date." in html


def spanish(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def test_the_default_listing_title_is_shown_in_the_visitors_language(client):
    event_index()
    assert "<h1>Eventos</h1>" in spanish(client).get("/events/").content.decode()


def test_an_editors_own_listing_title_is_shown_as_typed(client):
    index = event_index()
    index.title = "Workshops & seminars"
    index.save_revision().publish()
    assert "<h1>Workshops &amp; seminars</h1>" in spanish(client).get("/events/").content.decode()
