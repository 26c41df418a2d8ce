"""A visitor asks for new events like those listed by email: the listing's plain link leads to the
subscribe page, which says in words what will be followed; a mistyped address is pointed out, a good
one is told to check its inbox. On a desktop and on a phone, with no serious accessibility fault."""

import re

import pytest
from playwright.sync_api import expect

from events.models import Subscription
from tests.browser.test_accessibility import FAILING_IMPACTS, axe_violations, describe
from tests.factories import TopicFactory, VenueFactory, make_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["desktop", "phone"])
def visitor(request, browser, live_server):
    size = {"width": 1280, "height": 900} if request.param == "desktop" else {"width": 390, "height": 844}
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport=size, is_mobile=request.param == "phone", bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def assert_no_serious_violations(page):
    failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    assert failing == [], describe(failing)


def test_from_the_listing_to_a_confirmation_email(visitor, mailoutbox):
    trauma = TopicFactory(name="Trauma", slug="trauma")
    boston = VenueFactory(name="Harbor Hall", city="Boston", country="US", time_zone="America/New_York")
    make_event("Trauma-informed care", topics=[trauma], venue=boston)

    visitor.goto("/events/?city=Boston&topic=trauma")
    visitor.get_by_role("link", name="Email me new events like these").click()
    expect(visitor).to_have_url(re.compile(r"/events/subscribe/\?city=Boston&topic=trauma$"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Get new events by email")
    expect(visitor.get_by_text("Events in Boston about Trauma")).to_be_visible()
    assert_no_serious_violations(visitor)

    visitor.get_by_label("Your email address").fill("ana@")
    visitor.get_by_role("button", name="Email me new events").click()
    expect(visitor.get_by_text("Enter a valid email address.")).to_be_visible()
    assert_no_serious_violations(visitor)
    assert not Subscription.objects.exists()

    visitor.get_by_label("Your email address").fill("ana@example.com")
    visitor.get_by_role("button", name="Email me new events").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(visitor.get_by_role("status")).to_contain_text("we have sent it a link to confirm")
    assert_no_serious_violations(visitor)
    assert Subscription.objects.get().query == "city=Boston&topic=trauma"
    (message,) = mailoutbox
    assert message.to == ["ana@example.com"]
