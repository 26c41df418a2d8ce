"""Typing in the listing's search box suggests topics and events (autocomplete.js): chosen with the
arrow keys and Enter, or a tap; Escape closes the list; a screen reader is told how many there are;
on a desktop and on a phone."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.test_accessibility import FAILING_IMPACTS, axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FLAGSHIP = "/events/therapeutic-alliance-workshop/"


def suggestions(page):
    return page.get_by_role("listbox", name="Suggestions").get_by_role("option")


def open_listing(browser, live_server, device, bypass_csp=False):
    """A page on the listing, its search box in view (on a phone, the filters unfolded)."""
    call_command("seed_demo", verbosity=0)
    size = {"width": 1280, "height": 900} if device == "desktop" else {"width": 390, "height": 844}
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport=size, is_mobile=device == "phone", bypass_csp=bypass_csp
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/events/")
    if device == "phone":
        page.get_by_text("Filters", exact=True).click()
    return context, page


@pytest.fixture(params=["desktop", "phone"])
def visitor(request, browser, live_server):
    """The listing under the site's Content-Security-Policy: the script needs no exception to it."""
    context, page = open_listing(browser, live_server, request.param)
    yield page
    context.close()


@pytest.fixture(params=["desktop", "phone"])
def axe_visitor(request, browser, live_server):
    """The same, with the policy bypassed so that axe (test tooling) can be injected."""
    context, page = open_listing(browser, live_server, request.param, bypass_csp=True)
    yield page
    context.close()


def test_arrow_down_and_enter_follow_a_suggestion(visitor):
    box = visitor.get_by_role("combobox", name="Search")
    box.press_sequentially("alli")
    options = suggestions(visitor)
    expect(options.first).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(visitor.get_by_role("status").filter(has_text="suggestions")).to_have_count(1)
    assert options.first.text_content().startswith("Therapeutic alliance")  # the topic first
    event = options.filter(has_text="The Therapeutic Alliance")
    index = [text.strip() for text in options.all_text_contents()].index(event.text_content().strip())
    for _ in range(index + 1):
        box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", event.get_attribute("id"))
    expect(event).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(visitor).to_have_url(FLAGSHIP)


def test_escape_closes_and_a_click_follows_a_topic(visitor):
    box = visitor.get_by_role("combobox", name="Search")
    box.press_sequentially("alli")
    listbox = visitor.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("ArrowDown")  # opens it again
    expect(listbox).to_be_visible()
    suggestions(visitor).first.click()
    expect(visitor).to_have_url("/events/?topic=therapeutic-alliance")


def test_enter_without_a_highlight_searches_as_without_javascript(visitor):
    box = visitor.get_by_role("combobox", name="Search")
    box.press_sequentially("alliance")
    expect(visitor.get_by_role("listbox", name="Suggestions")).to_be_visible()
    box.press("Enter")
    expect(visitor).to_have_url(re.compile(r"/events/\?q=alliance&"))  # the form, submitted


def test_the_open_list_passes_axe(axe_visitor):
    axe_visitor.get_by_role("combobox", name="Search").press_sequentially("the")
    expect(suggestions(axe_visitor).first).to_be_visible()
    failing = [v for v in axe_violations(axe_visitor) if v["impact"] in FAILING_IMPACTS]
    assert not failing, describe(failing)
