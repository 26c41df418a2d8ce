"""The schema.org Event search engines read: offers only for what can be bought, and what we know."""

import datetime as dt
import io
import json

import pytest
from bs4 import BeautifulSoup
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PillowImage
from wagtail.images.models import Image

from events.models import EventPage
from tests.factories import VenueFactory, make_event, make_registration

pytestmark = pytest.mark.django_db
SCHEMA = "https://schema.org/"


def json_ld(client, event):
    soup = BeautifulSoup(client.get(event.url).content, "html.parser")
    (script,) = soup.find_all("script", type="application/ld+json")
    return json.loads(script.string)


def update(event, **fields):
    page = EventPage.objects.get(pk=event.pk)
    for name, value in fields.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return page


def test_tickets_on_sale_are_in_stock(client):
    event = make_event("Open", tickets=[("Standard", "80")], starts_in=dt.timedelta(days=10))
    (offer,) = json_ld(client, event)["offers"]
    assert offer["availability"] == SCHEMA + "InStock" and offer["price"] == "80.00"
    assert "validFrom" not in offer


@pytest.mark.parametrize(
    "fields",
    [
        {"registration_closes": timezone.now() - dt.timedelta(hours=1)},
        {"status": EventPage.Status.CANCELLED},
        {"status": EventPage.Status.POSTPONED},
    ],
    ids=["registration closed", "cancelled", "postponed"],
)
def test_nothing_is_offered_when_registration_is_closed(client, fields):
    event = make_event("Closed", tickets=[("Standard", "80")], starts_in=dt.timedelta(days=10))
    update(event, **fields)
    assert "offers" not in json_ld(client, event)


def test_nothing_is_offered_for_a_past_event(client):
    event = make_event("Past", tickets=[("Standard", "80")], starts_in=-dt.timedelta(days=3))
    data = json_ld(client, event)
    assert "offers" not in data
    assert data["eventStatus"] == SCHEMA + "EventScheduled"


def test_tickets_not_yet_on_sale_say_when_they_go_on_sale(client):
    opens = timezone.now() + dt.timedelta(days=2)
    event = make_event("Soon", tickets=[("Standard", "80")], starts_in=dt.timedelta(days=30))
    update(event, registration_opens=opens)
    (offer,) = json_ld(client, event)["offers"]
    assert dt.datetime.fromisoformat(offer["validFrom"]) == opens


def test_a_sold_out_ticket_is_sold_out(client):
    event = make_event("Full", tickets=[("Standard", "80")], starts_in=dt.timedelta(days=10))
    update(event, capacity=1)
    make_registration(event)
    (offer,) = json_ld(client, event)["offers"]
    assert offer["availability"] == SCHEMA + "SoldOut"


def test_image_performers_mode_and_status_are_given(client):
    buffer = io.BytesIO()
    PillowImage.new("RGB", (1600, 900), (29, 58, 95)).save(buffer, "PNG")
    image = Image.objects.create(title="Hero", file=ImageFile(buffer, name="hero.png"))
    event = make_event("Rich", venue=VenueFactory(), starts_in=dt.timedelta(days=10))
    update(
        event,
        featured_image=image,
        presenters=[("presenter", {"name": "Dr. Ana Pérez", "credentials": "PhD", "bio": ""})],
    )
    data = json_ld(client, event)
    assert data["image"][0].startswith("http://testserver/") and data["image"][0].endswith(".png")
    assert data["performer"] == [{"@type": "Person", "name": "Dr. Ana Pérez"}]
    assert data["eventStatus"] == SCHEMA + "EventScheduled"
    assert data["eventAttendanceMode"] == SCHEMA + "OfflineEventAttendanceMode"
