"""A person's data from "My events" (services/personal_data.py): everything held about their
address, in JSON, and nobody else's; no secret that opens a page is in it."""

import json

import pytest
from django.test import Client
from django.utils import timezone

from events.models import OrganizerApplication, Subscription
from registrations.models import CheckIn, EvaluationResponse, Refund, WaitlistEntry
from registrations.services import invoices
from tests.factories import event_index, make_event, make_registration
from tests.test_my_events import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    """Ana's seat (checked in, its order refunded in part and invoiced), a seat she bought for Ben,
    her waitlist entry, email subscription and organizer application; Zed's seat at the same event."""
    event = make_event("Alliance workshop", tickets=[("Standard", "120.00")], currency="EUR")
    seat = make_registration(event, email="Ana@Example.com")
    seat.answers = {"diet": "vegetarian"}
    seat.licence_number = "PSY-2231"
    seat.save(update_fields=["answers", "licence_number"])
    ben = make_registration(event, name="Ben", email="ben@example.com", buyer=("Ana Pérez", "ana@example.com"))
    CheckIn.objects.create(registration=seat, session=event.ordered_sessions[0])
    Refund.objects.create(order=seat.order, number=1, amount="20.00", status=Refund.Status.SUCCEEDED)
    invoices.issue_invoice(seat.order)
    WaitlistEntry.objects.create(
        event=event, ticket_type=event.ticket_types.first(), name="Ana Pérez", email="ana@example.com"
    )
    Subscription.objects.create(
        email="ana@example.com", listing=event_index(), kind="search", query="q=grief", language="es"
    )
    OrganizerApplication.objects.create(
        name="Ana Pérez", email="ana@example.com", organization="Guild", message="Talks"
    )
    zed = make_registration(event, name="Zed Other", email="zed@example.com")
    CheckIn.objects.create(registration=zed, session=event.ordered_sessions[0])
    EvaluationResponse.objects.create(event=event, registration=seat, answers={"q": "Useful"})
    EvaluationResponse.objects.create(event=event, registration=zed, answers={"q": "Zed's view"})
    EvaluationResponse.objects.create(event=event, registration=None, answers={"q": "Anonymous"})
    return {"seat": seat, "ben": ben, "zed": zed}


def download(client):
    response = client.get("/my-events/my-data.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert "no-store" in response["Cache-Control"]
    return response.content.decode(), json.loads(response.content)


def test_everything_held_about_the_address_is_in_it(held):
    text, data = download(signed_in())
    assert data["email"] == "ana@example.com"
    (seat,) = data["registrations"]
    assert seat["pk"] == held["seat"].pk and seat["fields"]["answers"] == {"diet": "vegetarian"}
    assert seat["fields"]["licence_number"] == "PSY-2231"
    assert [c["fields"]["registration"] for c in data["check_ins"]] == [held["seat"].pk]
    assert [e["fields"]["answers"] for e in data["evaluations"]] == [{"q": "Useful"}]  # hers, signed
    assert {o["pk"] for o in data["orders"]} == {held["seat"].order_id, held["ben"].order_id}
    assert [r["fields"]["amount"] for r in data["refunds"]] == ["20.00"]
    assert len(data["invoices"]) == 1 and data["invoices"][0]["fields"]["buyer"]["name"] == "Ana Pérez"
    assert len(data["waitlist"]) == len(data["subscriptions"]) == len(data["organizer_applications"]) == 1
    assert data["subscriptions"][0]["fields"]["query"] == "q=grief"
    assert len(data["sign_in_links"]) == 1 and data["sign_in_links"][0]["fields"]["used_at"]


def test_nobody_elses_data_and_no_secret_is_in_it(held):
    text, data = download(signed_in())
    assert "zed@example.com" not in text and "Zed Other" not in text and "Zed's view" not in text
    # Ben's seat is in the order Ana placed, not among her own seats.
    assert held["ben"].pk not in {r["pk"] for r in data["registrations"]}
    for secret in (held["seat"].ticket_secret, held["seat"].order.token, held["seat"].door_code):
        assert secret not in text
    for row in (*data["registrations"], *data["orders"], *data["waitlist"], *data["subscriptions"]):
        assert not {"ticket_secret", "token", "confirm_token", "door_code"} & row["fields"].keys()
    assert "token_hash" not in data["sign_in_links"][0]["fields"]


def test_only_the_signed_in_person_gets_it(held):
    response = Client().get("/my-events/my-data.json")
    assert response.status_code == 302 and response["Location"] == "/my-events/sign-in/"
    text, data = download(signed_in("zed@example.com"))
    assert [r["pk"] for r in data["registrations"]] == [held["zed"].pk]
    assert "ana@example.com" not in text.lower() and data["waitlist"] == []


def test_the_export_says_when_it_was_made(held):
    before = timezone.now()
    _text, data = download(signed_in())
    assert before.isoformat()[:16] <= data["exported_at"][:16]
