"""A visitor finds the alliance workshop by text, country and topic, and reads its objectives."""

import re

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


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_on_a_phone_the_first_result_is_on_the_first_screen_and_filters_unfold(phone):
    call_command("seed_demo", verbosity=0)
    phone.goto("/events/")
    first_card = phone.locator(".event-card").first
    expect(first_card).to_be_visible()
    assert first_card.bounding_box()["y"] < 900
    country = phone.get_by_label("Country")
    expect(country).to_be_hidden()
    phone.get_by_text("Filters", exact=True).click()
    expect(country).to_be_visible()
    country.select_option("US")
    phone.get_by_role("button", name="Search").click()
    expect(phone).to_have_url(re.compile(r"country=US"))
    assert phone.locator(".event-card").first.bounding_box()["y"] < 900


def test_on_a_desktop_the_filters_are_open_beside_the_results(page):
    call_command("seed_demo", verbosity=0)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/events/")
    filters = page.locator("form.filters")
    expect(filters).to_be_visible()
    card = page.locator(".event-card").first.bounding_box()
    form = filters.bounding_box()
    assert form["x"] + form["width"] <= card["x"] and card["y"] < 900


@pytest.mark.parametrize("width", [390, 1280])
def test_each_filter_checkbox_is_on_the_line_of_its_label(browser, live_server, width):
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": width, "height": 900})
    page = context.new_page()
    make_listing_page_with_a_topic()
    page.goto("/events/")
    if width < 800:
        page.get_by_text("Filters", exact=True).click()
    for name in ("Offers CE credits", "Include past events", "Ethics"):
        box = page.get_by_label(name).bounding_box()
        label = page.locator("label", has_text=name).bounding_box()
        middle = box["y"] + box["height"] / 2
        assert label["y"] <= middle <= label["y"] + label["height"], name
        assert label["height"] < 2.5 * box["height"], f"{name}: the label wraps below its box"
    context.close()


def make_listing_page_with_a_topic():
    from tests.factories import TopicFactory, make_event

    make_event("Ethics seminar", topics=[TopicFactory(name="Ethics", slug="ethics")])


@pytest.mark.parametrize("device", ["page", "phone"])
def test_a_misspelt_search_finds_what_was_meant_and_offers_the_words_as_typed(request, device):
    """On a desktop and on a phone: "therapeutc aliance" shows the alliance workshop first, says
    which words were searched, and links to the search as typed (which finds nothing)."""
    call_command("seed_demo", verbosity=0)
    screen = request.getfixturevalue(device)
    screen.goto("/")
    screen.get_by_label("Search events").fill("therapeutc aliance")
    screen.get_by_label("Search events").press("Enter")
    expect(screen.locator(".correction")).to_contain_text("Showing results for therapeutic alliance")
    expect(screen.locator(".event-card h3").first).to_contain_text("The Therapeutic Alliance")
    screen.locator(".correction").get_by_role("link", name="Search instead for “therapeutc aliance”").click()
    expect(screen).to_have_url(re.compile(r"exact=1"))
    expect(screen.get_by_text("No events match.")).to_be_visible()
    expect(screen.locator(".correction")).to_have_count(0)
