"""An attendee opens their ticket on a phone or a desktop: the short door code under the QR code,
and cancelling that asks first, keeps the ticket on "Keep my ticket", and says what happens to
the money."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registrations.models import Registration
from tests.factories import make_event, make_registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}], ids=["phone", "desktop"]
)


def upcoming(price):
    return make_event(
        "Alliance workshop",
        tickets=[("Standard", price)],
        currency="USD",
        start=timezone.now() + dt.timedelta(days=30),
        cancellation_deadline_days=7,
    )


def fits(page, locator):
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


@WIDTHS
def test_the_ticket_shows_its_short_door_code_under_the_qr_code(page, viewport):
    page.set_viewport_size(viewport)
    ana = make_registration(upcoming("0"), name="Ana Pérez", price="0")
    page.goto(f"/tickets/{ana.ticket_secret}/")
    code = page.locator(".ticket-qr .ticket-code")
    expect(code).to_have_text(ana.door_code_display)
    assert fits(page, code)
    qr, caption = page.locator(".ticket-qr svg").bounding_box(), code.bounding_box()
    assert caption["y"] >= qr["y"] + qr["height"]  # under the QR code
    expect(page.get_by_text(ana.ticket_secret, exact=True)).to_have_count(0)  # the long secret is not printed


@WIDTHS
def test_cancelling_a_free_ticket_asks_first_and_keep_my_ticket_changes_nothing(page, viewport):
    page.set_viewport_size(viewport)
    ana = make_registration(upcoming("0"), name="Ana Pérez", price="0")
    page.goto(f"/tickets/{ana.ticket_secret}/")
    page.get_by_role("link", name="Cancel my registration").click()

    expect(page.get_by_role("heading", name="Cancel your registration?")).to_be_visible()
    expect(page.get_by_text("Alliance workshop")).to_be_visible()
    expect(page.get_by_text("refund")).to_have_count(0)
    yes, keep = page.get_by_role("button", name="Yes, cancel"), page.get_by_role("link", name="Keep my ticket")
    assert fits(page, yes) and fits(page, keep)
    keep.click()
    expect(page.locator(".ticket-status")).to_have_text("Confirmed")
    ana.refresh_from_db()
    assert ana.status == Registration.Status.CONFIRMED

    page.get_by_role("link", name="Cancel my registration").click()
    page.get_by_role("button", name="Yes, cancel").click()
    expect(page.locator(".ticket-status")).to_have_text("Cancelled")
    expect(page.get_by_text("Your registration is cancelled.")).to_be_visible()
    expect(page.get_by_text("card")).to_have_count(0)
    ana.refresh_from_db()
    assert ana.status == Registration.Status.CANCELLED


def test_cancelling_a_paid_ticket_says_how_much_goes_back_to_the_card(page, stripe_emulator):
    event = upcoming("79.00")
    page.goto(event.url)
    page.get_by_role("link", name="Register now").click()
    page.get_by_label("Full name").fill("Dana Rivera")
    page.get_by_label("Email").fill("dana@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Pay $79.00 USD").click()
    page.get_by_role("link", name="Open ticket").click()

    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Cancel my registration").click()
    expect(page.get_by_text("$79.00 will be refunded to the card you paid with.")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel").click()
    expect(page.get_by_text("$79.00 is being refunded to the card you paid with")).to_be_visible()
    expect(page.locator(".ticket-status")).to_have_text("Cancelled")
