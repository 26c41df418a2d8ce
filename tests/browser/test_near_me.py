""" "Use my location" on the listing (near-me.js): the browser is asked for the position only when the
person presses it; then the nearest events are listed, nearest first, each with its distance; a
browser that does not share it leaves a polite message and changes nothing; on a desktop and on a
phone, under the site's Content-Security-Policy and Permissions-Policy."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import FAILING_IMPACTS, axe_violations, describe
from tests.factories import VenueFactory, make_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONDON = {"latitude": 51.5074, "longitude": -0.1278}


@pytest.fixture
def london_and_paris():
    watford = VenueFactory(name="Watford Hall", latitude=Decimal("51.6565"), longitude=Decimal("-0.3903"))
    paris = VenueFactory(
        name="Salle Paris", city="Paris", country="FR", latitude=Decimal("48.8566"), longitude=Decimal("2.3522")
    )
    # The far one is sooner: only the place can put the near one first.
    make_event("Paris seminar", venue=paris, starts_in=dt.timedelta(days=3))
    make_event("Watford seminar", venue=watford, starts_in=dt.timedelta(days=9))


def open_listing(browser, live_server, device, share, bypass_csp=False):
    size = {"width": 1280, "height": 900} if device == "desktop" else {"width": 390, "height": 844}
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",
        viewport=size,
        is_mobile=device == "phone",
        geolocation=LONDON,
        permissions=["geolocation"] if share else [],
        bypass_csp=bypass_csp,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/events/")
    if device == "phone":
        page.get_by_text("Filters", exact=True).click()
    return context, page


@pytest.fixture(params=["desktop", "phone"])
def device(request):
    return request.param


def test_use_my_location_lists_the_nearby_event_first_with_its_distance(browser, live_server, london_and_paris, device):
    context, page = open_listing(browser, live_server, device, share=True)
    expect(page.locator(".event-card h3")).to_have_text(["Paris seminar", "Watford seminar"])  # soonest first
    page.get_by_role("button", name="Use my location").click()
    page.wait_for_url("**near=51.5074%2C-0.1278**")
    expect(page.locator(".event-card h3")).to_have_text(["Watford seminar"])
    expect(page.locator(".event-card .distance")).to_have_text(["25 km away"])
    expect(page.get_by_label("Near (latitude, longitude)")).to_have_value("51.5074,-0.1278")
    expect(page.get_by_label("Sort by")).to_have_value("distance")
    context.close()


def test_a_browser_that_does_not_share_the_position_is_told_politely(browser, live_server, london_and_paris, device):
    context, page = open_listing(browser, live_server, device, share=False)
    page.get_by_role("button", name="Use my location").click()
    expect(page.get_by_role("status").filter(has_text="did not share your location")).to_be_visible()
    expect(page.locator(".event-card h3")).to_have_text(["Paris seminar", "Watford seminar"])  # nothing changed
    assert "near=" not in page.url
    context.close()


def test_the_near_filters_pass_axe(browser, live_server, london_and_paris, device):
    context, page = open_listing(browser, live_server, device, share=False, bypass_csp=True)
    page.get_by_role("button", name="Use my location").click()
    expect(page.get_by_role("status").filter(has_text="did not share your location")).to_be_visible()
    failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    assert not failing, describe(failing)
    page.goto("/events/?near=91,0&radius=0")  # the errors, shown beside the fields
    expect(page.locator("#id_near_error")).to_contain_text("-90 to 90")
    failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    assert not failing, describe(failing)
    context.close()
