"""Tax as each organizer charges it (included in the price, or added), computed as Stripe computes
it, and the receipts/invoices and credit notes that follow: numbered per seller without gaps,
frozen when issued, attached to the emails, downloadable from the order page and the admin.

The payment flow runs through the real stripe client and the emulator over HTTP."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import requests
import stripe
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader

from events.models import EventPage
from events.money import Tax, split
from registrations import stripe_gateway
from registrations.models import Invoice, Order, PayoutAccount, PromoCode, StripeTaxRate
from registrations.services import fulfilment, invoices, refunds
from registrations.stripe_emulator.server import StripeError
from tests.concurrency import at_once
from tests.factories import OrganizerFactory, make_event
from tests.registration_helpers import checkout_session_id, latest_order, register

pytestmark = [pytest.mark.django_db(transaction=True)]


def pdfs(message):
    """(filename, content, mimetype) of each PDF attached to `message`."""
    return [a for a in message.attachments if isinstance(a, tuple) and a[2] == "application/pdf"]


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def madrid():
    return OrganizerFactory(
        name="Instituto Alianza", slug="alianza", legal_name="Instituto Alianza S.L.", legal_address="Calle Mayor 1\n28013 Madrid",
        legal_country="ES", tax_id="ESB12345678", tax_name="IVA", tax_rate=Decimal("21"), prices_include_tax=True,
        invoice_prefix="MAD",
    )  # fmt: skip


@pytest.fixture
def boston():
    return OrganizerFactory(
        name="Boston CE", slug="boston-ce", legal_address="1 Main St\nBoston, MA 02110", legal_country="US",
        tax_id="12-3456789", tax_name="Sales tax", tax_rate=Decimal("6.25"), prices_include_tax=False,
    )  # fmt: skip


def paid(client, stripe_emulator, event, quantity=1, **data):
    session_id = checkout_session_id(register(client, event, quantity=quantity, **data))
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    order = latest_order()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order, stripe_emulator.sessions[session_id]


# The rule, as Stripe computes a tax rate on a line


@pytest.mark.parametrize(
    ("amount", "rate", "inclusive", "currency", "tax", "gross"),
    [
        ("240.00", "21", True, "EUR", "41.65", "240.00"),  # 240 × 21/121 = 41.652…
        ("200.00", "6.25", False, "USD", "12.50", "212.50"),
        ("0.43", "15", False, "USD", "0.06", "0.49"),  # 0.0645: half up at the cent only (Stripe's example)
        ("4.84", "15", False, "USD", "0.73", "5.57"),  # 0.726
        ("1.00", "12.5", False, "USD", "0.13", "1.13"),  # 0.125: half up
        ("1500", "10", True, "JPY", "136", "1500"),  # 136.36…: whole yen
        ("1500", "8.875", False, "JPY", "133", "1633"),  # 133.125
    ],
)
def test_tax_is_computed_on_the_line_and_rounded_half_up(amount, rate, inclusive, currency, tax, gross):
    rule = Tax("VAT", Decimal(rate), inclusive)
    assert rule.on(Decimal(amount), currency) == Decimal(tax)
    assert rule.gross(Decimal(amount), currency) == Decimal(gross)


@pytest.mark.parametrize(("tax", "count", "currency"), [("41.65", 2, "EUR"), ("0.07", 3, "USD"), ("136", 5, "JPY")])
def test_a_tax_split_between_seats_adds_up_to_it_exactly(tax, count, currency):
    shares = split(Decimal(tax), count, currency)
    assert len(shares) == count and sum(shares) == Decimal(tax)
    assert max(shares) - min(shares) <= Decimal(1).scaleb(-2 if currency != "JPY" else 0)


def test_the_ticket_types_own_rate_wins_over_the_organizers(madrid):
    event = make_event("Rates", organizer=madrid, tickets=[("Standard", "100"), ("Book", "30"), ("Exempt", "50")])
    standard, book, exempt = event.ticket_types.all()
    book.tax_rate, exempt.tax_rate = Decimal(4), Decimal(0)
    assert event.tax_on(standard) == Tax("IVA", Decimal(21), True)
    assert event.tax_on(book) == Tax("IVA", Decimal(4), True)
    assert event.tax_on(exempt) is None  # a rate of 0 is no tax
    madrid.tax_rate = None
    assert event.tax_on(standard) is None and event.tax_on(book) == Tax("IVA", Decimal(4), True)


# Checkout: shown, charged by Stripe, stored


def test_prices_that_include_tax_charge_the_price_and_store_the_tax_in_it(client, stripe_emulator, madrid, mailoutbox):
    event = make_event("Alianza terapéutica", organizer=madrid, tickets=[("General", "120.00")], currency="EUR")
    page = client.get(f"/events/{event.slug}/register/").content.decode()
    assert "incl. 21% IVA" in page  # the buyer sees the tax before paying

    order, session = paid(client, stripe_emulator, event, quantity=2)
    assert (order.total, order.tax_amount, order.net_amount) == (Decimal("240.00"), Decimal("41.65"), Decimal("198.35"))
    assert (order.tax_name, order.tax_rate, order.tax_inclusive) == ("IVA", Decimal("21"), True)
    assert sorted(order.registrations.values_list("tax", flat=True)) == [Decimal("20.82"), Decimal("20.83")]
    # Stripe computed the same tax from a TaxRate object, and charged the price.
    assert (session["amount_subtotal"], session["amount_total"]) == (24000, 24000)
    assert session["total_details"]["amount_tax"] == 4165
    (rate,) = stripe_emulator.tax_rates.values()
    assert (rate["display_name"], rate["percentage"], rate["inclusive"], rate["country"]) == ("IVA", 21.0, True, "ES")
    assert not order.log_entries.filter(action="amount_mismatch").exists()

    page = client.get(f"/orders/{order.token}/").content.decode()
    assert "(including €41.65 IVA at 21%)" in page
    assert "Amount paid: €120.00" in mailoutbox[0].body and "(including €20.8" in mailoutbox[0].body


def test_prices_that_exclude_tax_add_it_and_stripe_charges_the_sum(client, stripe_emulator, boston):
    event = make_event("Grief seminar", organizer=boston, tickets=[("Clinician", "200.00")], currency="USD")
    assert "+ 6.25% Sales tax" in client.get(f"/events/{event.slug}/register/").content.decode()
    order, session = paid(client, stripe_emulator, event)
    assert (order.total, order.tax_amount, order.net_amount) == (Decimal("212.50"), Decimal("12.50"), Decimal("200.00"))
    assert (session["amount_subtotal"], session["amount_total"], session["total_details"]["amount_tax"]) == (
        20000,
        21250,
        1250,
    )
    charge = stripe_emulator.charges[stripe_emulator.payment_intents[order.stripe_payment_intent_id]["latest_charge"]]
    assert charge["amount"] == 21250
    registration = order.registrations.get()
    assert (registration.price, registration.tax, registration.charged) == (
        Decimal("200.00"),
        Decimal("12.50"),
        Decimal("212.50"),
    )
    page = client.get(f"/orders/{order.token}/").content.decode()
    assert "Sales tax 6.25%" in page and "$12.50" in page and "$212.50" in page


def test_one_stripe_tax_rate_serves_every_order_with_that_rate(client, stripe_emulator, madrid):
    event = make_event("Twice", organizer=madrid, tickets=[("General", "50.00")], currency="EUR")
    paid(client, stripe_emulator, event)
    stripe_emulator._idempotency.clear()  # a day later: Stripe has forgotten the idempotency keys
    paid(client, stripe_emulator, event)
    assert len(stripe_emulator.tax_rates) == 1 and StripeTaxRate.objects.count() == 1


@pytest.mark.parametrize("gone", ["another account", "archived"])
def test_a_tax_rate_stripe_no_longer_takes_is_made_again_and_the_buyer_pays(client, stripe_emulator, madrid, gone):
    event = make_event("Moved", organizer=madrid, tickets=[("General", "50.00")], currency="EUR")
    paid(client, stripe_emulator, event)
    (old,) = stripe_emulator.tax_rates.values()
    if gone == "another account":  # the site now talks to another Stripe account, or live mode
        stripe_emulator.tax_rates.clear()
    else:
        old["active"] = False  # someone archived it in Stripe's dashboard
    order, session = paid(client, stripe_emulator, event)
    (new,) = [rate for rate in stripe_emulator.tax_rates.values() if rate["active"]]
    assert new["id"] != old["id"] and StripeTaxRate.objects.get().stripe_id == new["id"]
    assert (order.tax_amount, session["total_details"]["amount_tax"]) == (Decimal("8.68"), 868)
    paid(client, stripe_emulator, event)  # and the new one serves the next order
    assert len([rate for rate in stripe_emulator.tax_rates.values() if rate["active"]]) == 1


def test_a_stripe_tax_rate_is_shared_only_by_orders_with_the_very_same_tax(client, stripe_emulator):
    sellers = [
        ("a", "VAT", "21", True, "ES"), ("b", "VAT", "21", True, "ES"), ("c", "VAT", "21", False, "ES"),
        ("d", "VAT", "21", True, "PT"), ("e", "IVA", "21", True, "ES"), ("f", "VAT", "21.5", True, "ES"),
        ("g", "VAT", "20", True, ""),
    ]  # fmt: skip
    for slug, name, rate, inclusive, country in sellers:
        seller = OrganizerFactory(
            name=slug, slug=slug, tax_name=name, tax_rate=Decimal(rate), prices_include_tax=inclusive,
            legal_country=country,
        )  # fmt: skip
        paid(client, stripe_emulator, make_event(f"Event {slug}", organizer=seller, tickets=[("T", "10.00")]))
    made = sorted(
        (r["display_name"], r["percentage"], r["inclusive"], r["country"], r["jurisdiction"])
        for r in stripe_emulator.tax_rates.values()
    )
    assert made == [
        ("IVA", 21.0, True, "ES", "ES"),
        ("VAT", 20.0, True, None, None),
        ("VAT", 21.0, False, "ES", "ES"),
        ("VAT", 21.0, True, "ES", "ES"),
        ("VAT", 21.0, True, "PT", "PT"),
        ("VAT", 21.5, True, "ES", "ES"),
    ]
    assert StripeTaxRate.objects.count() == 6


def test_a_seller_without_tax_charges_none(client, stripe_emulator):
    event = make_event("No tax", tickets=[("General", "50.00")], currency="USD")
    order, session = paid(client, stripe_emulator, event)
    assert (order.tax_amount, order.tax_rate, session["total_details"]["amount_tax"]) == (0, None, 0)
    assert not stripe_emulator.tax_rates
    assert "No tax was charged" in pdf_text(invoices.render_pdf(order.invoices.get()))


def test_a_difference_between_stripe_and_the_order_is_logged_not_passed_over(client, stripe_emulator, boston):
    event = make_event("Mismatch", organizer=boston, tickets=[("Clinician", "200.00")], currency="USD")
    stripe_emulator.set_webhook_mode("hold")
    session_id = checkout_session_id(register(client, event))
    Order.objects.filter(pk=latest_order().pk).update(tax_amount=Decimal("12.49"))  # as if our rule drifted
    stripe_emulator.pay(session_id)
    order = fulfilment.fulfil(session_id)
    mismatch = order.log_entries.get(action="amount_mismatch").detail
    assert mismatch == {"charged": [21250, 1250], "expected": [21250, 1249]}
    assert order.status == Order.Status.PAID  # the money came: the seat is the buyer's


# Invoices and credit notes


def test_a_paid_order_gets_an_invoice_attached_to_the_buyers_confirmation(client, stripe_emulator, madrid, mailoutbox):
    event = make_event("Alianza", organizer=madrid, tickets=[("General", "120.00")], currency="EUR")
    billing = {
        "billing-organization": "Hospital Clínico", "billing-address": "Calle Profesor Martín Lagos\nMadrid",
        "billing-country": "PT", "billing-tax_id": "Q2878022F",
    }  # fmt: skip
    order, _ = paid(client, stripe_emulator, event, quantity=2, **billing)
    invoice = order.invoices.get()
    assert (invoice.display_number, invoice.kind, invoice.total, invoice.tax, invoice.net) == (
        "MAD-00001",
        Invoice.Kind.INVOICE,
        Decimal("240.00"),
        Decimal("41.65"),
        Decimal("198.35"),
    )
    assert invoice.seller["name"] == "Instituto Alianza S.L." and invoice.seller["tax_id"] == "ESB12345678"
    assert invoice.buyer["organization"] == "Hospital Clínico" and invoice.buyer["tax_id"] == "Q2878022F"
    assert order.log_entries.filter(action="invoiced", detail__invoice="MAD-00001").exists()

    buyer_mail, other_mail = sorted(mailoutbox, key=lambda m: m.to[0])
    assert buyer_mail.to == ["attendee0@example.com"]
    (attachment,) = pdfs(buyer_mail)
    assert attachment[0] == "invoice-MAD-00001.pdf"
    assert not pdfs(other_mail)  # the other attendee gets no invoice
    text = pdf_text(attachment[1])
    for expected in (
        "MAD-00001", "Instituto Alianza S.L.", "ESB12345678", "Spain", "Hospital Clínico", "Q2878022F", "Portugal",
        "Alianza, ", f"#{order.pk}", "Paid in full on",
    ):  # fmt: skip
        assert expected in text, expected
    assert "41,65" in text or "41.65" in text

    # The order page links it; the link works only through this order's secret address.
    page = client.get(f"/orders/{order.token}/").content.decode()
    url = f"/orders/{order.token}/invoices/{invoice.pk}.pdf"
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    other, _ = paid(client, stripe_emulator, event)
    assert client.get(f"/orders/{other.token}/invoices/{invoice.pk}.pdf").status_code == 404
    assert other.invoices.get().display_number == "MAD-00002"


def test_refunds_get_credit_notes_that_give_back_exactly_the_tax(client, stripe_emulator, boston, mailoutbox):
    event = make_event("Refunds", organizer=boston, tickets=[("Clinician", "100.00")], currency="USD")
    order, _ = paid(client, stripe_emulator, event, quantity=3)  # 300 + 18.75 tax
    assert (order.total, order.tax_amount) == (Decimal("318.75"), Decimal("18.75"))
    mailoutbox.clear()
    for amount in ("100.01", "100.01", "118.73"):
        refund = refunds.refund(order, Decimal(amount))
        assert refund.status == "succeeded"
    notes = list(order.invoices.filter(kind=Invoice.Kind.CREDIT_NOTE).order_by("number"))
    assert [note.display_number for note in notes] == ["BOSTON-CE-CN-00001", "BOSTON-CE-CN-00002", "BOSTON-CE-CN-00003"]
    assert [note.total for note in notes] == [Decimal("-100.01"), Decimal("-100.01"), Decimal("-118.73")]
    # Each note's tax is its share; together they give back the order's tax to the cent.
    assert sum(note.tax for note in notes) == -order.tax_amount
    assert sum(invoice.total for invoice in order.invoices.all()) == 0
    assert all(note.net + note.tax == note.total for note in notes)
    # Each refund's email carries its credit note.
    assert [[a[0] for a in pdfs(m)] for m in mailoutbox] == [
        [f"credit-note-{note.display_number}.pdf"] for note in notes
    ]
    text = pdf_text(invoices.render_pdf(notes[0]))
    assert "Credit note" in text and "BOSTON-CE-00001" in text  # it names the invoice it corrects


def test_a_refund_stripe_fails_after_it_succeeded_gets_its_credit_note_cancelled_once(
    client, stripe_emulator, boston, mailoutbox
):
    event = make_event("Closed card", organizer=boston, tickets=[("Clinician", "100.00")], currency="USD")
    order, _ = paid(client, stripe_emulator, event, quantity=2)  # 200 + 12.50 tax
    Order.objects.filter(pk=order.pk).update(language="es")  # the buyer reads Spanish
    order.refresh_from_db()
    refund = refunds.refund(order, Decimal("106.25"))
    note = order.invoices.get(kind=Invoice.Kind.CREDIT_NOTE)
    # The card was closed: Stripe fails the refund after it succeeded, and tells us twice.
    stripe_emulator.settle_refund(refund.stripe_refund_id, succeeded=False)
    assert stripe_emulator.drain(timeout=10)
    for delivery in stripe_emulator.deliveries():
        if delivery["type"] == "refund.failed":
            stripe_emulator.resend_event(delivery["event_id"])
    assert stripe_emulator.drain(timeout=10)
    refund.refresh_from_db()
    assert refund.status == "failed" and refund.error == "expired_or_canceled_card"
    debit = order.invoices.get(kind=Invoice.Kind.DEBIT_NOTE)
    assert (debit.display_number, debit.cancels, debit.total, debit.tax) == (
        "BOSTON-CE-DN-00001", note, Decimal("106.25"), Decimal("6.25"),
    )  # fmt: skip
    assert debit.lines == [
        {"description": "El reembolso 1 falló: se anula la factura rectificativa BOSTON-CE-CN-00001", "quantity": "1",
         "unit_price": "106.25", "net": "100.00", "tax": "6.25", "total": "106.25"},
    ]  # fmt: skip
    assert invoices.cancel_credit_note(refund) is None  # once
    # The books: what the documents say was paid is what was kept.
    assert sum(invoice.total for invoice in order.invoices.all()) == order.total - order.refunded_amount()
    assert "debit_note" in set(order.log_entries.values_list("action", flat=True))
    text = pdf_text(invoices.render_pdf(debit))
    assert "Nota de débito" in text and note.display_number in text and "sigue pagado" in text
    # The money is refunded again by a new refund, with a credit note of its own: the books still balance.
    again = refunds.refund(order, order.refundable_amount())
    assert again.status == "succeeded" and again.amount == Decimal("212.50")
    assert sum(invoice.total for invoice in order.invoices.all()) == 0
    assert sum(invoice.tax for invoice in order.invoices.all()) == 0  # the tax given back: the order's, once
    assert order.invoices.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 2


def test_after_a_cancelled_credit_note_the_tax_given_back_is_still_the_orders_to_the_cent(
    client, stripe_emulator, boston
):
    event = make_event("Closed card", organizer=boston, tickets=[("Clinician", "100.00")], currency="USD")
    order, _ = paid(client, stripe_emulator, event, quantity=2)  # 212.50, of which 12.50 tax
    failed = refunds.refund(order, Decimal("100.01"))
    stripe_emulator.settle_refund(failed.stripe_refund_id, succeeded=False)
    assert stripe_emulator.drain(timeout=10)
    for amount in ("100.01", "112.49"):  # the buyer is refunded again, in two parts
        refunds.refund(order, Decimal(amount))
    live = order.invoices.filter(kind=Invoice.Kind.CREDIT_NOTE, cancelled_by__isnull=True).order_by("number")
    assert [note.tax for note in live] == [Decimal("-5.88"), Decimal("-6.62")]
    assert sum(invoice.tax for invoice in order.invoices.all()) == 0


def test_a_credit_note_says_what_was_refunded_with_its_tax_rounded_half_up(client, stripe_emulator, madrid):
    event = make_event("Alianza", organizer=madrid, tickets=[("General", "100.00")], currency="EUR")
    session_id = checkout_session_id(register(client, event))
    Order.objects.filter(pk=latest_order().pk).update(language="es")
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    order = latest_order()
    assert order.tax_amount == Decimal("17.36")  # 100.00 incl. 21%
    refunds.refund(order, Decimal("6.25"))  # its tax is 1.085: half up, as a price is
    note = order.invoices.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert note.lines == [
        {"description": "Reembolso de la factura MAD-00001", "quantity": "1", "unit_price": "-6.25",
         "net": "-5.16", "tax": "-1.09", "total": "-6.25"},
    ]  # fmt: skip
    assert (note.net, note.tax, note.total) == (Decimal("-5.16"), Decimal("-1.09"), Decimal("-6.25"))
    refunds.refund(order, Decimal("93.75"))
    last = order.invoices.filter(kind=Invoice.Kind.CREDIT_NOTE).last()
    assert last.tax == Decimal("-16.27") and last.lines[0]["tax"] == "-16.27"


def test_each_credit_note_takes_the_tax_not_yet_given_back(client, stripe_emulator, boston):
    event = make_event("Refunds", organizer=boston, tickets=[("Clinician", "100.00")], currency="USD")
    order, _ = paid(client, stripe_emulator, event, quantity=3)  # 318.75, of which 18.75 tax
    for amount in ("200.00", "118.75"):
        refunds.refund(order, Decimal(amount))
    notes = order.invoices.filter(kind=Invoice.Kind.CREDIT_NOTE).order_by("number")
    # 200.00 carries 11.76 (11.7647 rounded); the rest is what is left: 6.99.
    assert [note.tax for note in notes] == [Decimal("-11.76"), Decimal("-6.99")]


def test_a_credit_note_of_an_untaxed_order_carries_no_tax(client, stripe_emulator):
    organizer = OrganizerFactory(name="No Tax Institute", legal_address="1 Quiet St")
    event = make_event("Untaxed", organizer=organizer, tickets=[("General", "40.00")], currency="GBP")
    order, _ = paid(client, stripe_emulator, event)
    refunds.refund(order, Decimal("15.00"))
    note = order.invoices.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert (note.tax, note.net, note.total, note.lines[0]["tax"]) == (0, Decimal("-15.00"), Decimal("-15.00"), "0.00")


def test_a_free_order_gets_no_invoice(client, madrid):
    event = make_event("Free", organizer=madrid, tickets=[("Free", "0")])
    register(client, event)
    order = latest_order()
    assert order.status == Order.Status.PAID and not order.invoices.exists()


def test_an_issued_invoice_never_changes_when_the_organizer_does(client, stripe_emulator, madrid):
    event = make_event("Frozen", organizer=madrid, tickets=[("General", "10.00")], currency="EUR")
    order, _ = paid(client, stripe_emulator, event)
    madrid.legal_name, madrid.tax_id, madrid.invoice_prefix = "Another S.A.", "ES000", "NEW"
    madrid.save()
    text = pdf_text(invoices.render_pdf(order.invoices.get()))
    assert "Instituto Alianza S.L." in text and "MAD-00001" in text and "Another" not in text


def test_numbers_run_per_seller_and_a_rolled_back_number_is_given_again(madrid, boston):
    madrid_event = make_event("M", organizer=madrid, tickets=[("General", "10.00")], currency="EUR")
    boston_event = make_event("B", organizer=boston, tickets=[("General", "10.00")], currency="USD")

    def paid_order(event):
        order = Order.objects.create(
            event=event, buyer_name="A", buyer_email="a@example.com", total=10, currency=event.currency,
            status=Order.Status.PAID,
        )  # fmt: skip
        return invoices.issue_invoice(order)

    assert paid_order(madrid_event).display_number == "MAD-00001"
    assert paid_order(boston_event).display_number == "BOSTON-CE-00001"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert paid_order(madrid_event).number == 2
        raise RuntimeError("the payment's transaction fails after the invoice was numbered")
    assert paid_order(madrid_event).display_number == "MAD-00002"  # no gap
    assert paid_order(madrid_event).display_number == "MAD-00003"


@pytest.mark.postgres
def test_invoices_issued_at_once_take_every_number_once(madrid):
    event = make_event("Rush", organizer=madrid, tickets=[("General", "10.00")], currency="EUR")
    orders = [
        Order.objects.create(
            event=event,
            buyer_name=f"B{i}",
            buyer_email=f"b{i}@example.com",
            total=10,
            currency="EUR",
            status=Order.Status.PAID,
        )  # fmt: skip
        for i in range(12)
    ]

    def issue(order):
        with transaction.atomic():
            return invoices.issue_invoice(Order.objects.select_for_update().get(pk=order.pk)).number

    numbers = at_once([lambda order=order: issue(order) for order in orders])
    assert sorted(numbers) == list(range(1, 13))


# Billing details on the register form


def test_billing_details_are_optional_but_an_organization_needs_an_address(client, stripe_emulator, madrid):
    event = make_event("Billing", organizer=madrid, tickets=[("General", "10.00")], currency="EUR")
    response = register(client, event, **{"billing-organization": "Hospital", "billing-tax_id": "=cmd|' /C calc'!A0"})
    page = response.content.decode()
    assert response.status_code == 200 and not Order.objects.exists()
    assert "An invoice to an organization needs its address and country." in page
    assert "A tax id has only letters, digits" in page
    # Typed details stay when only the number of attendees changes.
    response = register(client, event, update_quantity="1", **{"billing-organization": "Hospital"})
    assert 'value="Hospital"' in response.content.decode() and not Order.objects.exists()


def test_the_admin_shows_tax_billing_and_invoices_to_the_team_only(client, admin_client, stripe_emulator, madrid):
    event = make_event("Admin", organizer=madrid, tickets=[("General", "10.00")], currency="EUR")
    order, _ = paid(client, stripe_emulator, event, **{"billing-organization": "Hospital", "billing-address": "Here",
                                                       "billing-country": "ES"})  # fmt: skip
    invoice = order.invoices.get()
    page = admin_client.get(f"/admin/registrations/orders/{order.pk}/").content.decode()
    assert "MAD-00001" in page and "Hospital" in page and "included in the prices" in page
    url = f"/admin/registrations/orders/{order.pk}/invoices/{invoice.pk}.pdf"
    assert url in page
    assert admin_client.get(url)["Content-Type"] == "application/pdf"
    assert client.get(url).status_code == 302  # not signed in: to the login page
    # The dashboard says how much of the money is tax: invoiced, less credit notes.
    dashboard = admin_client.get(f"/admin/registrations/events/{event.pk}/dashboard/").content.decode()
    assert '<td data-figure="tax">1.74 EUR</td>' in dashboard  # 10.00 × 21/121
    refunds.refund(order, Decimal("5.00"))
    dashboard = admin_client.get(f"/admin/registrations/events/{event.pk}/dashboard/").content.decode()
    assert '<td data-figure="tax">0.87 EUR</td>' in dashboard


# The emulator is as strict as Stripe about tax rates


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"percentage": "21", "inclusive": "true"}, "Missing required param: display_name."),
        ({"display_name": "VAT", "inclusive": "true"}, "Missing required param: percentage."),
        ({"display_name": "VAT", "percentage": "101", "inclusive": "true"}, "between 0 and 100"),
        ({"display_name": "VAT", "percentage": "1.23456", "inclusive": "true"}, "at most 4 decimal places"),
        ({"display_name": "VAT", "percentage": "abc", "inclusive": "true"}, "between 0 and 100"),
        ({"display_name": "VAT", "percentage": "2E+1", "inclusive": "true"}, "between 0 and 100"),
        ({"display_name": "VAT", "percentage": "21"}, "Missing required param: inclusive."),
        ({"display_name": "VAT", "percentage": "21", "inclusive": "true", "country": "Spain"}, "Invalid country"),
    ],
)
def test_the_emulator_refuses_tax_rates_stripe_refuses(stripe_emulator, params, message):
    with pytest.raises(stripe.InvalidRequestError, match=message):
        stripe_gateway.client().v1.tax_rates.create(params=params)


def test_the_emulator_refuses_an_unknown_tax_rate_on_a_line(stripe_emulator):
    line = {"price_data": {"currency": "eur", "unit_amount": 1000, "product_data": {"name": "X"}}, "quantity": 1}
    params = {"mode": "payment", "success_url": "http://x.test/", "line_items": [{**line, "tax_rates": ["txr_nope"]}]}
    with pytest.raises(stripe.InvalidRequestError, match="No such tax rate: 'txr_nope'"):
        stripe_gateway.client().v1.checkout.sessions.create(params=params)


# Stripe's automatic tax: worked out at payment from the buyer's country


@pytest.fixture
def online_academy():
    return OrganizerFactory(
        name="Online Academy", slug="online-academy", legal_country="IE", tax_id="IE1234567T", tax_name="VAT",
        prices_include_tax=False, automatic_tax=True,
    )  # fmt: skip


def pay_from(stripe_emulator, session_id, country):
    stripe_emulator.pay(session_id, country=country)
    assert stripe_emulator.drain(timeout=10)


@pytest.mark.parametrize(
    ("country", "total", "tax", "rate"),
    [("ES", "242.00", "42.00", Decimal(21)), ("DE", "238.00", "38.00", Decimal(19)), ("US", "200.00", "0.00", None)],
)
def test_stripe_tax_works_out_the_tax_from_the_buyers_country(
    client, stripe_emulator, online_academy, country, total, tax, rate
):
    event = make_event("Webinar", organizer=online_academy, tickets=[("Live", "200.00")], currency="EUR")
    assert "+ VAT where due, worked out at payment" in client.get(f"/events/{event.slug}/register/").content.decode()
    session_id = checkout_session_id(register(client, event))
    order = latest_order()
    assert (order.tax_automatic, order.total, order.tax_amount) == (True, Decimal("200.00"), 0)  # until paid
    session = stripe_emulator.sessions[session_id]
    assert session["automatic_tax"]["enabled"] and not stripe_emulator.tax_rates
    assert stripe_emulator._checkout[session_id]["line_items"][0]["tax_behavior"] == "exclusive"
    assert 'name="country"' in requests.get(session["url"], timeout=5).text

    pay_from(stripe_emulator, session_id, country)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert (order.total, order.tax_amount, order.tax_rate) == (Decimal(total), Decimal(tax), rate)
    assert order.billing_country == country and order.registrations.get().tax == Decimal(tax)
    charge = stripe_emulator.charges[stripe_emulator.payment_intents[order.stripe_payment_intent_id]["latest_charge"]]
    assert charge["amount"] == int(Decimal(total) * 100)
    assert not order.log_entries.filter(action="amount_mismatch").exists()
    invoice = order.invoices.get()
    assert (invoice.total, invoice.tax) == (Decimal(total), Decimal(tax))


def test_the_billing_country_the_buyer_gave_stays_on_the_invoice(client, stripe_emulator, online_academy):
    event = make_event("Webinar", organizer=online_academy, tickets=[("Live", "200.00")], currency="EUR")
    billing = {"billing-organization": "Hospital", "billing-address": "Dublin 2", "billing-country": "IE"}
    session_id = checkout_session_id(register(client, event, **billing))
    pay_from(stripe_emulator, session_id, "ES")  # paid with a card from elsewhere: Spain's VAT, as Stripe says
    order = latest_order()
    assert (order.tax_amount, order.billing_country.code) == (Decimal("42.00"), "IE")


def test_stripe_tax_inside_prices_that_include_it(client, stripe_emulator, online_academy):
    online_academy.prices_include_tax = True
    online_academy.save()
    event = make_event("Webinar", organizer=online_academy, tickets=[("Live", "120.00")], currency="EUR")
    assert "incl. VAT where due" in client.get(f"/events/{event.slug}/register/").content.decode()
    session_id = checkout_session_id(register(client, event, quantity=2))
    pay_from(stripe_emulator, session_id, "DE")
    order = latest_order()
    assert (order.total, order.tax_amount, order.tax_rate) == (Decimal("240.00"), Decimal("38.32"), Decimal(19))
    assert sum(order.registrations.values_list("tax", flat=True)) == Decimal("38.32")


def test_a_payment_found_by_the_sweeper_takes_stripes_tax_too(client, stripe_emulator, online_academy):
    event = make_event("Webinar", organizer=online_academy, tickets=[("Live", "200.00")], currency="EUR")
    stripe_emulator.set_webhook_mode("drop")
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id, country="FR")
    assert fulfilment.sweep_overdue_holds(now=timezone.now() + dt.timedelta(hours=1)) == {"released": 0, "fulfilled": 1}
    order = latest_order()
    assert (order.status, order.total, order.tax_amount) == (Order.Status.PAID, Decimal("240.00"), Decimal("40.00"))


def test_with_connect_the_organizer_is_liable_for_stripes_tax(client, stripe_emulator, online_academy, settings):
    settings.REGISTRATIONS_CONNECT = True
    account = stripe_gateway.client().v1.accounts.create(params={"type": "express", "country": "IE"})
    stripe_emulator.complete_onboarding(account.id)
    PayoutAccount.objects.create(organizer=online_academy, stripe_account_id=account.id, charges_enabled=True)
    event = make_event("Webinar", organizer=online_academy, tickets=[("Live", "200.00")], currency="EUR")
    session_id = checkout_session_id(register(client, event))
    session = stripe_emulator.sessions[session_id]
    assert session["automatic_tax"]["liability"] == {"type": "account", "account": account.id}
    pay_from(stripe_emulator, session_id, "ES")
    assert latest_order().total == Decimal("242.00")


def automatic_session_params(tax_behavior="exclusive", **changes):
    price = {"currency": "eur", "unit_amount": 1000, "product_data": {"name": "X"}}
    line = {"price_data": {**price, **({"tax_behavior": tax_behavior} if tax_behavior else {})}, "quantity": 1}
    params = {"mode": "payment", "success_url": "http://x.test/", "automatic_tax": {"enabled": "true"}}
    return {**params, "line_items": [line], **changes}


def test_the_emulator_refuses_automatic_tax_as_stripe_does(stripe_emulator):
    sessions = stripe_gateway.client().v1.checkout.sessions
    rate = stripe_gateway.client().v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": "21", "inclusive": "false"}
    )
    with_rates = automatic_session_params()
    with_rates["line_items"][0]["tax_rates"] = [rate.id]
    with pytest.raises(stripe.InvalidRequestError, match="cannot use `tax_rates` together with `automatic_tax"):
        sessions.create(params=with_rates)
    with pytest.raises(stripe.InvalidRequestError, match="needs each price's tax_behavior"):
        sessions.create(params=automatic_session_params(tax_behavior=None))
    liable = {"enabled": "true", "liability": {"type": "account", "account": "acct_x"}}
    with pytest.raises(stripe.InvalidRequestError, match="No such account: 'acct_x'"):
        sessions.create(params=automatic_session_params(automatic_tax=liable))
    assert not stripe_emulator.sessions


def test_the_emulator_asks_the_buyers_country_when_stripe_tax_needs_it(stripe_emulator):
    session = stripe_gateway.client().v1.checkout.sessions.create(params=automatic_session_params("inclusive"))
    with pytest.raises(StripeError, match="Enter your country"):
        stripe_emulator.pay(session.id)
    assert stripe_emulator.sessions[session.id]["status"] == "open"


def test_an_invoice_says_what_was_bought_in_the_buyers_language_and_is_issued_once(client, stripe_emulator, madrid):
    event = make_event("Alianza", organizer=madrid, tickets=[("General", "100.00")], currency="EUR")
    code = PromoCode.objects.create(organizer=madrid, event=event, code="SOCIO", value=10)
    session_id = checkout_session_id(register(client, event, quantity=2, code=code.code))
    Order.objects.filter(pk=latest_order().pk).update(language="es")  # as if registered in Spanish
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    order = latest_order()
    invoice = order.invoices.get()
    (line,) = invoice.lines
    assert line["description"] == "Alianza – General (código SOCIO)"  # in the buyer's language
    assert (line["quantity"], line["unit_price"], line["net"], line["tax"], line["total"]) == (
        "2", "90.00", "148.76", "31.24", "180.00",
    )  # fmt: skip
    text = pdf_text(invoices.render_pdf(invoice))
    assert "Factura" in text and "Fecha de emisión" in text and "Pagado íntegramente" in text
    assert invoices.issue_invoice(order) == invoice  # issued once
    refund = refunds.refund(order, Decimal("10.00"))
    assert invoices.issue_credit_note(refund) is None  # its credit note is issued once too
    assert order.invoices.count() == 2


def test_an_event_without_an_organizer_invoices_as_the_platform(client, stripe_emulator, settings):
    settings.REGISTRATIONS_SELLER = {"name": "Events Platform Ltd", "tax_id": "GB999", "invoice_prefix": "plat"}
    event = make_event("Platform's own", tickets=[("General", "10.00")], currency="GBP")
    EventPage.objects.filter(pk=event.pk).update(organizer=None)  # as events made before organizers were asked
    order, _ = paid(client, stripe_emulator, event)
    invoice = order.invoices.get()
    assert invoice.display_number == "PLAT-00001" and invoice.organizer is None
    assert invoice.seller == {"name": "Events Platform Ltd", "tax_id": "GB999"}
    settings.REGISTRATIONS_SELLER = {"name": "Events Platform Ltd"}  # no prefix given: INV
    second, _ = paid(client, stripe_emulator, event)
    assert second.invoices.get().display_number == "INV-00002"  # the platform's one series goes on
