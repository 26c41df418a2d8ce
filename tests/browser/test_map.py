"""The maps in a real browser, on a desktop and on a phone: the listing's map shows its results'
pins (two at one venue clustered), reachable by keyboard, a pin's popup linking to its event; the
list stays beside it; "Hide map" / "Show map" say whether it is shown; axe finds nothing serious;
nothing breaks the site's Content-Security-Policy. The venue editor's map places the pin by a
click, a drag, typed numbers or a lookup of the address. Tiles come from this test server, the
geocoder is a local one (no network)."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests import nominatim
from tests.browser.test_accessibility import FAILING_IMPACTS, axe_violations, describe
from tests.browser.test_admin_editor import PASSWORD, sign_in
from tests.browser.test_csp import watch_for_violations
from tests.factories import VenueFactory, make_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def geocoder(settings):
    """A local Nominatim-like server (tests/nominatim.py) as the geocoder."""
    with nominatim.running(settings) as server:
        yield server


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

    # Enter on the cluster zooms in to its two pins (or spreads them, at one address), the focus
    # back on the map, from where Tab reaches them.
    cluster.focus()
    page.keyboard.press("Enter")
    expect(region.get_by_role("button", name="London morning")).to_be_visible()
    expect(region.get_by_role("button", name="London evening")).to_be_visible()
    expect(region.locator(".events-map")).to_be_focused()
    reached = []
    for _ in range(5):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.title"))
    assert {"London morning", "London evening"} <= set(reached), reached

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


# The venue editor's map (events/admin_widgets.py).


@pytest.fixture
def editor(django_user_model, settings):
    settings.EVENTS_MAP_TILE_URL = LOCAL_TILES
    return django_user_model.objects.create_superuser("editor", "editor@example.com", PASSWORD)


def typed_position(page):
    return float(page.locator("#id_latitude").input_value()), float(page.locator("#id_longitude").input_value())


def test_the_venue_editor_places_the_pin_by_click_drag_typing_and_lookup(page, editor, geocoder):
    venue = VenueFactory(name="Wellcome Collection", address="183 Euston Road", postal_code="NW1 2BE")
    sign_in(page, f"/admin/snippets/events/venue/edit/{venue.pk}/")
    area = page.locator(".events-pin-map__map")
    expect(area.locator(".leaflet-tile-loaded").first).to_be_attached()
    latitude, longitude = page.locator("#id_latitude"), page.locator("#id_longitude")
    expect(latitude).to_have_value("")

    # A click on the map puts the pin there and fills in both numbers.
    area.click(position={"x": 200, "y": 120})
    expect(latitude).not_to_have_value("")
    pin = area.locator(".leaflet-marker-icon")
    expect(pin).to_be_visible()
    clicked = typed_position(page)

    # Dragging the pin down and to the right: further south and east.
    box = pin.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 40, steps=8)
    page.mouse.up()
    expect(longitude).not_to_have_value(f"{clicked[1]:.6f}")
    dragged = typed_position(page)
    assert dragged[0] < clicked[0] and dragged[1] > clicked[1], (clicked, dragged)

    # Typing the numbers moves the pin (the map centres on it).
    latitude.fill("-33.856784")
    longitude.fill("151.215297")
    area_box = area.bounding_box()
    expect(pin).to_be_in_viewport()
    page.wait_for_timeout(500)
    box = pin.bounding_box()
    assert abs(box["x"] + box["width"] / 2 - (area_box["x"] + area_box["width"] / 2)) < 3

    # "Look up from address" asks the geocoder through the admin and places the pin.
    page.get_by_role("button", name="Look up from address").click()
    expect(page.locator(".events-pin-map__status")).to_contain_text("Found: Wellcome Collection, 183, Euston Road")
    expect(latitude).to_have_value("51.525546")
    expect(longitude).to_have_value("-0.133954")
    assert "q=183+Euston+Road" in geocoder.asked[0][0]

    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_text("updated")).to_be_visible()
    venue.refresh_from_db()
    assert (venue.latitude, venue.longitude) == (Decimal("51.525546"), Decimal("-0.133954"))
