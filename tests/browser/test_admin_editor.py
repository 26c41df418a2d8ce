"""What an editor's browser shows in the admin: a new event's form sends nothing and logs no error
while it is incomplete; a long event title is shown whole on its dashboard, at phone and desktop
widths."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import event_index, make_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-editor-123"
LONG_TITLE = "The therapeutic alliance in practice: " + " ".join(["rupture and repair"] * 10)


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.com", PASSWORD)


def sign_in(page, next_path):
    page.goto(f"/admin/login/?next={next_path}")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(re.compile(re.escape(next_path)))


def test_an_incomplete_new_event_sends_nothing_and_logs_no_error(page, editor):
    add_path = f"/admin/pages/add/events/eventpage/{event_index().pk}/"
    errors, posts, failed = [], [], []
    sign_in(page, add_path)
    origin = page.url.split("/admin/")[0]
    # (The sandbox has no DNS: an outside address the admin may fetch, such as an avatar, fails to
    # resolve. That is not the form's doing, and is left out.)
    page.on(
        "console",
        lambda m: m.type == "error" and "ERR_NAME_NOT_RESOLVED" not in m.text and errors.append(m.text),
    )
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    page.on("response", lambda r: r.url.startswith(origin) and r.status >= 400 and failed.append((r.status, r.url)))
    page.wait_for_timeout(2500)  # Wagtail notes the form's first state 2 s after it loads
    page.locator("#id_title").fill("Boundaries in practice")
    page.locator("#id_summary").fill("A day on professional boundaries.")
    page.wait_for_timeout(4000)  # Wagtail's autosave would have posted the form (twice) by now
    assert posts == [] and failed == [] and errors == []
    assert not page.get_by_text("There are validation errors").is_visible()


@pytest.mark.parametrize("width", [390, 1280])
def test_a_long_event_title_is_shown_whole_on_its_dashboard(page, editor, width):
    event = make_event(LONG_TITLE)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, f"/admin/registrations/events/{event.pk}/dashboard/")
    heading = page.locator("[data-event-title]")
    expect(heading).to_have_text(LONG_TITLE)
    box = heading.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width  # within the screen, wrapped
    fits = heading.evaluate("h => h.scrollWidth <= h.clientWidth")
    assert fits
