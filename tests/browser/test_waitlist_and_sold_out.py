"""A sold-out event and a waitlist offer in the browser, on a phone (390 px) and a desktop: the
register page says sold out and takes a waitlist sign-up; an offered seat is claimed with the
person's details already filled in; a Student ticket on a CE event hides the licence fields."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events.models import TicketType
from registrations.models import WaitlistEntry
from tests.factories import make_event, make_registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(params=list(WIDTHS))
def screen(request, browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport=WIDTHS[request.param])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def fits_the_width(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_sold_out_register_page_offers_the_waitlist(screen):
    event = make_event("Full forum", tickets=[("Free", "0")], capacity=1)
    make_registration(event, price="0")
    screen.goto(f"/events/{event.slug}/register/")
    expect(screen.get_by_text("This event is sold out")).to_be_visible()
    expect(screen.get_by_role("button", name="Continue")).to_have_count(0)
    expect(screen.get_by_text("This field is required")).to_have_count(0)
    screen.get_by_label("Full name").fill("Wen Zhou")
    screen.get_by_label("Email").fill("wen@example.com")
    screen.get_by_role("button", name="Join the waitlist").click()
    expect(screen.get_by_role("heading", name="Check your email")).to_be_visible()
    assert fits_the_width(screen)
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.UNCONFIRMED


def test_the_event_page_fills_in_the_live_register_box_and_its_seats(screen, settings):
    """The page is shared by caches and carries no seats; its script puts the live box in place:
    sold out and the waitlist once the last seat is taken, without any change to the page."""
    settings.REGISTRATIONS_FEW_SEATS_LEFT = 5
    event = make_event("Small forum", tickets=[("Free", "0")], capacity=2)
    make_registration(event, price="0")
    screen.goto(event.url)
    box = screen.locator(".registration-box")
    expect(box.get_by_text("Only 1 seat left")).to_be_visible()
    expect(box.get_by_role("link", name="Register now")).to_be_visible()
    make_registration(event, price="0")
    screen.reload()
    expect(box.get_by_text("This event is sold out.")).to_be_visible()
    box.get_by_role("link", name="Join the waitlist").click()
    expect(screen.get_by_text("This event is sold out")).to_be_visible()
    assert fits_the_width(screen)


def test_a_waitlist_offer_is_claimed_with_the_details_filled_in(screen):
    event = make_event("Full forum", tickets=[("Free", "0")], capacity=1)
    entry = WaitlistEntry.objects.create(  # its one seat is held for this person: sold out to others
        event=event, ticket_type=event.ticket_types.get(), name="Wen Zhou", email="wen@example.com",
        status=WaitlistEntry.Status.OFFERED, offer_expires_at=timezone.now() + dt.timedelta(hours=3),
    )  # fmt: skip
    screen.goto(f"/waitlist/claim/{entry.token}/")
    expect(screen.get_by_text("seat is held for you from the waitlist")).to_be_visible()
    radio = screen.get_by_role("radio")
    expect(radio).to_be_enabled()
    expect(radio).to_be_checked()
    expect(screen.get_by_text("sold out")).to_have_count(0)
    expect(screen.get_by_label("Full name")).to_have_value("Wen Zhou")
    expect(screen.get_by_label("Email")).to_have_value("wen@example.com")
    assert fits_the_width(screen)
    screen.get_by_role("button", name="Continue").click()
    expect(screen.get_by_role("heading", name="You're registered")).to_be_visible()
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.CLAIMED


def test_a_student_ticket_hides_the_licence_fields(screen):
    event = make_event("CE forum", tickets=[("Clinician", "0"), ("Student", "0")], capacity=9, ce_hours=Decimal(3))
    TicketType.objects.filter(page=event, name="Student").update(for_ce_credit=False)
    screen.goto(f"/events/{event.slug}/register/")
    screen.get_by_label("Student – Free").check()
    expect(screen.get_by_label("Licence number")).to_be_hidden()
    screen.get_by_label("Clinician – Free").check()
    expect(screen.get_by_label("Licence number")).to_be_visible()
    screen.get_by_label("Student – Free").check()
    screen.get_by_label("Full name").fill("Sam Student")
    screen.get_by_label("Email").fill("sam@example.com")
    screen.get_by_role("button", name="Continue").click()
    expect(screen.get_by_role("heading", name="You're registered")).to_be_visible()
