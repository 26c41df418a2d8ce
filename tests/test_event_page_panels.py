"""What other apps show on the event page comes through events' register_event_page_panel hook,
not through one app's template shadowing the other's: the order of INSTALLED_APPS does not matter."""

import copy
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import override_settings
from django.utils.html import format_html
from wagtail import hooks

from tests.factories import make_event

pytestmark = pytest.mark.django_db


def templates_in_order(first, second):
    """TEMPLATES that look up templates as INSTALLED_APPS with `first` listed just before `second`
    would: every app's templates folder, in app order. (Overriding INSTALLED_APPS itself runs the
    apps' ready() again, which Wagtail's own apps do not allow; the app order matters to pages only
    through this lookup.)"""
    configs = [config for config in apps.get_app_configs() if config.label not in (first, second)]
    at = min(index for index, config in enumerate(apps.get_app_configs()) if config.label in (first, second))
    ordered = [*configs[:at], apps.get_app_config(first), apps.get_app_config(second), *configs[at:]]
    folders = [str(Path(config.path) / "templates") for config in ordered]
    engine = copy.deepcopy(settings.TEMPLATES[0])
    engine.update(APP_DIRS=False, DIRS=[*engine["DIRS"], *(folder for folder in folders if Path(folder).is_dir())])
    return [engine]


@pytest.mark.parametrize("first, second", [("events", "registrations"), ("registrations", "events")])
def test_the_event_page_shows_the_register_button_whatever_the_order_of_installed_apps(client, first, second):
    event = make_event("Workshop", tickets=[("Standard", "0")])
    with override_settings(TEMPLATES=templates_in_order(first, second)):
        html = client.get(event.url).content.decode()
    assert 'class="registration-box"' in html and "Register now" in html
    assert event.route_url("register") in html


def test_a_panel_registered_by_another_app_shows_on_the_event_page_and_plain_text_is_escaped(client):
    event = make_event("Workshop")

    def badge(request, page):
        return format_html('<p class="partner-badge">{} · {}</p>', page.title, request.path)

    def note(request, page):
        return "<b>not markup</b>"

    with (
        hooks.register_temporarily("register_event_page_panel", badge),
        hooks.register_temporarily("register_event_page_panel", note),
    ):
        html = client.get(event.url).content.decode()
    assert f'<p class="partner-badge">Workshop · {event.url}</p>' in html
    assert "&lt;b&gt;not markup&lt;/b&gt;" in html
    assert html.index('class="registration-box"') < html.index("partner-badge")
