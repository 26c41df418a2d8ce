"""The maps in a real browser, on a desktop and on a phone: the listing's map shows its results'
pins (two at one venue clustered), reachable by keyboard, a pin's popup linking to its event; the
list stays beside it; "Hide map" / "Show map" say whether it is shown; axe finds nothing serious;
nothing breaks the site's Content-Security-Policy. Tiles come from this test server (no network)."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import FAILING_IMPACTS, axe_violations, describe
from tests.browser.test_csp import watch_for_violations
from tests.factories import VenueFactory, make_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# A tile: any small PNG the live server has (the tests have no network).
LOCAL_TILES = "/static/events/vendor/leaflet/images/layers.png?{z}/{x}/{y}"


@pytest.fixture
def events(settings):
    settings.EVENTS_MAP_TILE_URL = LOCAL_TILES
    london = VenueFactory(name="Wellcome Hall", latitude=Decimal("51.5194"), longitude=Decimal("-0.1196"))
    boston = VenueFactory(
        name="Harbor Hall", city="Boston", country="US", time_zone="America/New_York",
        latitude=Decimal("42.3601"), longitude=Decimal("-71.0589"),
    )  # fmt: skip
    return [
        make_event("London morning", venue=london, starts_in=dt.timedelta(days=3)),
        make_event("London evening", venue=london, starts_in=dt.timedelta(days=4)),
        make_event("Boston workshop", venue=boston, starts_in=dt.timedelta(days=5)),
        make_event("Online seminar", starts_in=dt.timedelta(days=6)),
    ]


def open_page(browser, live_server, device, path, bypass_csp=False):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport=SIZES[device], is_mobile=device == "phone",
        bypass_csp=bypass_csp,
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations = watch_for_violations(page)
    page.goto(path)
    return context, page, violations


def shown_map(page, device):
    """The listing's map, shown (a phone folds it: "Show map" unfolds it)."""
    toggle = page.locator("[data-map-toggle]")
    if device == "phone":
        expect(toggle).to_have_text("Show map")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.get_by_role("region", name="Map of the events on this page")).to_be_hidden()
        toggle.click()
    expect(toggle).to_have_text("Hide map")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    region = page.get_by_role("region", name="Map of the events on this page")
    expect(region).to_be_visible()
    return region


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_results_map_shows_the_pins_and_a_pin_opens_by_keyboard(browser, live_server, events, device):
    context, page, violations = open_page(browser, live_server, device, "/events/")
    region = shown_map(page, device)
    # The two London events share a cluster; Boston has its own pin; the online event is not on the map.
    cluster = region.get_by_role("button", name="2 events: zoom in")
    expect(cluster).to_be_visible()
    boston = region.get_by_role("button", name="Boston workshop")
    expect(boston).to_be_visible()
    expect(region.get_by_role("button", name="Online seminar")).to_have_count(0)
    expect(region.locator(".leaflet-tile-loaded").first).to_be_attached()  # the local tiles

    # From the "Hide map" button, Tab reaches the Boston pin; Enter opens its popup, focused on the link.
    page.locator("[data-map-toggle]").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.title") == "Boston workshop":
            break
    expect(boston).to_be_focused()
    page.keyboard.press("Enter")
    link = region.locator(".leaflet-popup").get_by_role("link", name="Boston workshop")
    expect(link).to_be_visible()
    expect(link).to_be_focused()
    assert link.get_attribute("href") == events[2].url
    expect(region.locator(".leaflet-popup")).to_contain_text("Harbor Hall, Boston")
    page.keyboard.press("Escape")  # closes the popup, back on the pin
    expect(link).to_be_hidden()
    expect(boston).to_be_focused()

    # Enter on the cluster zooms in to its two pins.
    cluster.focus()
    page.keyboard.press("Enter")
    expect(region.get_by_role("button", name="London morning")).to_be_visible()
    expect(region.get_by_role("button", name="London evening")).to_be_visible()

    # The list is still all there, and "Hide map" folds the map away.
    expect(page.locator("article.event-card")).to_have_count(4)
    page.locator("[data-map-toggle]").click()
    expect(region).to_be_hidden()
    expect(page.locator("[data-map-toggle]")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("[data-map-toggle]")).to_have_text("Show map")
    assert violations == []
    context.close()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_skip_link_passes_over_the_map(browser, live_server, events, device):
    context, page, _ = open_page(browser, live_server, device, "/events/")
    shown_map(page, device)
    page.get_by_role("link", name="Skip the map").click()
    expect(page.locator("#results-list")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "London morning"  # the first card's link
    context.close()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_listing_with_its_map_shown_passes_axe(browser, live_server, events, device):
    context, page, _ = open_page(browser, live_server, device, "/events/", bypass_csp=True)
    region = shown_map(page, device)
    expect(region.get_by_role("button", name="Boston workshop")).to_be_visible()
    region.get_by_role("button", name="Boston workshop").click()
    expect(region.locator(".leaflet-popup")).to_be_visible()
    failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    assert not failing, describe(failing)
    context.close()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_event_page_pins_its_venue(browser, live_server, events, device):
    context, page, violations = open_page(browser, live_server, device, events[2].url)
    expect(page.locator("address")).to_contain_text("Harbor Hall")
    pin = page.locator(".events-map-venue img.leaflet-marker-icon")
    expect(pin).to_be_visible()
    expect(pin).to_have_attribute("alt", "Harbor Hall")
    assert violations == []
    context.close()
    context, page, _ = open_page(browser, live_server, device, events[2].url, bypass_csp=True)
    expect(page.locator(".events-map-venue img.leaflet-marker-icon")).to_be_visible()
    failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    assert not failing, describe(failing)
    context.close()
