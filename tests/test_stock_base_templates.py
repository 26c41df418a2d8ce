"""The public pages of events and registrations on a site whose base.html is the one `wagtail start`
makes: they fill only its block names, so their JSON-LD, stylesheets, scripts and content all arrive."""

import copy
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
import wagtail
from django.template import Context, Engine
from django.urls import reverse
from django.utils import timezone

from events.models import TicketType
from tests.factories import make_event, make_registration

pytestmark = pytest.mark.django_db

PROJECT_BASE = Path(wagtail.__file__).parent / "project_template" / "project_name" / "templates" / "base.html"


@pytest.fixture
def stock_base(settings, tmp_path):
    """Wagtail's project template base.html, made as `wagtail start mysite` makes it, first in the
    template search path (so it stands in for the reference site's base.html)."""
    text = Engine().from_string(PROJECT_BASE.read_text()).render(Context({"project_name": "mysite"}))
    (tmp_path / "base.html").write_text(text)
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [str(tmp_path), *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    return text


def on_stock_base(response):
    """The page's head and body, after checking that the stock base (not the site's) laid it out."""
    assert response.status_code == 200, response.content[:500]
    html = response.content.decode()
    assert "css/mysite.css" in html and 'class="site-header"' not in html
    head, body = html.split("</head>")
    return head, body


def stylesheet(path):
    return re.compile(rf'<link rel="stylesheet" href="/static/{re.escape(path)}"')


def script(path):
    return re.compile(rf'<script src="/static/{re.escape(path)}" defer></script>')


@pytest.fixture
def event():
    start = timezone.now() + dt.timedelta(days=7)
    return make_event(
        "Trauma-informed care",
        sessions=[(start, start + dt.timedelta(hours=3))],
        tickets=[("Standard", "120")],
        ce_hours=Decimal("3"),
    )


def test_the_event_page_keeps_its_json_ld_script_and_register_button_on_a_stock_base(client, stock_base, event):
    head, body = on_stock_base(client.get(event.url))
    assert '<script type="application/ld+json">' in head and '"@type": "Event"' in head
    assert script("events/local-times.js").search(body)
    assert "<h1>Trauma-informed care</h1>" in body
    assert event.route_url("register") in body and "Register now" in body


def test_the_listing_keeps_its_feed_link_and_scripts_on_a_stock_base(client, stock_base, event):
    head, body = on_stock_base(client.get(event.get_parent().url))
    assert 'type="text/calendar"' in head
    assert script("events/listing-filters.js").search(body) and script("events/local-times.js").search(body)
    assert "Trauma-informed care" in body and "data-viewer-time" in body


def test_the_register_page_keeps_its_form_and_script_on_a_stock_base(client, stock_base, event):
    TicketType.objects.create(page=event, name="Student", price=Decimal("60"), for_ce_credit=False)
    head, body = on_stock_base(client.get(event.route_url("register")))
    assert "Register: Trauma-informed care" in head
    assert 'name="attendee-0-email"' in body
    assert script("registrations/register.js").search(body)


def test_the_ticket_page_keeps_its_stylesheet_and_script_on_a_stock_base(client, stock_base, event):
    registration = make_registration(event)
    head, body = on_stock_base(client.get(reverse("registrations:ticket", args=[registration.ticket_secret])))
    assert stylesheet("registrations/ticket.css").search(head)
    assert script("events/local-times.js").search(body)
    assert "Trauma-informed care" in body and registration.door_code_display in body


def test_the_order_page_keeps_its_content_on_a_stock_base(client, stock_base, event):
    order = make_registration(event).order
    head, body = on_stock_base(client.get(reverse("registrations:order", args=[order.token])))
    assert "Your registration" in head
    assert "Trauma-informed care" in body and "Ana Pérez" in body


def test_the_check_in_page_keeps_its_stylesheet_script_and_body_class_on_a_stock_base(
    client, stock_base, django_user_model
):
    now = timezone.now()
    event = make_event("Door test", sessions=[(now - dt.timedelta(hours=1), now + dt.timedelta(hours=2))])
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    head, body = on_stock_base(client.get(reverse("registrations:checkin", args=[event.pk])))
    assert stylesheet("registrations/checkin.css").search(head)
    assert '<body class="checkin-page">' in body
    assert script("registrations/checkin.js").search(body)
    assert 'id="checkin-counts"' in body


def test_the_site_chrome_includes_add_a_skip_link_language_switcher_and_messages_to_a_stock_base(
    client, stock_base, tmp_path, event
):
    chrome = (
        '{% include "events/includes/skip_link.html" %}{% include "events/includes/language_switcher.html" %}'
        '<main id="main">{% include "events/includes/messages.html" %}'
    )
    (tmp_path / "base.html").write_text(
        stock_base.replace("{% wagtailuserbar %}", chrome).replace("</body>", "</main></body>")
    )
    registration = make_registration(event)
    cancel = reverse("registrations:ticket_cancel", args=[registration.ticket_secret])
    # The event has no cancellation policy: the ticket page says so in a message.
    head, body = on_stock_base(client.get(cancel, follow=True))
    assert '<a class="skip-link" href="#main">Skip to content</a>' in body
    assert f'action="{reverse("events:set_language")}"' in body and '<option value="es" lang="es"' in body
    assert '<ul class="messages" role="status"><li class="error">This ticket can no longer be cancelled online' in body
