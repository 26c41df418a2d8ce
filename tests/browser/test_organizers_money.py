"""Two organizers sell through the platform, each paid directly (Stripe Connect), each with its own
tax: a Madrid organizer (EUR, 21% IVA included in the prices) and a Boston one (USD, 6.25% sales tax
added). In the browser, each team connects its Stripe account on Stripe's hosted onboarding; buyers
use a member code (a price sold only with it) and a discount code, answer the event's questions,
give billing details, pay on Stripe's page and get their invoice; the team refunds one order. Then
the books balance to the cent: what the dashboard says, what the invoices and credit notes say,
and what Stripe's charges, transfers and application fees say, for each organizer and the platform."""

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from events.models import EventPage, EventQuestion
from registrations.models import Invoice, Order, PayoutAccount, PromoCode
from tests.factories import event_index, make_event
from tests.test_organizer_permissions import approved_organizer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password"

ORGANIZERS = {
    "madrid": {
        "name": "Instituto Alianza", "currency": "EUR", "country": "ES", "prefix": "MAD",
        "details": {"legal_name": "Instituto Alianza S.L.", "legal_address": "Calle Mayor 1\n28013 Madrid",
                    "legal_country": "ES", "tax_id": "ESB12345678", "tax_name": "IVA", "tax_rate": Decimal(21),
                    "prices_include_tax": True},
        "general": "120.00", "member": "90.00", "member_code": "SOCIO", "discount_code": "ALIANZA10",
        # member: 90.00 incl. 15.62 IVA; two general seats at 10% off: 216.00 incl. 37.49 IVA
        "orders": [("90.00", "15.62"), ("216.00", "37.49")],
        "tax_shown": "IVA (21% included)",
    },
    "boston": {
        "name": "Boston CE Collaborative", "currency": "USD", "country": "US", "prefix": "BOS",
        "details": {"legal_name": "Boston CE Collaborative, Inc.", "legal_address": "1 Main St\nBoston, MA 02110",
                    "legal_country": "US", "tax_id": "12-3456789", "tax_name": "Sales tax",
                    "tax_rate": Decimal("6.25"), "prices_include_tax": False},
        "general": "200.00", "member": "150.00", "member_code": "MEMBER", "discount_code": "BOSTON10",
        # member: 150.00 + 9.38 tax; two general seats at 10% off: 360.00 + 22.50 tax
        "orders": [("159.38", "9.38"), ("382.50", "22.50")],
        "tax_shown": "Sales tax (6.25%)",
    },
}  # fmt: skip


@pytest.fixture
def platform(settings, django_user_model):
    settings.REGISTRATIONS_CONNECT = True
    settings.REGISTRATIONS_PLATFORM_FEE_PERCENT = 5
    settings.REGISTRATIONS_PLATFORM_FEE_FIXED = "0.30"
    event_index()
    setups = {}
    for key, spec in ORGANIZERS.items():
        organizer = approved_organizer(spec["name"])
        for field, value in {**spec["details"], "invoice_prefix": spec["prefix"]}.items():
            setattr(organizer, field, value)
        organizer.save()
        member = django_user_model.objects.create_user(f"{key}-team", f"{key}@example.com", PASSWORD)
        member.groups.add(organizer.team)
        event = make_event(
            f"Therapeutic alliance ({key})", organizer=organizer, currency=spec["currency"], capacity=30,
            tickets=[("General", spec["general"]), ("Member", spec["member"])],
        )  # fmt: skip
        page = EventPage.objects.get(pk=event.pk)
        member_ticket = page.ticket_types.get(name="Member")
        member_ticket.code_only = True
        page.questions = [
            EventQuestion(
                label="Licensing board", kind="choice", choices="State board\nNational college", required=True
            ),
            EventQuestion(label="Access needs", kind="short_text"),
        ]
        page.save_revision().publish()
        code = PromoCode.objects.create(organizer=organizer, event=event, code=spec["member_code"], value=0)
        code.ticket_types.set([member_ticket])
        PromoCode.objects.create(organizer=organizer, event=event, code=spec["discount_code"], value=10)
        setups[key] = {"organizer": organizer, "event": EventPage.objects.get(pk=event.pk), "user": member.username}
    return setups


def sign_in(page, username, next_path):
    page.goto(f"/admin/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(re.compile(re.escape(next_path)))


def connect_on_stripe(page, setup, country):
    """The team's way: Payouts, Connect with Stripe, Stripe's onboarding page, back to Payouts."""
    sign_in(page, setup["user"], "/admin/registrations/payouts/")
    row = page.locator(f'tr[data-organizer="{setup["organizer"].slug}"]')
    expect(row).to_have_attribute("data-status", "not_connected")
    row.locator("select[name=country]").select_option(country)
    row.get_by_role("button", name="Connect with Stripe").click()
    page.get_by_role("button", name="Complete onboarding").click()
    expect(page.locator(f'tr[data-organizer="{setup["organizer"].slug}"]')).to_have_attribute("data-status", "active")


def buy(browser, base_url, setup, spec, *, code, ticket, quantity, billing=None):
    """A buyer in a browser of their own: the code, the ticket, the questions, Stripe's page."""
    context = browser.new_context(base_url=base_url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    event = setup["event"]
    page.goto(f"/events/{event.slug}/register/?code={code}")
    expect(page.get_by_role("status").filter(has_text=f"Code {code} applied.")).to_be_visible()
    page.locator(".ticket-choice", has_text=ticket).get_by_role("radio").check()
    if quantity > 1:
        page.get_by_label("Number of attendees").fill(str(quantity))
        page.get_by_role("button", name="Update number of attendees").click()
    for i, attendee in enumerate(page.locator("fieldset.attendee").all()):
        attendee.get_by_label("Full name").fill(f"Clinician {i} {spec['prefix']}")
        attendee.get_by_label("Email").fill(f"clinician{i}.{spec['prefix'].lower()}@example.com")
        attendee.get_by_label("National college").check()
    if billing:
        page.get_by_text("Invoice details for an employer (optional)").click()
        page.get_by_label("Organization").fill(billing["organization"])
        page.get_by_label("Billing address").fill(billing["address"])
        page.get_by_label("Country", exact=True).select_option(billing["country"])
        page.get_by_label("Tax id").fill(billing["tax_id"])
    page.get_by_role("button", name="Continue").last.click()

    expect(page.get_by_text("Stripe test emulator")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(re.escape(spec["tax_shown"])))).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Pay (?!by)")).click()
    expect(page.get_by_role("heading", name="You're registered")).to_be_visible()
    order = Order.objects.filter(event=event).order_by("-pk").first()
    invoice = order.invoices.get()
    link = page.get_by_role("link", name=f"Invoice {invoice.display_number} (PDF)")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    context.close()
    return order, invoice, text


def dashboard_figures(page, event, currency):
    page.goto(f"/admin/registrations/events/{event.pk}/dashboard/")
    row = page.locator(f'[data-figures="revenue"] tr[data-currency="{currency}"]')
    return {
        name: Decimal(row.locator(f'[data-figure="{name}"]').inner_text().split()[0].replace(",", ""))
        for name in ("paid", "refunded", "fees", "tax", "net")
    }


def minor(amount):
    return int(Decimal(amount) * 100)


def test_two_organizers_sell_with_their_own_tax_and_the_books_balance(
    page, browser, live_server, platform, stripe_emulator
):
    for key, spec in ORGANIZERS.items():
        setup = platform[key]
        connect_on_stripe(page, setup, spec["country"])
        account = PayoutAccount.objects.get(organizer=setup["organizer"]).stripe_account_id

        member_order, member_invoice, member_pdf = buy(
            browser, live_server.url, setup, spec, code=spec["member_code"], ticket="Member", quantity=1
        )
        billing = {"organization": "Hospital Clínico", "address": "Calle Profesor Martín Lagos", "country": "ES",
                   "tax_id": "Q2878022F"}  # fmt: skip
        group_order, group_invoice, group_pdf = buy(
            browser, live_server.url, setup, spec, code=spec["discount_code"], ticket="General", quantity=2,
            billing=billing,
        )  # fmt: skip
        for order, (total, tax) in zip((member_order, group_order), spec["orders"], strict=True):
            order.refresh_from_db()
            assert (order.status, order.total, order.tax_amount) == ("paid", Decimal(total), Decimal(tax))
            assert order.destination_account == account
            assert [r.answers for r in order.registrations.all()] == [
                {setup["event"].questions.get(label="Licensing board").key: "National college"}
            ] * order.registrations.count()
        assert member_invoice.display_number == f"{spec['prefix']}-00001"
        assert group_invoice.display_number == f"{spec['prefix']}-00002"
        assert spec["details"]["legal_name"] in member_pdf and spec["details"]["tax_id"] in member_pdf
        assert "Hospital Clínico" in group_pdf and "Q2878022F" in group_pdf

        # The team refunds the group's order: one seat's worth, tax included.
        seat = group_order.registrations.first()
        page.goto(f"/admin/registrations/orders/{group_order.pk}/refund/")
        page.get_by_label("Amount").fill(str(seat.charged))
        page.get_by_role("button", name="Refund", exact=True).click()
        expect(page.get_by_text(f"Refunded {seat.charged} {spec['currency']}.", exact=True)).to_be_visible()
        page.context.clear_cookies()  # the next organizer's team signs in afresh
        assert stripe_emulator.drain(timeout=10)

        # The books, three ways.
        event = setup["event"]
        invoices = Invoice.objects.filter(order__event=event)
        transfers = {t["id"]: t for t in stripe_emulator.transfers.values() if t["destination"] == account}
        charges = [c for c in stripe_emulator.charges.values() if c["transfer"] in transfers]
        fees = [stripe_emulator.application_fees[c["application_fee"]] for c in charges]
        paid = sum(c["amount"] for c in charges)
        refunded = sum(c["amount_refunded"] for c in charges)
        to_organizer = sum(t["amount"] - t["amount_reversed"] for t in transfers.values())
        # The platform keeps its fees, less any it gave back and any refund it paid from its own balance.
        platform_paid = refunded - sum(t["amount_reversed"] for t in transfers.values())
        kept_by_platform = sum(f["amount"] - f["amount_refunded"] for f in fees) - platform_paid
        assert paid - refunded == kept_by_platform + to_organizer  # every cent is someone's
        assert platform_paid == 0  # the organizer gave the refund back whole: the platform keeps its fees

        sign_in(page, setup["user"], f"/admin/registrations/events/{event.pk}/dashboard/")
        figures = dashboard_figures(page, event, spec["currency"])
        assert minor(figures["paid"]) == paid == minor(sum(i.total for i in invoices if not i.is_credit_note))
        assert minor(figures["refunded"]) == refunded == -minor(sum(i.total for i in invoices if i.is_credit_note))
        assert minor(figures["fees"]) == kept_by_platform
        assert minor(figures["net"]) == to_organizer
        assert figures["tax"] == sum(i.tax for i in invoices)
        credit_note = invoices.get(kind="credit_note")
        assert credit_note.display_number == f"{spec['prefix']}-CN-00001" and credit_note.total == -seat.charged
        page.context.clear_cookies()
