"""Erasing a person's data from "My events" (services/erasure.py): nothing names them afterwards,
the books balance as before, seats stay counted, the organizer is told, other attendees are
untouched, and emails queued before are not sent."""

import datetime as dt
import io
import json

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client

from events.models import OrganizerApplication, Subscription
from registrations.emails import deliver_email
from registrations.models import (
    CheckIn,
    EvaluationResponse,
    Invoice,
    Order,
    Refund,
    Registration,
    SignInLink,
    WaitlistEntry,
)
from registrations.services import certificates, erasure, invoices
from tests.factories import OrganizerFactory, event_index, make_event, make_registration
from tests.test_certificates import attendee, check_in, past_event
from tests.test_my_events import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    """Ana: a seat at a past event she attended (certified), a seat she bought for herself and one for
    Ben at an upcoming paid event (invoiced, refunded in part), a waitlist place, a subscription and
    an organizer application. Zed attended the past event too."""
    past = past_event()
    seat = attendee(past)
    check_in(seat, past.ordered_sessions[0])
    code = certificates.issue(seat)
    coming = make_event(
        "Paid workshop",
        tickets=[("Standard", "100.00")],
        currency="EUR",
        organizer=OrganizerFactory(name="Grief Society", email="team@grief.example"),
    )
    own = make_registration(coming, email="ana@example.com", price="100.00")
    own.answers = {"diet": "vegan"}
    own.save(update_fields=["answers"])
    Order.objects.filter(pk=own.order_id).update(
        billing_organization="Ana Pérez Therapy", billing_address="1 Calle de Ana", billing_tax_id="ES-ANA-1"
    )
    ben = make_registration(coming, name="Ben", email="ben@example.com", buyer=("Ana Pérez", "ana@example.com"))
    Refund.objects.create(order=own.order, number=1, amount="20.00", status=Refund.Status.SUCCEEDED)
    invoice = invoices.issue_invoice(own.order)
    WaitlistEntry.objects.create(
        event=coming, ticket_type=coming.ticket_types.first(), name="Ana Pérez", email="ana@example.com",
        status=WaitlistEntry.Status.WAITING,
    )  # fmt: skip
    Subscription.objects.create(
        email="ana@example.com", listing=event_index(), kind="search", query="q=x", language="en"
    )
    OrganizerApplication.objects.create(name="Ana Pérez", email="ana@example.com", organization="Guild", message="Me")
    zed = attendee(past, name="Zed Other", email="zed@example.com", licence="ZZZ-1")
    check_in(zed, past.ordered_sessions[0])
    EvaluationResponse.objects.create(event=past, registration=seat, answers={"q": "Ana liked it"})
    EvaluationResponse.objects.create(event=past, registration=zed, answers={"q": "Zed too"})
    return {"seat": seat, "own": own, "ben": ben, "zed": zed, "code": code, "invoice": invoice, "coming": coming}


def books():
    """What the money records say, in sum."""
    return (
        Order.objects.aggregate(Sum("total"))["total__sum"],
        Refund.objects.aggregate(Sum("amount"))["amount__sum"],
        list(Invoice.objects.order_by("pk").values_list("number", "net", "tax", "buyer", "lines")),
        list(Registration.objects.order_by("pk").values_list("status", "price", "tax")),
        CheckIn.objects.count(),
    )


def erase(client):
    return client.post("/my-events/erase/", {"confirm": "on"})


def test_nothing_names_the_person_afterwards(held):
    client = signed_in()
    old_ticket = held["seat"].ticket_secret
    response = erase(client)
    assert response.status_code == 200 and "Your data is erased" in response.content.decode()
    # Signed out; and signed in again (another link), the record and the export are empty.
    assert client.get("/my-events/").status_code == 302
    mail.outbox.clear()
    Client().post("/my-events/sign-in/", {"email": "ana@example.com"})
    assert mail.outbox == []  # nothing held by the address: no link
    for model, fields in PERSONAL_FIELDS.items():
        for row in apps.get_model(model).objects.values(*fields):
            assert "Ana" not in json.dumps(row, default=str) and "ana@example.com" not in json.dumps(row).lower()
    for column in ("licence_number", "profession"):
        assert not Registration.objects.filter(pk=held["seat"].pk).exclude(**{column: ""}).exists()
    assert Registration.objects.get(pk=held["own"].pk).answers == {}
    # Her evaluation stays in the event's results, linked to nobody; Zed's stays his.
    assert EvaluationResponse.objects.get(answers__q="Ana liked it").registration is None
    assert EvaluationResponse.objects.get(answers__q="Zed too").registration == held["zed"]
    assert not Subscription.objects.exists() and not SignInLink.objects.filter(email="ana@example.com").exists()
    # Links that were hers open nothing.
    assert Client().get(f"/tickets/{old_ticket}/").status_code == 404
    assert Client().get(f"/certificates/{held['code']}/").status_code == 404
    assert Client().get(f"/orders/{held['own'].order.token}/").status_code == 404


def test_the_books_balance_and_seats_stay_counted(held):
    before = books()
    erase(signed_in())
    assert books() == before
    invoice = Invoice.objects.get(pk=held["invoice"].pk)
    assert invoice.buyer["name"] == "Ana Pérez"  # an invoice stays as it was issued: the law
    assert Registration.objects.taking_seats().filter(event=held["coming"]).count() == 2


def test_other_people_are_untouched(held):
    zed = Registration.objects.values().get(pk=held["zed"].pk)
    ben = Registration.objects.values().get(pk=held["ben"].pk)
    erase(signed_in())
    assert Registration.objects.values().get(pk=held["zed"].pk) == zed
    assert Registration.objects.values().get(pk=held["ben"].pk) == ben  # his seat: only the order was Ana's


def test_the_organizer_is_told_the_seat_stays_counted(held, django_capture_on_commit_callbacks):
    client = signed_in()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        erase(client)
    told = [m for m in mail.outbox if m.to == ["team@grief.example"]]
    assert len(told) == 1 and "Paid workshop" in told[0].subject and "stays counted" in told[0].body
    assert "Ana" not in told[0].body


def test_the_waitlist_place_is_given_up_and_passed_on(held, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        erase(signed_in())
    assert len(callbacks) == 2  # the organizer told; the event's free seats offered to the next in line
    (entry,) = WaitlistEntry.objects.all()
    assert entry.status == WaitlistEntry.Status.LEFT and entry.name == "(erased)"


def test_an_email_queued_before_is_not_sent(held):
    erase(signed_in())
    mail.outbox.clear()
    assert deliver_email.call("confirmation", registration_id=held["own"].pk) == "skipped"
    assert deliver_email.call("refund", order_id=held["own"].order_id, extra={"amount": "20.00"}) == "skipped"
    assert mail.outbox == []


def test_no_new_certificate_is_issued_to_an_erased_seat(held, django_capture_on_commit_callbacks):
    erase(signed_in())
    seat = Registration.objects.get(pk=held["seat"].pk)
    assert seat.certificate_code is None and not certificates.eligible(seat)
    with pytest.raises(certificates.NotEligible):
        certificates.issue(seat)
    past = seat.event
    with django_capture_on_commit_callbacks(execute=True):
        certificates.email_certificates(past)  # Zed's only
    assert Registration.objects.get(pk=held["seat"].pk).certificate_code is None
    assert [m.to for m in mail.outbox if "certificate" in m.subject.lower()] == [["zed@example.com"]]


def test_nothing_changes_without_the_box_ticked(held):
    client = signed_in()
    before = Registration.objects.values().get(pk=held["seat"].pk)
    response = client.post("/my-events/erase/", {})
    assert response.status_code == 200 and "Tick the box to confirm." in response.content.decode()
    assert Registration.objects.values().get(pk=held["seat"].pk) == before
    assert client.get("/my-events/").status_code == 200  # still signed in


def test_only_a_signed_in_person_erases_and_only_their_own(held):
    response = Client().post("/my-events/erase/", {"confirm": "on"})
    assert response.status_code == 302 and Registration.objects.filter(email="ana@example.com").count() == 2
    erase(signed_in("zed@example.com"))
    assert Registration.objects.filter(email="ana@example.com").count() == 2
    assert Registration.objects.get(pk=held["zed"].pk).name == "(erased)"


# Every field that holds a person's name, address or what they told us, on every model: a new one
# must be added here and to services/erasure.py.
PERSONAL_FIELDS = {
    "registrations.Registration": ["name", "email", "profession", "licence_number", "answers", "invite_facts"],
    "registrations.Order": [
        "buyer_name",
        "buyer_email",
        "billing_organization",
        "billing_address",
        "billing_tax_id",
        "billing_country",
    ],
    "registrations.WaitlistEntry": ["name", "email"],
    "registrations.SignInLink": ["email"],
    "events.Subscription": ["email"],
    "events.OrganizerApplication": ["name", "email", "message"],
}
# Kept by law, as issued (an invoice's buyer), or naming staff and organizers, not attendees; an
# evaluation's answers stay in the event's results, unlinked from the person (checked above).
KEPT = {"registrations.Invoice": ["buyer"], "registrations.EvaluationResponse": ["answers"]}
PERSONAL = ("name", "email", "licence", "profession", "answers", "billing", "buyer", "message")


def test_every_personal_field_of_every_model_is_erased_or_kept_on_purpose():
    found = set()
    for app in ("registrations", "events"):
        for model in apps.get_app_config(app).get_models():
            label = model._meta.label
            for field in model._meta.concrete_fields:
                if any(word in field.name for word in PERSONAL) and not field.is_relation:
                    found.add((label, field.name))
    known = {(label, name) for table in (PERSONAL_FIELDS, KEPT) for label, names in table.items() for name in names}
    staff_and_organizers = {
        ("events.Organizer", "name"), ("events.Organizer", "email"), ("events.Topic", "name"),
        ("events.Venue", "name"), ("events.TicketType", "name"), ("events.ListingEntry", "organizer_name"),
        ("events.ListingEntry", "venue_name"),
        ("events.OrganizerApplication", "organization"), ("registrations.ConsentText", "text"),
        ("events.Organizer", "legal_name"), ("events.Organizer", "tax_name"), ("registrations.Order", "tax_name"),
        ("registrations.Invoice", "tax_name"), ("registrations.PromoCode", "max_uses_per_buyer"),
        ("events.EvaluationTemplate", "name"),
    }  # fmt: skip
    assert found - known - staff_and_organizers == set()


# Retention: what events over for longer than REGISTRATIONS_RETENTION_YEARS held, anonymised


NOW = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)  # the fixed clock


def ended_on(day, title):
    start = dt.datetime.combine(day, dt.time(9), dt.UTC)
    return make_event(title, sessions=[(start, start + dt.timedelta(hours=3))], tickets=[("Standard", "50.00")])


@pytest.fixture
def old_and_recent():
    old = ended_on(dt.date(2020, 12, 5), "Old workshop")
    recent = ended_on(dt.date(2020, 12, 7), "Recent workshop")
    seats = {
        "old": make_registration(old, name="Olga Old", email="olga@example.com", price="50.00"),
        "recent": make_registration(recent, name="Rita Recent", email="rita@example.com", price="50.00"),
    }
    CheckIn.objects.create(registration=seats["old"], session=old.ordered_sessions[0])
    WaitlistEntry.objects.create(event=old, ticket_type=old.ticket_types.first(), name="Wally", email="w@example.com")
    return seats


def test_retention_anonymises_what_events_over_for_longer_held_and_keeps_the_money(old_and_recent, settings):
    settings.REGISTRATIONS_RETENTION_YEARS = 6
    before = books()
    assert erasure.apply_retention(now=NOW) == {"seats": 1, "orders": 1, "waitlist": 1}
    assert books() == before
    old = Registration.objects.get(pk=old_and_recent["old"].pk)
    assert (old.name, old.email.endswith("@erased.invalid"), old.order.buyer_name) == ("(erased)", True, "(erased)")
    assert old.check_ins.count() == 1  # attendance still counted for the event's figures
    recent = Registration.objects.get(pk=old_and_recent["recent"].pk)
    assert (recent.name, recent.email) == ("Rita Recent", "rita@example.com")
    assert WaitlistEntry.objects.get().name == "(erased)"
    # Run again: nothing left to do, and what was done stays done.
    assert erasure.apply_retention(now=NOW) == {"seats": 0, "orders": 0, "waitlist": 0}
    # Two days on, the recent one's six years are up too.
    assert erasure.apply_retention(now=NOW + dt.timedelta(days=2))["seats"] == 1


def test_retention_off_keeps_everything(old_and_recent, settings):
    settings.REGISTRATIONS_RETENTION_YEARS = None
    assert erasure.apply_retention(now=NOW) == {"seats": 0, "orders": 0, "waitlist": 0}
    assert Registration.objects.get(pk=old_and_recent["old"].pk).name == "Olga Old"


def test_retention_counts_years_from_a_29th_of_february(old_and_recent, settings):
    settings.REGISTRATIONS_RETENTION_YEARS = 1
    leap_day = dt.datetime(2024, 2, 29, 12, tzinfo=dt.UTC)
    ended_2023 = make_registration(ended_on(dt.date(2023, 2, 27), "Feb workshop"), email="feb@example.com")
    within_a_year = make_registration(ended_on(dt.date(2023, 6, 1), "June workshop"), email="june@example.com")
    assert erasure.apply_retention(now=leap_day)["seats"] == 3  # both 2020 events, and 27 Feb 2023
    assert Registration.objects.get(pk=ended_2023.pk).name == "(erased)"
    assert Registration.objects.get(pk=within_a_year.pk).name == "Ana Pérez"


def test_the_command_applies_it(old_and_recent, settings):
    settings.REGISTRATIONS_RETENTION_YEARS = 5  # by the real clock, both events (2020) are over 5 years ago
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "Anonymised 2 seats, 2 orders and 1 waitlist entries." in out.getvalue()
