"""The Content-Security-Policy breaks nothing: in a real browser, every public page type loads
without a single CSP violation, and the pages' scripts still run (local times on the event page,
check-in at the door over fetch)."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registrations.models import CheckIn
from registrations.services import certificates
from tests.factories import VenueFactory, make_event, make_registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "door-pass-2031"


def watch_for_violations(page):
    """Every CSP complaint the browser makes: console messages and securitypolicyviolation events."""
    seen = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return seen


@pytest.fixture
def world(django_user_model):
    django_user_model.objects.create_superuser("door", "door@example.com", PASSWORD)
    now = timezone.now()
    event = make_event(
        "Alliance workshop",
        sessions=[(now - dt.timedelta(hours=1), now + dt.timedelta(hours=2))],
        venue=VenueFactory(time_zone="Europe/London"),
        tickets=[("Standard", "0")],
    )
    ana = make_registration(event, name="Ana Pérez")
    ended = make_event("Past workshop", sessions=[(now - dt.timedelta(days=3), now - dt.timedelta(days=3, hours=-2))])
    past = make_registration(ended, name="Ana Pérez")
    CheckIn.objects.create(registration=past, session=ended.ordered_sessions[0])
    return {"event": event, "ana": ana, "code": certificates.issue(past)}


def test_public_pages_load_without_a_csp_violation(page, world):
    violations = watch_for_violations(page)
    event, ana = world["event"], world["ana"]
    for url in (
        "/",
        "/events/",
        event.url,
        f"/events/{event.slug}/register/",
        f"/tickets/{ana.ticket_secret}/",
        f"/orders/{ana.order.token}/",
        f"/certificates/{world['code']}/",
        "/organizers/apply/",
        "/tickets/no-such-ticket/",
    ):
        response = page.goto(url)
        assert response.headers.get("content-security-policy"), url
        page.wait_for_load_state("load")
    assert violations == []

    # The scripts ran: the event page shows the visitor's own time (the browser is in Tokyo).
    page.goto(event.url)
    expect(page.locator("[data-viewer-time]").first).to_be_visible()
    # The ticket's QR code keeps its frame now that its styles come from a stylesheet.
    page.goto(f"/tickets/{ana.ticket_secret}/")
    assert page.locator("figure.ticket-qr").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
    assert violations == []


def test_the_check_in_page_works_under_the_policy(page, world):
    violations = watch_for_violations(page)
    event, ana = world["event"], world["ana"]
    page.goto(f"/checkin/{event.pk}/")
    page.get_by_label("Username").fill("door")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Check-in"))).to_be_visible()
    code = page.get_by_label("Ticket code")
    code.fill(ana.ticket_secret)
    code.press("Enter")
    expect(page.locator("#checkin-result")).to_have_attribute("data-result", "ok")
    assert CheckIn.objects.active().filter(registration=ana).exists()
    assert violations == []


def test_the_violation_watch_sees_a_violation(page, world):
    """The watch above could fail: an inline script on a page under the policy is reported."""
    violations = watch_for_violations(page)
    page.goto("/organizers/apply/")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = '1'; document.body.append(s); }")
    page.wait_for_timeout(200)
    assert any("script-src" in v for v in violations), violations
