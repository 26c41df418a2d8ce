"""Every public page, and the door's check-in page, passes axe-core with no serious or critical
violation, in English and in Spanish, in its error states too; every form control has a name.

axe-core comes from npm (package.json, installed by `make js-deps`) and is injected into each page.
Its contexts bypass the Content-Security-Policy: axe is test tooling, not page content.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from events.models import EventPage
from registrations.models import CheckIn
from registrations.services import certificates
from tests.factories import make_event, make_registration
from tests.registration_helpers import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
FAILING_IMPACTS = {"serious", "critical"}
FLAGSHIP = "therapeutic-alliance-workshop"
# The roles Chromium gives form controls in its accessibility tree (what a screen reader is told).
CONTROL_ROLES = {"textbox", "searchbox", "combobox", "listbox", "spinbutton", "checkbox", "radio", "slider", "switch"}
CONTROL_ROLES |= {"Date", "DateTime", "InputTime"}


@pytest.fixture
def axe_context(browser, live_server):
    if not AXE.exists():
        pytest.fail(f"No axe-core at {AXE}: run `make js-deps` (npm ci).")
    context = browser.new_context(base_url=live_server.url, locale="en-US", timezone_id="Asia/Tokyo", bypass_csp=True)
    yield context
    context.close()


@pytest.fixture
def page(axe_context):
    page = axe_context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def demo():
    """The demo content: the alliance workshop (two sessions, two ticket types, CE hours) and ~20 more."""
    call_command("seed_demo", verbosity=0)
    return EventPage.objects.get(slug=FLAGSHIP)


def axe_violations(page):
    page.add_script_tag(path=str(AXE))
    return page.evaluate("options => axe.run(document, options).then(results => results.violations)", AXE_OPTIONS)


def describe(violations):
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:10]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


def assert_accessible(page, where):
    """No serious or critical axe violation on the page as it is now."""
    expect(page.locator("main")).to_be_visible()
    violations = axe_violations(page)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    assert not failing, f"axe on {where} ({page.url}):\n{describe(failing)}"


def form_controls(page):
    """(role, accessible name, element) of every form control in Chromium's accessibility tree."""
    cdp = page.context.new_cdp_session(page)
    try:
        controls = []
        for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
            role = node.get("role", {}).get("value")
            if node.get("ignored") or role not in CONTROL_ROLES:
                continue
            name = str(node.get("name", {}).get("value", "")).strip()
            sources = node.get("name", {}).get("sources", [])
            source = next((s for s in sources if "value" in s and not s.get("superseded")), {})
            if source.get("type") == "placeholder":
                name = ""  # Chromium falls back on the placeholder; it vanishes as one types, so it is no label.
            element = cdp.send("DOM.describeNode", {"backendNodeId": node["backendDOMNodeId"]})["node"]
            attributes = dict(zip(element["attributes"][::2], element["attributes"][1::2], strict=True))
            shown = " ".join(f'{key}="{attributes[key]}"' for key in ("id", "name", "type") if key in attributes)
            controls.append((role, name, f"<{element['localName']} {shown}>"))
        return controls
    finally:
        cdp.detach()


def assert_every_control_named(page, *expected_names):
    """Every control has a name a screen reader reads out (a placeholder is not one), and the
    controls we expect are among them (so an empty page cannot pass)."""
    controls = form_controls(page)
    unnamed = [element for role, name, element in controls if not name]
    assert not unnamed, f"form controls without an accessible name on {page.url}: {unnamed}"
    names = {name for role, name, element in controls}
    for expected in expected_names:
        assert any(re.fullmatch(expected, name) for name in names), f"no control named {expected!r} in {names}"


def sign_in(context, live_server, django_user_model):
    """A staff member's session cookie in the browser context (the login itself is tested elsewhere)."""
    door = django_user_model.objects.create_superuser("door", "door@example.com", "door-pass-2031")
    client = Client()
    client.force_login(door)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


# The checks themselves catch what they are for.


def test_the_checks_catch_an_unlabelled_control_and_low_contrast(page):
    page.set_content(
        '<!DOCTYPE html><html lang="en"><title>t</title><main><h1>Form</h1>'
        '<label for="named">Named</label><input id="named">'
        '<input id="unnamed"><input id="placeholder-only" placeholder="A placeholder is no label">'
        '<p style="color:#aaa;background:#fff">Pale text</p></main></html>'
    )
    assert [name for role, name, element in form_controls(page)] == ["Named", "", ""]
    with pytest.raises(AssertionError, match='id="unnamed".*id="placeholder-only"'):
        assert_every_control_named(page)
    with pytest.raises(AssertionError, match="(?s)label.*#unnamed.*color-contrast"):
        assert_accessible(page, "a deliberately broken page")


# Public pages


def test_home_page(page, demo):
    page.goto("/")
    assert_accessible(page, "the home page")
    assert_every_control_named(page, "Search events", "Language")


def test_listing_plain_filtered_and_with_invalid_filters(page, demo):
    page.goto("/events/")
    assert_accessible(page, "the listing")
    assert_every_control_named(page, "Country", "Therapeutic alliance", "Maximum price.*")

    page.goto("/events/?q=alliance&country=US&topic=therapeutic-alliance&sort=soonest")
    expect(page.locator(".result-count")).to_have_text("1 event")
    assert_accessible(page, "the filtered listing")

    page.goto("/events/?max_price=oops&start=tomorrow&country=XX")
    expect(page.get_by_role("alert")).to_contain_text("Maximum price")
    assert_accessible(page, "the listing with invalid filters")
    assert_every_control_named(page, "Country", "Maximum price.*")
    # Each error is tied to its field, so it is read out with the field.
    max_price = page.get_by_label(re.compile("^Maximum price"))
    expect(max_price).to_have_attribute("aria-invalid", "true")
    expect(max_price).to_have_accessible_description(re.compile(r"\S"))


def test_event_page(page, demo):
    page.goto(demo.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("The Therapeutic Alliance")
    assert_accessible(page, "the flagship event page")


def test_register_form_and_its_error_state(page, demo):
    page.goto(f"/events/{FLAGSHIP}/register/")
    assert_accessible(page, "the register form")
    assert_every_control_named(
        page, "Clinician.*149.*", "Student.*79.*", "Number of attendees.*", "Full name.*", "Email.*", "Profession.*"
    )
    expect(page.get_by_label(re.compile("^Profession"))).to_have_accessible_description(re.compile("For example"))

    page.get_by_label(re.compile("^Clinician")).check()  # a ticket for CE credit: profession and licence required
    page.get_by_label(re.compile("^Email")).fill("not an email")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
    assert_accessible(page, "the register form with errors")
    assert_every_control_named(page, "Full name.*", "Email.*", "Licence number.*")
    # Django points aria-describedby at "<id>_error" / "<id>_helptext": the messages must carry those ids.
    email = page.get_by_label(re.compile("^Email"))
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile("Enter a valid email address"))
    expect(page.get_by_label(re.compile("^Full name"))).to_have_accessible_description(
        re.compile("This field is required")
    )
    expect(page.get_by_label(re.compile("^Profession"))).to_have_accessible_description(
        re.compile("For example.*This field is required")
    )


def test_order_confirmation_page(page):
    event = make_event("Community forum", tickets=[("Free", "0")], capacity=20)
    response = register(Client(), event)
    assert response.status_code == 302, response.content[:500]
    page.goto(response["Location"])
    expect(page.get_by_role("heading", name="You're registered")).to_be_visible()
    assert_accessible(page, "the order confirmation")


def test_ticket_page_with_its_qr_code(page, demo):
    registration = make_registration(demo, name="Dana Rivera", email="dana@example.com")
    page.goto(f"/tickets/{registration.ticket_secret}/")
    expect(page.locator(".ticket-status")).to_have_text("Confirmed")
    expect(page.get_by_role("img", name="QR code of your ticket")).to_be_visible()
    assert_accessible(page, "the ticket page")


def test_the_question_before_cancelling_a_ticket(page, demo):
    registration = make_registration(demo, name="Dana Rivera", email="dana@example.com")
    page.goto(f"/tickets/{registration.ticket_secret}/cancel/")
    expect(page.get_by_role("heading", name="Cancel your registration?")).to_be_visible()
    assert_accessible(page, "the cancel confirmation")


def test_certificate_verification_page_valid_and_revoked(page):
    start = timezone.now() - dt.timedelta(days=2)
    event = make_event("Alliance intensive", sessions=[(start, start + dt.timedelta(hours=3))], ce_hours=3)
    registration = make_registration(event, name="Dana Rivera", email="dana@example.com")
    CheckIn.objects.create(registration=registration, session=event.sessions.get())
    code = certificates.issue(registration)

    page.goto(f"/certificates/{code}/")
    expect(page.get_by_text("Valid certificate of attendance")).to_be_visible()
    assert_accessible(page, "the certificate verification page")

    registration.status = "cancelled"
    registration.save(update_fields=["status"])
    page.reload()
    expect(page.get_by_text("no longer valid")).to_be_visible()
    assert_accessible(page, "the verification page of a revoked certificate")


def test_spanish_pages_say_their_language(browser, live_server, demo):
    context = browser.new_context(base_url=live_server.url, locale="es-ES", bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(demo.url)
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_role("heading", name="Objetivos de aprendizaje")).to_be_visible()
        # Each language is named in its own language, and marked so.
        expect(page.locator("#language-select option[value=en]")).to_have_attribute("lang", "en")
        assert_accessible(page, "the Spanish event page")

        page.goto(f"/events/{FLAGSHIP}/register/")
        expect(page.locator("html")).to_have_attribute("lang", "es")
        assert_accessible(page, "the Spanish register form")
        assert_every_control_named(page, "Nombre completo.*", "Idioma")
    finally:
        context.close()


# The door


def test_check_in_page_idle_after_a_check_in_and_with_search_results(page, axe_context, live_server, django_user_model):
    now = timezone.now()
    event = make_event("Alliance workshop", sessions=[(now - dt.timedelta(hours=1), now + dt.timedelta(hours=2))])
    ana = make_registration(event, name="Ana Pérez")
    make_registration(event, name="Bea Ruiz", email="bea@example.com")
    sign_in(axe_context, live_server, django_user_model)

    page.goto(f"/checkin/{event.pk}/")
    expect(page.get_by_role("heading", name=re.compile("Check-in"))).to_be_visible()
    assert_accessible(page, "the check-in page")
    assert_every_control_named(page, "Ticket code", "Find by name or email", "Idioma|Language")

    page.get_by_label("Ticket code").fill(ana.ticket_secret)
    page.get_by_label("Ticket code").press("Enter")
    expect(page.locator("#checkin-result")).to_have_attribute("data-result", "ok")
    assert_accessible(page, "the check-in page showing a successful check-in")

    page.get_by_label("Ticket code").fill(ana.ticket_secret)
    page.get_by_label("Ticket code").press("Enter")
    expect(page.locator("#checkin-result")).to_have_attribute("data-result", "already")
    assert_accessible(page, "the check-in page showing a repeated scan")

    page.get_by_label("Find by name or email").fill("ruiz")
    page.get_by_label("Find by name or email").press("Enter")
    expect(page.get_by_role("button", name="Check in Bea Ruiz")).to_be_visible()
    assert_accessible(page, "the check-in page with search results")

    page.get_by_label("Ticket code").fill("not-a-ticket")
    page.get_by_label("Ticket code").press("Enter")
    expect(page.locator("#checkin-result")).to_have_attribute("data-result", "unknown")
    assert_accessible(page, "the check-in page showing an unknown ticket")
