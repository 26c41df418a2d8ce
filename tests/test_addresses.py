"""Addresses read the way their country writes them: on the page, for search engines, in calendars."""

import json

import pytest
from bs4 import BeautifulSoup

from events.addresses import address_lines
from tests.calendar_checks import parse_valid_calendar
from tests.factories import VenueFactory, make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def boston_event():
    venue = VenueFactory(
        name="Harborview Conference Center",
        address="1 Seaport Lane",
        city="Boston",
        region="MA",
        postal_code="02210",
        country="US",
        time_zone="America/New_York",
    )
    return make_event("Alliance", venue=venue)


@pytest.mark.parametrize(
    "fields, lines",
    [
        (
            {"address": "1 Seaport Lane", "city": "Boston", "region": "MA", "postal_code": "02210", "country": "US"},
            ["1 Seaport Lane", "Boston, MA 02210", "United States of America"],
        ),
        (
            {"address": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"},
            ["Unter den Linden 1", "10117 Berlin", "Germany"],
        ),
        (
            {"address": "183 Euston Road", "city": "London", "postal_code": "NW1 2BE", "country": "GB"},
            ["183 Euston Road", "London", "NW1 2BE", "United Kingdom"],
        ),
        (
            {"address": "1-2-3 Shibuya", "city": "Tokyo", "postal_code": "150-0002", "country": "JP"},
            ["1-2-3 Shibuya", "Tokyo", "150-0002", "Japan"],
        ),
        (
            {"address": "1 Main St", "city": "Boston", "postal_code": "02210", "country": "US"},
            ["1 Main St", "Boston, 02210", "United States of America"],  # no state given: no stray commas
        ),
    ],
    ids=["US", "DE", "GB", "JP", "US without state"],
)
def test_address_lines_follow_the_country(fields, lines):
    assert address_lines(VenueFactory.build(**fields)) == lines


def test_the_event_page_writes_a_us_address_the_us_way(client, boston_event):
    soup = BeautifulSoup(client.get(boston_event.url).content, "html.parser")
    address = soup.find("address").get_text("|")
    assert address == "Harborview Conference Center|1 Seaport Lane|Boston, MA 02210|United States of America"
    assert "02210 Boston" not in soup.get_text()


def test_search_engines_get_the_region(client, boston_event):
    soup = BeautifulSoup(client.get(boston_event.url).content, "html.parser")
    address = json.loads(soup.find("script", type="application/ld+json").string)["location"]["address"]
    assert address["addressRegion"] == "MA" and address["postalCode"] == "02210"
    assert address["addressLocality"] == "Boston" and address["addressCountry"] == "US"


def test_calendars_write_the_address_the_country_way(client, boston_event):
    (vevent,) = parse_valid_calendar(client.get(boston_event.url + "ical/").content).walk("VEVENT")
    assert str(vevent["LOCATION"]) == (
        "Harborview Conference Center, 1 Seaport Lane, Boston, MA 02210, United States of America"
    )
    soup = BeautifulSoup(client.get(boston_event.url).content, "html.parser")
    google = soup.find("a", string="Google")["href"]
    assert "Boston%2C+MA+02210" in google
