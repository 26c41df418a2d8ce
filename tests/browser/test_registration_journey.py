"""A clinician registers in the browser: paying on Stripe's (emulated) hosted page, or free."""

import pytest
from playwright.sync_api import expect

from registrations.models import Order
from tests.factories import make_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_attendee(page, name, email, ce=False):
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email").fill(email)
    if ce:
        page.get_by_label("Profession").fill("Clinical psychologist")
        page.get_by_label("Licence number").fill("PSY-2231")


def test_paid_registration_through_the_hosted_checkout(page, stripe_emulator):
    event = make_event(
        "Alliance intensive",
        tickets=[("Clinician", "149.00"), ("Student", "79.00")],
        currency="USD",
        ce_hours=6,
        capacity=20,
    )
    page.goto(event.url)
    page.get_by_role("link", name="Register now").click()
    page.get_by_label("Student – $79.00").check()
    fill_attendee(page, "Dana Rivera", "dana@example.com", ce=True)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_text("Stripe test emulator")).to_be_visible()
    page.get_by_role("button", name="Pay $79.00 USD").click()

    expect(page.get_by_role("heading", name="You're registered")).to_be_visible()
    page.get_by_role("link", name="Open ticket").click()
    expect(page.locator(".ticket-status")).to_have_text("Confirmed")
    order = Order.objects.get()
    assert order.status == Order.Status.PAID and order.total == 79


def test_free_registration_for_two(page):
    event = make_event("Community forum", tickets=[("Free", "0")], capacity=20)
    page.goto(f"/events/{event.slug}/register/")
    page.get_by_label("Number of attendees").fill("2")
    page.get_by_role("button", name="Update number of attendees").click()
    attendees = page.locator("fieldset.attendee")
    expect(attendees).to_have_count(2)
    for i, who in enumerate(["Ari", "Bea"]):
        attendees.nth(i).get_by_label("Full name").fill(f"{who} Example")
        attendees.nth(i).get_by_label("Email").fill(f"{who.lower()}@example.com")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="You're registered")).to_be_visible()
    expect(page.get_by_role("link", name="Open ticket")).to_have_count(2)


def test_errors_are_shown_next_to_the_fields(page):
    event = make_event("Validation", tickets=[("Free", "0")])
    page.goto(f"/events/{event.slug}/register/")
    page.get_by_label("Email").fill("not an email")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    assert not Order.objects.exists()
