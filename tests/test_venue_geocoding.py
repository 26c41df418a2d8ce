"""The venue editor's "Look up from address": an admin view asks a Nominatim-compatible service
(here a small local HTTP server answering like Nominatim's /search) with a timeout and an
identifying User-Agent, and answers the coordinates, or a clear error when nothing is found, the
service fails or is slow, or the address is not one; only editors of venues may ask, and a burst is
refused. The venue editor shows the button only when a geocoder is set, and its map only when maps
are on."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission

from events.models import Venue
from tests import nominatim
from tests.factories import VenueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def geocoder(settings):
    """A local Nominatim-like server (tests/nominatim.py) as the geocoder."""
    with nominatim.running(settings) as server:
        yield server


URL = "/admin/snippets/events/venue/geocode/"
ADDRESS = {"address": "183 Euston Road", "city": "London", "region": "", "postal_code": "NW1 2BE", "country": "GB"}


@pytest.fixture
def editor(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("editor", "editor@example.com", "pw"))
    return client


def test_the_lookup_answers_the_coordinates_the_service_found(editor, geocoder):
    response = editor.post(URL, ADDRESS)
    assert response.status_code == 200
    assert response.json() == {
        "latitude": "51.525546",
        "longitude": "-0.133954",
        "name": "Wellcome Collection, 183, Euston Road, London, NW1 2BE, United Kingdom",
    }
    ((path, headers),) = geocoder.asked
    address = urlsplit(path)
    query = {key: values[0] for key, values in parse_qs(address.query).items()}
    assert address.path == "/search"
    assert query["format"] == "jsonv2" and query["limit"] == "1" and query["countrycodes"] == "gb"
    assert query["q"].startswith("183 Euston Road, London") and "NW1 2BE" in query["q"]
    assert headers["User-Agent"].startswith("wagtail-event-registrations/")
    assert not Venue.objects.exists()  # a lookup saves nothing


def test_nothing_found_says_so(editor, geocoder):
    geocoder.answer = (200, [])
    response = editor.post(URL, ADDRESS)
    assert response.status_code == 404
    assert "No place was found for this address" in response.json()["error"]


@pytest.mark.parametrize(
    "answer",
    [(500, b"Internal error"), (503, {"error": "busy"}), (200, b"<html>not json</html>"), (200, [{"lat": "north"}])],
)
def test_a_failing_service_gets_a_clear_error(editor, geocoder, answer):
    geocoder.answer = answer
    response = editor.post(URL, ADDRESS)
    assert response.status_code == 502
    assert "did not answer" in response.json()["error"]


def test_a_slow_service_is_given_up_on(editor, geocoder):
    geocoder.answer = ("sleep", 3)
    began = time.monotonic()
    response = editor.post(URL, ADDRESS)
    assert time.monotonic() - began < 2.5
    assert response.status_code == 502
    assert "did not answer" in response.json()["error"]


def test_a_service_that_is_down_gets_a_clear_error(editor, geocoder, settings):
    geocoder.shutdown()
    geocoder.server_close()
    response = editor.post(URL, ADDRESS)
    assert response.status_code == 502
    assert "did not answer" in response.json()["error"]


@pytest.mark.parametrize(
    "change, field",
    [({"city": ""}, "City"), ({"country": "XX"}, "Country"), ({"postal_code": "9" * 50}, "Postal code")],
)
def test_an_address_that_is_not_one_is_refused_without_asking(editor, geocoder, change, field):
    response = editor.post(URL, {**ADDRESS, **change})
    assert response.status_code == 400
    assert response.json()["error"].startswith(field)
    assert geocoder.asked == []


def test_only_venue_editors_may_look_up(client, geocoder, django_user_model):
    # Not signed in: the admin's sign-in page.
    response = client.post(URL, ADDRESS)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # Signed in to the admin, without permission to add or change venues.
    user = django_user_model.objects.create_user("viewer", "viewer@example.com", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    response = client.post(URL, ADDRESS)
    assert response.status_code == 403
    assert geocoder.asked == []
    # With the permission to change venues, they may.
    user.user_permissions.add(Permission.objects.get(codename="change_venue"))
    assert client.post(URL, ADDRESS).status_code == 200


def test_only_posts_are_answered(editor, geocoder):
    assert editor.get(URL, ADDRESS).status_code == 405
    assert geocoder.asked == []


def test_a_burst_of_lookups_is_refused(editor, geocoder, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMITS = {"geocode": "2/h"}  # (an hour: a minute's window could end mid-test)
    assert [editor.post(URL, ADDRESS).status_code for _ in range(3)] == [200, 200, 429]
    assert len(geocoder.asked) == 2


def test_the_venue_editor_has_the_map_and_the_button_when_set_up(editor, geocoder, settings):
    venue = VenueFactory(latitude="51.5", longitude="-0.12")
    edit = f"/admin/snippets/events/venue/edit/{venue.pk}/"
    html = editor.get(edit).content.decode()
    assert 'data-controller="events-pin-map"' in html
    assert 'data-events-pin-map-latitude-value="id_latitude"' in html
    assert 'events-pin-map-target="map"' in html and "events/vendor/leaflet/leaflet.js" in html
    assert "Look up from address" in html and URL in html

    settings.EVENTS_GEOCODER_URL = None
    html = editor.get(edit).content.decode()
    assert "Look up from address" not in html and 'events-pin-map-target="map"' in html

    settings.EVENTS_MAP_TILE_URL = None
    html = editor.get(edit).content.decode()
    assert 'data-controller="events-pin-map"' not in html
    assert 'name="latitude"' in html and 'name="longitude"' in html  # typed by hand
