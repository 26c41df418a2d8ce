"""A clinician who lost their ticket's link finds everything again through "My events": from the
site's navigation, a sign-in link by email, a button that signs in, their events of two organizers
with the certificate of the one attended, and the CE transcript. On a desktop and on a phone, with
no serious accessibility fault."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.test_follow_by_email import assert_no_serious_violations, visitor  # noqa: F401  (the fixture)
from tests.factories import OrganizerFactory, make_event
from tests.test_certificates import attendee, check_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_signing_in_by_email_to_the_events_tickets_certificate_and_transcript(visitor, mailoutbox):  # noqa: F811
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    held = now - dt.timedelta(days=3)
    attended = make_event(
        "Therapeutic alliance workshop",
        sessions=[(held, held + dt.timedelta(hours=3))],
        ce_hours=Decimal("3"),
        ce_accreditor="APA",
        organizer=OrganizerFactory(name="Alliance Institute"),
    )
    coming = make_event(
        "Grief seminar", starts_in=dt.timedelta(days=14), organizer=OrganizerFactory(name="Grief Society")
    )
    check_in(attendee(attended), *attended.ordered_sessions)
    ticket = attendee(coming)

    visitor.goto("/events/")
    visitor.get_by_role("link", name="My events").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("My events")
    assert_no_serious_violations(visitor)

    visitor.get_by_label("Your email address").fill("ana@")
    visitor.get_by_role("button", name="Email me a sign-in link").click()
    expect(visitor.get_by_text("Enter a valid email address.")).to_be_visible()
    assert mailoutbox == []
    visitor.get_by_label("Your email address").fill("ana@example.com")
    visitor.get_by_role("button", name="Email me a sign-in link").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert_no_serious_violations(visitor)

    (message,) = mailoutbox
    assert f"/tickets/{ticket.ticket_secret}/" in message.body  # the lost ticket, at once
    link = re.search(r"https?://\S+/my-events/sign-in/\S+/", message.body).group(0)
    visitor.goto(link)
    expect(visitor.get_by_text("Sign in as ana@example.com on this device?")).to_be_visible()
    assert_no_serious_violations(visitor)
    visitor.get_by_role("button", name="Sign in").click()

    expect(visitor.get_by_role("heading", level=1)).to_have_text("My events")
    upcoming = visitor.locator("section", has=visitor.get_by_role("heading", name="Upcoming"))
    past = visitor.locator("section", has=visitor.get_by_role("heading", name="Past"))
    expect(upcoming.get_by_role("link", name="Grief seminar")).to_be_visible()
    expect(past.get_by_role("link", name="Therapeutic alliance workshop")).to_be_visible()
    expect(past.get_by_role("link", name="Certificate of attendance (PDF)")).to_be_visible()
    expect(upcoming.get_by_role("link", name="Certificate of attendance (PDF)")).to_have_count(0)
    assert_no_serious_violations(visitor)

    visitor.get_by_role("link", name=re.compile("CE transcript")).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("CE transcript")
    lines = visitor.locator("table.transcript-lines tbody tr")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("Therapeutic alliance workshop")
    expect(lines.first).to_contain_text("APA")
    assert_no_serious_violations(visitor)
    with visitor.expect_download() as download:
        visitor.get_by_role("link", name="Download as CSV").click()
    assert download.value.suggested_filename == "ce-transcript.csv"
    assert "Therapeutic alliance workshop" in open(download.value.path(), encoding="utf-8-sig").read()

    visitor.get_by_role("link", name="My events").first.click()
    visitor.get_by_role("button", name="Sign out").click()
    expect(visitor.get_by_text("You are signed out.")).to_be_visible()
    visitor.goto("/my-events/")
    expect(visitor.get_by_role("button", name="Email me a sign-in link")).to_be_visible()
    visitor.goto(link)  # used: it signs nobody in again
    expect(visitor.get_by_role("heading", level=1)).to_have_text("This link no longer works")
