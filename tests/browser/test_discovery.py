"""A visitor finds the alliance workshop by text, country and topic, and reads its objectives."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_searches_filters_and_opens_the_alliance_workshop(page):
    call_command("seed_demo", verbosity=0)
    page.goto("/")
    page.get_by_label("Search events").fill("alliance")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url("/events/?q=alliance")
    expect(page.get_by_role("heading", name="The Therapeutic Alliance")).to_be_visible()

    page.get_by_label("Country").select_option("US")
    page.get_by_label("Therapeutic alliance").check()
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".result-count")).to_have_text("1 event")
    page.get_by_role("link", name="The Therapeutic Alliance: Reclaiming").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("The Therapeutic Alliance")
    expect(page.get_by_role("heading", name="Learning objectives")).to_be_visible()
    expect(
        page.get_by_text("Learn 3 essential ingredients to cultivate a therapeutic alliance with clients")
    ).to_be_visible()
    # Times in the event's zone (New York) and, filled in by the browser, in the visitor's (Tokyo).
    first_session = page.locator(".sessions li").first
    expect(first_session.locator("abbr.zone")).to_have_text("EST")
    expect(first_session.locator("[data-viewer-time]")).to_be_visible()
    expect(first_session.locator("[data-viewer-time-text]")).to_contain_text("GMT+9")


def test_filters_narrow_the_listing_to_nothing_and_back(page):
    call_command("seed_demo", verbosity=0)
    page.goto("/events/?country=JP&format=online")
    expect(page.get_by_text("No events match.")).to_be_visible()
    page.get_by_role("link", name="Clear").click()
    expect(page.locator(".event-card").first).to_be_visible()
    page.goto("/events/?max_price=oops")
    expect(page.get_by_role("alert")).to_contain_text("Maximum price")
