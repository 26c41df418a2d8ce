"""Door staff sign in and check people in by typed code and by name, in the browser."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registrations.models import CheckIn
from tests.factories import make_event, make_registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "door-pass-2031"


@pytest.fixture
def workshop(django_user_model):
    django_user_model.objects.create_superuser("door", "door@example.com", PASSWORD, first_name="Sam", last_name="Door")
    now = timezone.now()
    return make_event("Alliance workshop", sessions=[(now - dt.timedelta(hours=1), now + dt.timedelta(hours=2))])


def sign_in_to_check_in(page, event):
    page.goto(f"/checkin/{event.pk}/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/checkin/"))
    page.get_by_label("Username").fill("door")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Check-in"))).to_be_visible()


def test_staff_check_in_a_typed_code_and_see_a_second_scan_refused(page, workshop):
    ana = make_registration(workshop, name="Ana Pérez")
    sign_in_to_check_in(page, workshop)
    result = page.locator("#checkin-result")
    counts = page.locator("#checkin-counts")
    expect(counts).to_have_text("0 of 1 checked in")
    # Headless chromium on Linux has no BarcodeDetector: no camera button, and the page says typing works.
    expect(page.get_by_role("button", name="Scan with the camera")).to_be_hidden()
    expect(page.get_by_text("Typing the code or searching the name works.")).to_be_visible()

    code = page.get_by_label("Ticket code")
    expect(code).to_be_focused()
    code.fill(ana.ticket_secret)
    code.press("Enter")
    expect(result).to_have_attribute("data-result", "ok")
    expect(result).to_contain_text("Checked in")
    expect(result).to_contain_text("Ana Pérez")
    expect(counts).to_have_text("1 of 1 checked in")
    expect(code).to_have_value("")
    expect(code).to_be_focused()

    code.fill(ana.ticket_secret)
    page.get_by_role("button", name="Check in", exact=True).click()
    expect(result).to_have_attribute("data-result", "already")
    expect(result).to_contain_text("Already checked in")
    expect(result).to_contain_text("by Sam Door")
    assert CheckIn.objects.active().filter(registration=ana).count() == 1

    code.fill("not-a-ticket")
    code.press("Enter")
    expect(result).to_have_attribute("data-result", "unknown")
    expect(result).to_contain_text("Unknown ticket")


def test_staff_find_a_name_check_them_in_and_undo_it(page, workshop):
    make_registration(workshop, name="Bea Ruiz", email="bea@example.com")
    sign_in_to_check_in(page, workshop)
    result = page.locator("#checkin-result")

    page.get_by_label("Find by name or email").fill("ruiz")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Check in Bea Ruiz").click()
    expect(result).to_have_attribute("data-result", "ok")
    expect(result).to_contain_text("Bea Ruiz")
    expect(page.locator("#checkin-counts")).to_have_text("1 of 1 checked in")

    recent = page.get_by_role("list", name="Recent check-ins")
    recent.get_by_role("button", name="Undo Bea Ruiz").click()
    expect(result).to_contain_text("Undone")
    expect(page.locator("#checkin-counts")).to_have_text("0 of 1 checked in")
    check_in = CheckIn.objects.get()
    assert check_in.undone_at is not None and check_in.method == "search"


SCROLL_TO = """(element, fromBottom) => {
    const box = element.getBoundingClientRect();
    window.scrollBy(0, box.top + box.height / 2 - (window.innerHeight - fromBottom));
}"""
WHAT_IS_AT = """([x, y]) => {
    const found = document.elementFromPoint(x, y);
    return found ? (found.closest("button, input") || found).outerHTML.slice(0, 60) : "";
}"""


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_nothing_covers_the_check_in_buttons_or_fields(page, workshop, width):
    """Staff are signed in, so Wagtail's userbar would float over the screen's bottom corner: every
    button and field of the page stays clickable wherever it is scrolled to, the bottom edge included."""
    for name in ("Bea Ruiz", "Bo Ruiz"):
        make_registration(workshop, name=name, email=f"{name.split()[0].lower()}@example.com")
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 800})
    sign_in_to_check_in(page, workshop)
    page.get_by_label("Find by name or email").fill("ruiz")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("button", name="Check in Bea Ruiz")).to_be_visible()
    controls = page.locator("main button:visible, main input:visible, main select:visible")
    assert controls.count() >= 6
    for index in range(controls.count()):
        control = controls.nth(index)
        for from_bottom in (30, 60, 90, 150):  # where a floating widget sits, and above it
            control.evaluate(SCROLL_TO, from_bottom)
            box = control.bounding_box()
            middle = box["y"] + box["height"] / 2
            for part in (0.1, 0.3, 0.5, 0.7, 0.9):
                on_top = page.evaluate(WHAT_IS_AT, [box["x"] + box["width"] * part, middle])
                assert on_top.startswith(("<button", "<input", "<select")), (index, from_bottom, part, on_top)


def test_a_ticket_is_checked_in_by_its_short_code_typed_in_lower_case(page, workshop):
    ana = make_registration(workshop, name="Ana Pérez")
    sign_in_to_check_in(page, workshop)
    code = page.get_by_label("Ticket code")
    code.fill(ana.door_code_display.lower())
    code.press("Enter")
    expect(page.locator("#checkin-result")).to_have_attribute("data-result", "ok")
    expect(page.locator("#checkin-result")).to_contain_text("Ana Pérez")


def test_at_the_exit_staff_record_who_leaves(page, workshop):
    ana = make_registration(workshop, name="Ana Pérez")
    late = make_registration(workshop, name="Ben Brown", email="ben@example.com")
    sign_in_to_check_in(page, workshop)
    code = page.get_by_label("Ticket code")
    code.fill(ana.ticket_secret)
    code.press("Enter")
    expect(page.locator("#checkin-result")).to_have_attribute("data-result", "ok")

    page.get_by_role("link", name="Departures: record who leaves (check-out)").click()
    expect(page.get_by_role("heading", name=re.compile("Check-out"))).to_be_visible()
    result = page.locator("#checkin-result")
    code = page.get_by_label("Ticket code")
    code.fill(ana.ticket_secret)
    page.get_by_role("button", name="Check out", exact=True).click()
    expect(result).to_have_attribute("data-result", "left")
    expect(result).to_contain_text("Checked out")
    check_in = CheckIn.objects.active().get(registration=ana)
    assert check_in.left_at is not None and check_in.left_at >= check_in.arrived_at

    code.fill(late.ticket_secret)
    code.press("Enter")
    expect(result).to_have_attribute("data-result", "not_in")
    expect(result).to_contain_text("Not checked in")
    assert not CheckIn.objects.filter(registration=late).exists()
