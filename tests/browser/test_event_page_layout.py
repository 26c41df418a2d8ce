"""What a visitor sees first on an event page, at phone and desktop widths, with and without
JavaScript, in the event's time zone and another."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from events.models import EventPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def workshop(live_server):
    """The demo's alliance workshop: a long description, in New York, with paid tickets on sale."""
    call_command("seed_demo", verbosity=0)
    return EventPage.objects.get(slug="therapeutic-alliance-workshop")


def open_page(browser, live_server, url, viewport=DESKTOP, zone="Asia/Tokyo", javascript=True):
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",
        timezone_id=zone,
        viewport=viewport,
        java_script_enabled=javascript,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    # Until the network is quiet: the Register box is replaced by its live version once fetched
    # (live-fragments.js), and an element measured while it is replaced has no box.
    page.goto(url, wait_until="networkidle" if javascript else "load")
    return context, page


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_date_place_price_and_register_are_on_the_first_screen(browser, live_server, workshop, viewport):
    context, page = open_page(browser, live_server, workshop.url, viewport)
    try:
        register = page.get_by_role("link", name="Register now")
        expect(register).to_be_visible()
        box = register.bounding_box()
        assert box["y"] + box["height"] <= viewport["height"], box
        facts = page.locator(".key-facts")
        expect(facts).to_contain_text("Harborview Conference Center, Boston")
        expect(facts).to_contain_text("From $79.00")
        facts_box = facts.bounding_box()
        assert facts_box["y"] + facts_box["height"] <= viewport["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # no sideways scroll
        details = page.locator(".event-facts").bounding_box()
        description = page.locator(".event-main").bounding_box()
        if viewport is DESKTOP:
            assert details["x"] > description["x"] + description["width"] - 1  # the column on the right
        else:
            assert details["y"] < description["y"]  # before the description
    finally:
        context.close()


def test_no_empty_your_time_for_a_visitor_in_the_events_zone(browser, live_server, workshop):
    context, page = open_page(browser, live_server, workshop.url, zone="America/New_York")
    try:
        expect(page.locator(".sessions abbr.zone").first).to_be_visible()
        for note in page.locator("[data-viewer-time]").all():
            expect(note).to_be_hidden()
        assert "your time" not in page.locator("main").inner_text()
    finally:
        context.close()


def test_a_visitor_elsewhere_sees_the_time_in_their_zone(browser, live_server, workshop):
    context, page = open_page(browser, live_server, workshop.url, viewport=PHONE, zone="Asia/Tokyo")
    try:
        notes = page.locator(".sessions [data-viewer-time]")
        expect(notes.first).to_be_visible()
        expect(notes.first.locator("[data-viewer-time-text]")).to_contain_text("GMT+9")
    finally:
        context.close()


def test_without_javascript_no_empty_your_time_is_shown(browser, live_server, workshop):
    context, page = open_page(browser, live_server, workshop.url, zone="Asia/Tokyo", javascript=False)
    try:
        expect(page.get_by_role("heading", level=1)).to_contain_text("The Therapeutic Alliance")
        assert page.locator("[data-viewer-time]").count() >= 2
        for note in page.locator("[data-viewer-time]").all():
            expect(note).to_be_hidden()
        assert "your time" not in page.locator("main").inner_text()
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_address_calendar_links_per_session_and_the_way_to_publish(browser, live_server, workshop, viewport):
    context, page = open_page(browser, live_server, workshop.url, viewport, zone="America/New_York")
    try:
        expect(page.locator("address")).to_contain_text("Boston, MA 02210")
        rows = page.locator(".session-links li")
        expect(rows).to_have_count(2)  # the morning and the afternoon, each its own calendar entry
        expect(rows.nth(0)).to_contain_text("Morning")
        expect(rows.nth(1)).to_contain_text("Afternoon")
        expect(rows.nth(0).get_by_role("link", name="Google Calendar")).to_be_visible()
        apply = page.locator("footer").get_by_role("link", name="Run events? Apply to publish them here")
        apply.scroll_into_view_if_needed()
        expect(apply).to_be_visible()
        apply.click()
        expect(page).to_have_url(f"{live_server.url}/organizers/apply/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    finally:
        context.close()
