"""Codes on the register form: discounts, tickets sold only with a code, limits on uses that hold
under concurrency, and refusals that say what a buyer needs and take nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone

from events.structured_data import event_json_ld
from registrations.models import Order, PromoCode, Registration
from registrations.services import codes
from tests.concurrency import at_once
from tests.factories import OrganizerFactory, make_event
from tests.registration_helpers import attendee_data, checkout_session_id, latest_order, register

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def no_attempts_counted():
    cache.clear()


def make_code(event, code="SPRING", **fields):
    fields.setdefault("kind", PromoCode.Kind.PERCENT)
    fields.setdefault("value", Decimal(25))
    tickets = fields.pop("tickets", ())
    promo = PromoCode.objects.create(organizer=event.organizer, event=event, code=code, **fields)
    promo.ticket_types.set(tickets)
    return promo


def form(event, ticket=None, quantity=1, **extra):
    ticket = ticket or event.ticket_types.first()
    return {"ticket_type": ticket.pk, "quantity": quantity, **attendee_data(quantity), **extra}


def post(client, event, data):
    return client.post(f"/events/{event.slug}/register/", data)


@pytest.mark.parametrize(
    "price,currency,kind,value,expected",
    [
        ("120.00", "USD", "percent", "25", "90.00"),
        ("19.99", "USD", "percent", "15", "16.99"),  # 2.9985 off, rounded half up to 3.00
        ("19.99", "USD", "percent", "10", "17.99"),  # 1.999 -> 2.00
        ("1999", "JPY", "percent", "15", "1699"),  # 299.85 yen off -> 300: yen have no decimals
        ("80.00", "EUR", "amount", "30", "50.00"),
        ("80.00", "EUR", "amount", "100", "0"),  # never below zero
        ("80.00", "EUR", "percent", "100", "0"),
        ("80.00", "EUR", "percent", "0", "80.00"),
    ],
)
def test_a_codes_price_is_rounded_in_the_currencys_own_decimals_and_never_negative(
    price, currency, kind, value, expected
):
    code = PromoCode(kind=kind, value=Decimal(value))
    assert codes.price_with(code, Decimal(price), currency) == Decimal(expected)
    assert codes.price_with(None, Decimal(price), currency) == Decimal(price)


@pytest.mark.django_db(transaction=True)
def test_a_discount_is_charged_through_stripe_and_recorded_on_each_seat(client, stripe_emulator, mailoutbox):
    event = make_event("Paid", tickets=[("Standard", "120.00")], currency="USD", capacity=10)
    promo = make_code(event, "spring", value=Decimal(25))
    session_id = checkout_session_id(register(client, event, quantity=2, code=" Spring "))
    order = latest_order()
    assert order.total == Decimal("180.00")
    assert stripe_emulator.sessions[session_id]["amount_total"] == 18000
    seats = list(order.registrations.all())
    assert [(s.price, s.discount, s.promo_code_id) for s in seats] == [
        (Decimal("90.00"), Decimal("30.00"), promo.pk)
    ] * 2
    assert order.log_entries.get(action="placed").detail["code"] == "SPRING"
    page = client.get(f"/orders/{order.token}/").content.decode()
    assert page.count("$90.00 <small>($30.00 off with SPRING)</small>") == 2
    assert "<dt>Total</dt><dd><strong>$180.00</strong>" in page
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert [m.body.count("Amount paid: $90.00 ($30.00 off with SPRING)") for m in mailoutbox] == [1, 1]


@pytest.mark.django_db(transaction=True)
def test_a_code_that_makes_the_ticket_free_skips_stripe(client, stripe_emulator, mailoutbox):
    event = make_event("Paid", tickets=[("Standard", "120.00")], currency="USD", capacity=10)
    make_code(event, "SPEAKER", value=Decimal(100))
    response = register(client, event, code="speaker")
    order = latest_order()
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.token}/"
    assert order.status == Order.Status.PAID and order.total == 0
    assert order.registrations.get().status == Registration.Status.CONFIRMED
    assert stripe_emulator.sessions == {}
    assert len(mailoutbox) == 1


def test_the_register_page_shows_what_a_code_takes_off_before_anything_is_bought(client):
    event = make_event("Priced", tickets=[("Standard", "80.00"), ("Student", "40.00")], currency="EUR", capacity=10)
    standard = event.ticket_types.get(name="Standard")
    make_code(event, "HALF", value=Decimal(50), tickets=[standard])
    html = client.get(f"/events/{event.slug}/register/?code=half").content.decode()
    assert "Code HALF applied." in html
    assert "<del>€80.00</del>" in html and "€40.00</strong> with HALF" in html
    assert html.count("<del>") == 1  # the student ticket is not in the code
    response = post(client, event, form(event, standard, code="half", apply_code="1"))
    assert "Code HALF applied." in response.content.decode() and not Order.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_ticket_sold_only_with_a_code_is_hidden_until_its_code_is_given(client, stripe_emulator):
    event = make_event(
        "Congress", tickets=[("Standard", "80.00"), ("Partner rate", "50.00")], currency="EUR", capacity=10
    )
    member = event.ticket_types.get(name="Partner rate")
    member.code_only = True
    member.save()
    event.refresh_from_db()
    event.save_revision().publish()
    event.refresh_from_db()
    assert event.price_min == Decimal("80.00")  # the listing's "from" price is the public one
    assert [offer["name"] for offer in event_json_ld(event, RequestFactory().get("/"))["offers"]] == ["Standard"]
    assert "Partner rate" not in client.get(event.url).content.decode()
    assert "Partner rate" not in client.get(f"/events/{event.slug}/register/").content.decode()

    # Posting its id without a code: the same answer as for a ticket of another event.
    response = post(client, event, form(event, member))
    assert "That ticket type does not belong to this event." in response.content.decode()
    assert not Order.objects.exists()

    make_code(event, "MEMBERS", value=Decimal(0), tickets=[member])
    assert "Partner rate" in client.get(f"/events/{event.slug}/register/?code=members").content.decode()
    response = post(client, event, form(event, member, code="members"))
    assert response.status_code == 303  # to Stripe, at the member price
    assert latest_order().total == Decimal("50.00")


@pytest.mark.parametrize(
    "case,message",
    [
        ("unknown", "“NOPE” is not a valid code for this event."),
        ("other_organizer", "“RIVAL” is not a valid code for this event."),
        ("other_event", "“ELSEWHERE” is not a valid code for this event."),
        ("not_yet", "“LATER” is not a valid code for this event."),
        ("expired", "The code “GONE” expired on"),
        ("wrong_ticket", "The code “STUDENTS” does not apply to “Standard” tickets."),
        ("used_up", "The code “ONCE” has been used as often as it can be."),
        ("too_few_left", "The code “TWICE” can be used for 1 more tickets."),
    ],
)
def test_a_code_that_cannot_be_used_says_why_and_takes_nothing(client, case, message, mailoutbox):
    event = make_event("Coded", tickets=[("Standard", "0"), ("Student", "0")], capacity=10)
    other = make_event("Other", tickets=[("Standard", "0")], organizer=event.organizer)
    now = timezone.now()
    text, quantity = {
        "unknown": ("nope", 1),
        "other_organizer": ("rival", 1),
        "other_event": ("elsewhere", 1),
        "not_yet": ("later", 1),
        "expired": ("gone", 1),
        "wrong_ticket": ("students", 1),
        "used_up": ("once", 1),
        "too_few_left": ("twice", 2),
    }[case]
    PromoCode.objects.create(organizer=OrganizerFactory(name="Rival"), code="RIVAL", value=100)
    make_code(other, "ELSEWHERE")
    make_code(event, "LATER", valid_from=now + dt.timedelta(days=1))
    make_code(event, "GONE", valid_until=now - dt.timedelta(days=1))
    make_code(event, "STUDENTS", tickets=[event.ticket_types.get(name="Student")])
    make_code(event, "ONCE", max_uses=1)
    make_code(event, "TWICE", max_uses=2)
    assert post(client, event, form(event, code="once", **{"attendee-0-email": "first@example.com"})).status_code == 302
    assert post(client, event, form(event, code="twice")).status_code == 302
    before = Registration.objects.count(), len(mailoutbox)

    response = post(client, event, form(event, quantity=quantity, code=text))
    html = response.content.decode()
    assert response.status_code == 200 and message in html, html[html.find("code-field") :][:600]
    assert (Registration.objects.count(), len(mailoutbox)) == before


def test_a_code_counts_uses_per_buyer_and_a_released_seat_gives_its_use_back(client):
    event = make_event("Limited", tickets=[("Standard", "0")], capacity=10)
    promo = make_code(event, "ONEEACH", max_uses_per_buyer=1, max_uses=2)
    assert post(client, event, form(event, code="oneeach")).status_code == 302
    again = post(client, event, form(event, code="oneeach"))  # the same email
    assert "can be used for 0 more" in again.content.decode() or "used as often" in again.content.decode()
    other = form(event, code="oneeach", **{"attendee-0-email": "else@example.com"})
    assert post(client, event, other).status_code == 302
    assert (
        "used as often as it can be"
        in post(
            client, event, form(event, code="oneeach", **{"attendee-0-email": "third@example.com"})
        ).content.decode()
    )
    Registration.objects.filter(promo_code=promo).update(status=Registration.Status.CANCELLED)
    assert (
        post(client, event, form(event, code="oneeach", **{"attendee-0-email": "third@example.com"})).status_code == 302
    )


def test_an_organizers_code_works_for_each_of_its_events_and_no_other_organizers(client):
    event = make_event("First", tickets=[("Standard", "0")], capacity=10)
    second = make_event("Second", tickets=[("Standard", "0")], organizer=event.organizer)
    rival = make_event("Rival", tickets=[("Standard", "0")])
    PromoCode.objects.create(organizer=event.organizer, code="ALLYEAR", value=10, max_uses=2)
    assert post(client, event, form(event, code="allyear")).status_code == 302
    assert post(client, second, form(second, code="allyear")).status_code == 302
    assert "used as often" in post(client, event, form(event, code="allyear")).content.decode()  # 2 uses across events
    assert "not a valid code" in post(client, rival, form(rival, code="allyear")).content.decode()


def test_wrong_codes_are_limited_per_client_and_then_even_a_valid_code_is_refused(client, settings):
    settings.REGISTRATIONS_CODE_ATTEMPTS = 3
    event = make_event("Guarded", tickets=[("Standard", "0")], capacity=10)
    make_code(event, "REAL")
    for guess in ("AAAA", "BBBB", "CCCC"):
        assert "not a valid code" in post(client, event, form(event, code=guess, apply_code="1")).content.decode()
    response = post(client, event, form(event, code="real"))
    assert "Too many codes were tried from here." in response.content.decode()
    assert not Order.objects.exists()
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert post(elsewhere, event, form(event, code="real")).status_code == 302


def test_a_discount_below_stripes_smallest_charge_is_refused_not_sent(client):
    event = make_event("Cheap", tickets=[("Standard", "1.00")], currency="USD", capacity=10)
    make_code(event, "NINETY", value=Decimal(90))
    response = post(client, event, form(event, code="ninety"))
    assert "less than the smallest payment we can take ($0.50)" in response.content.decode()
    assert not Order.objects.exists()


def buyers_with_a_code(event, ticket, text, buyers=40):
    def buy(i):
        data = form(event, ticket, code=text, **{"attendee-0-email": f"buyer{i}@example.com"})
        response = Client(REMOTE_ADDR=f"198.51.100.{i}").post(f"/events/{event.slug}/register/", data)
        html = response.content.decode()
        if response.status_code == 302:
            return "won"
        return "used up" if "used as often" in html else "sold out" if "sold out" in html else str(response.status_code)

    return at_once([lambda i=i: buy(i) for i in range(buyers)])


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_forty_buyers_for_a_five_use_code_never_use_it_six_times():
    event = make_event("Code rush", tickets=[("Standard", "0")], capacity=100)
    promo = make_code(event, "FIVE", value=Decimal(100), max_uses=5)
    results = buyers_with_a_code(event, event.ticket_types.get(), "five")
    assert results.count("won") == 5 and set(results) <= {"won", "used up", "503"}, results
    assert Registration.objects.filter(promo_code=promo).count() == 5


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_organizer_wide_code_is_counted_across_events_racing_on_different_locks():
    first = make_event("Rush A", tickets=[("Standard", "0")], capacity=100)
    second = make_event("Rush B", tickets=[("Standard", "0")], capacity=100, organizer=first.organizer)
    promo = PromoCode.objects.create(organizer=first.organizer, code="SHARED", value=100, max_uses=3)

    def buy(i):
        event = (first, second)[i % 2]
        data = form(event, code="shared", **{"attendee-0-email": f"buyer{i}@example.com"})
        response = Client(REMOTE_ADDR=f"198.51.100.{i}").post(f"/events/{event.slug}/register/", data)
        if response.status_code == 302:
            return "won"
        return "refused" if response.status_code in (200, 503) else str(response.status_code)

    results = at_once([lambda i=i: buy(i) for i in range(20)])
    assert results.count("won") == 3, results
    assert Registration.objects.filter(promo_code=promo).count() == 3


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_forty_buyers_for_a_five_use_code_and_five_seats_never_oversell():
    event = make_event("Both limits", tickets=[("Standard", "0")], capacity=5)
    promo = make_code(event, "RUSH", value=Decimal(100), max_uses=5)
    results = buyers_with_a_code(event, event.ticket_types.get(), "rush")
    assert results.count("won") == 5 and set(results) <= {"won", "used up", "sold out", "503"}, results
    assert Registration.objects.taking_seats().filter(event=event).count() == 5
    assert Registration.objects.filter(promo_code=promo).count() == 5


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_forty_paying_buyers_for_a_five_use_code_every_charge_has_its_seat(stripe_emulator):
    """The paid rush: five win a held seat at the code's price and pay; the books balance with
    Stripe's to the cent, and nobody else was charged."""
    event = make_event("Paid rush", tickets=[("Standard", "80.00")], currency="EUR", capacity=5)
    promo = make_code(event, "HALF", value=Decimal(50), max_uses=5)

    def buy(i):
        data = form(event, code="half", **{"attendee-0-email": f"buyer{i}@example.com"})
        response = Client(REMOTE_ADDR=f"198.51.100.{i}").post(f"/events/{event.slug}/register/", data)
        html = response.content.decode()
        if response.status_code == 303:
            return checkout_session_id(response)
        return "used up" if "used as often" in html else "sold out" if "sold out" in html else str(response.status_code)

    results = at_once([lambda i=i: buy(i) for i in range(40)])
    sessions = [result for result in results if result.startswith("cs_")]
    assert len(sessions) == 5 and set(results) - set(sessions) <= {"used up", "sold out", "503"}, results
    for session_id in sessions:
        stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=20)
    paid = Order.objects.filter(event=event, status=Order.Status.PAID)
    assert paid.count() == 5 and Registration.objects.filter(promo_code=promo, status="confirmed").count() == 5
    charged = sum(charge["amount"] for charge in stripe_emulator.charges.values() if charge["paid"])
    assert charged == sum(order.total for order in paid) * 100 == 5 * 4000
    assert not Registration.objects.taking_seats().filter(event=event).exclude(status="confirmed").exists()


# Group prices: a price per attendee that depends on how many register together


@pytest.mark.django_db(transaction=True)
def test_a_group_pays_the_group_price_each_and_a_code_applies_on_top(client, stripe_emulator):
    event = make_event("Team day", tickets=[("Standard", "90.00")], currency="EUR", capacity=20)
    ticket = event.ticket_types.get()
    ticket.group_size, ticket.group_price = 3, Decimal("70.00")
    ticket.save()
    assert (
        "€70.00 each for 3 or more registered together."
        in client.get(f"/events/{event.slug}/register/").content.decode()
    )

    two = checkout_session_id(post(client, event, form(event, quantity=2)))
    three = checkout_session_id(post(client, event, form(event, quantity=3)))
    assert stripe_emulator.sessions[two]["amount_total"] == 2 * 9000
    assert stripe_emulator.sessions[three]["amount_total"] == 3 * 7000
    assert set(Order.objects.get(stripe_checkout_session_id=three).registrations.values_list("price", "discount")) == {
        (Decimal("70.00"), Decimal("0.00"))
    }
    make_code(event, "HALF", value=Decimal(50))
    with_code = checkout_session_id(post(client, event, form(event, quantity=3, code="half")))
    assert stripe_emulator.sessions[with_code]["amount_total"] == 3 * 3500


@pytest.mark.parametrize(
    "size,group_price,message",
    [
        (3, None, "Give both the group size and the group price, or neither."),
        (None, "70.00", "Give both the group size and the group price, or neither."),
        (3, "90.00", "A group price is less than the ticket's price."),
        (1, "70.00", "Ensure this value is greater than or equal to 2."),
    ],
)
def test_a_group_price_must_be_whole_and_lower(size, group_price, message):
    from django.core.exceptions import ValidationError

    from events.models import TicketType

    ticket = TicketType(name="Standard", price=Decimal("90.00"), group_size=size)
    ticket.group_price = Decimal(group_price) if group_price else None
    with pytest.raises(ValidationError) as refused:
        ticket.full_clean(exclude=["page"])
    assert message in str(refused.value)
