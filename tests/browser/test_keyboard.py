"""Registering and checking people in work with the keyboard alone (Tab, typing, Space, Enter,
arrow keys: no mouse, no element.click()), and whatever has the focus shows it."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from registrations.models import CheckIn, Registration
from tests.factories import make_event, make_registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The focus ring and the colour right behind it (the nearest ancestor's background: the ring sits
# 2px outside the element), as [r, g, b] triples, or null where there is no ring.
FOCUS_RING = """el => {
  const rgb = color => { const m = color.match(/[\\d.]+/g).map(Number); return m.length > 3 && m[3] === 0 ? null : m.slice(0, 3); };
  const style = getComputedStyle(el);
  let behind = null;
  for (let node = el.parentElement; node && !behind; node = node.parentElement) {
    behind = rgb(getComputedStyle(node).backgroundColor);
  }
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return {ring: ring ? rgb(style.outlineColor) : null, width: style.outlineWidth, behind: behind || [255, 255, 255],
          focused: el === document.activeElement, visible: el.matches(":focus-visible")};
}"""


def luminance(rgb):
    channels = [c / 255 for c in rgb]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def assert_focus_shown(locator):
    """The element has the focus and a ring of at least 3:1 against its surroundings (WCAG 1.4.11)."""
    ring = locator.evaluate(FOCUS_RING)
    assert ring["focused"] and ring["visible"], ring
    assert ring["ring"], f"no focus ring on {locator}: {ring}"
    ratio = contrast(ring["ring"], ring["behind"])
    assert ratio >= 3, f"focus ring on {locator} has contrast {ratio:.2f} against its background: {ring}"


def tab_to(page, locator, limit=40):
    """Press Tab until `locator` has the focus (failing if it never does), and check the focus shows."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            assert_focus_shown(locator)
            return
    pytest.fail(f"{limit} presses of Tab never reached {locator}")


def test_the_focus_check_catches_a_ring_that_does_not_show(page):
    page.set_content(
        "<main style='background:#fff'><button id=plain>Plain</button>"
        "<button id=pale style='outline:3px solid #f2a93b'>Pale</button>"
        "<button id=none style='outline:none'>None</button></main>"
    )
    page.keyboard.press("Tab")
    with pytest.raises(AssertionError):  # the browser's own ring is 1px: too thin to count
        assert_focus_shown(page.locator("#plain"))
    page.add_style_tag(content="#pale:focus-visible { outline: 3px solid #f2a93b; }")
    page.keyboard.press("Tab")
    with pytest.raises(AssertionError, match="contrast 2"):
        assert_focus_shown(page.locator("#pale"))
    page.keyboard.press("Tab")
    with pytest.raises(AssertionError, match="no focus ring"):
        assert_focus_shown(page.locator("#none"))


def test_register_for_a_free_event_with_the_keyboard_alone(page):
    event = make_event("Community forum", tickets=[("Member", "0"), ("Guest", "0")], capacity=20)
    page.goto(event.url)

    # The first Tab reaches the skip link, shown on the page; following it moves the focus to <main>
    # itself (every browser, not only those that move the sequential starting point), and the next
    # Tab to the first control inside it.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")

    tab_to(page, page.get_by_role("link", name="Register now"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Register", level=1)).to_be_visible()

    # Into the radio group, then the arrow keys choose within it.
    member, guest = page.get_by_label(re.compile("^Member")), page.get_by_label(re.compile("^Guest"))
    tab_to(page, member)
    page.keyboard.press("Space")
    expect(member).to_be_checked()
    page.keyboard.press("ArrowDown")
    expect(guest).to_be_checked()
    assert_focus_shown(guest)

    tab_to(page, page.get_by_label(re.compile("^Full name")))
    page.keyboard.type("Dana Rivera")
    page.keyboard.press("Tab")
    email = page.get_by_label(re.compile("^Email"))
    assert_focus_shown(email)
    page.keyboard.type("dana@example.com")
    # Enter in the last field registers (it does not "update the number of attendees" instead).
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="You're registered")).to_be_visible()
    registration = Registration.objects.get()
    assert (registration.name, registration.email, registration.ticket_type.name) == (
        "Dana Rivera",
        "dana@example.com",
        "Guest",
    )
    assert registration.status == Registration.Status.CONFIRMED
    tab_to(page, page.get_by_role("link", name="Open ticket"))
    page.keyboard.press("Enter")
    expect(page.locator(".ticket-status")).to_have_text("Confirmed")


def test_two_attendees_and_a_mistake_corrected_with_the_keyboard_alone(page):
    event = make_event("Community forum", tickets=[("Free", "0")], capacity=20)
    page.goto(f"/events/{event.slug}/register/")

    tab_to(page, page.get_by_label(re.compile("^Number of attendees")))
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("2")
    tab_to(page, page.get_by_role("button", name="Update number of attendees"))
    page.keyboard.press("Space")
    attendees = page.locator("fieldset.attendee")
    expect(attendees).to_have_count(2)

    for i, (name, address) in enumerate([("Ari Example", "ari@example.com"), ("Bea Example", "not an email")]):
        tab_to(page, attendees.nth(i).get_by_label(re.compile("^Full name")))
        page.keyboard.type(name)
        tab_to(page, attendees.nth(i).get_by_label(re.compile("^Email")))
        page.keyboard.type(address)
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
    wrong = page.locator("fieldset.attendee").nth(1).get_by_label(re.compile("^Email"))
    tab_to(page, wrong)
    expect(wrong).to_have_accessible_description(re.compile("Enter a valid email address"))
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("bea@example.com")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="You're registered")).to_be_visible()
    assert sorted(Registration.objects.values_list("email", flat=True)) == ["ari@example.com", "bea@example.com"]


@pytest.fixture
def door(page, live_server, django_user_model):
    """A staff member signed in (their session cookie in the browser) and an event happening now."""
    staff = django_user_model.objects.create_superuser("door", "door@example.com", "door-pass-2031")
    client = Client()
    client.force_login(staff)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    now = timezone.now()
    return make_event("Alliance workshop", sessions=[(now - dt.timedelta(hours=1), now + dt.timedelta(hours=2))])


def test_check_in_by_typed_code_search_and_undo_with_the_keyboard_alone(page, door):
    ana = make_registration(door, name="Ana Pérez")
    make_registration(door, name="Bea Ruiz", email="bea@example.com")
    page.goto(f"/checkin/{door.pk}/")

    # The result panel is a live region: screen readers announce each result as it comes.
    result = page.locator("#checkin-result")
    expect(result).to_have_attribute("aria-live", "assertive")
    expect(result).to_have_attribute("aria-atomic", "true")
    counts = page.locator("#checkin-counts")

    code = page.get_by_label("Ticket code")
    expect(code).to_be_focused()  # ready for a typed code (or a handheld scanner) at once
    expect(code).to_have_accessible_description(re.compile("press Enter"))
    page.keyboard.type(ana.ticket_secret)
    page.keyboard.press("Enter")
    expect(result).to_have_attribute("data-result", "ok")
    expect(result).to_contain_text("Checked in")
    expect(result).to_contain_text("Ana Pérez")
    expect(counts).to_have_text("1 of 2 checked in")
    expect(code).to_be_focused()  # the next ticket can be typed straight away
    assert_focus_shown(code)

    # Undo, from the recent list.
    tab_to(page, page.get_by_role("button", name="Undo Ana Pérez"))
    page.keyboard.press("Enter")
    expect(result).to_contain_text("Undone")
    expect(counts).to_have_text("0 of 2 checked in")
    expect(code).to_be_focused()

    # Find a name, check them in.
    search = page.get_by_label("Find by name or email")
    tab_to(page, search)
    page.keyboard.type("ruiz")
    page.keyboard.press("Enter")
    check_in_bea = page.get_by_role("button", name="Check in Bea Ruiz")
    tab_to(page, check_in_bea)
    page.keyboard.press("Space")
    expect(result).to_have_attribute("data-result", "ok")
    expect(result).to_contain_text("Bea Ruiz")
    expect(counts).to_have_text("1 of 2 checked in")

    active = CheckIn.objects.active()
    assert [(c.registration.name, c.method) for c in active] == [("Bea Ruiz", "search")]
    assert CheckIn.objects.get(registration=ana).undone_at is not None
