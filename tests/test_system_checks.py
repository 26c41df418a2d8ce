"""The apps' system checks tell an integrator what is missing (docs/install.md, "Settings and
checks"), and the reference site's own settings pass them."""

import io
import sys
import types

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings
from django.urls import include, path

CONFIGURED = {
    "DEBUG": False,
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache"}},
}

# A URLconf without the apps' URLs: only Wagtail's pages.
urlpatterns = [path("", include("wagtail.urls"))]


def urlconf(name, patterns):
    """A URLconf module of `patterns`, for ROOT_URLCONF."""
    module = types.ModuleType(name)
    module.urlpatterns = patterns
    sys.modules[name] = module
    return name


PLUGIN_AFTER_WAGTAIL = urlconf(
    "tests.urls_plugin_after_wagtail",
    [
        path("admin/", include("wagtail.admin.urls")),
        path("admin/", include("events.admin_urls")),
        path("", include("wagtail.urls")),
        path("", include("registrations.site_urls")),
    ],
)


def ids(**kwargs):
    return {message.id for message in run_checks(include_deployment_checks=True, **kwargs)}


def plugin_ids(**kwargs):
    return {found for found in ids(**kwargs) if found.startswith(("events.", "registrations."))}


def test_the_reference_sites_settings_pass_every_check():
    with override_settings(**CONFIGURED):
        assert plugin_ids() == set()


@pytest.mark.parametrize("setting", ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_missing_stripe_keys_are_reported_outside_debug(setting):
    expected = {"STRIPE_SECRET_KEY": "registrations.W001", "STRIPE_WEBHOOK_SECRET": "registrations.W002"}[setting]
    with override_settings(**{**CONFIGURED, setting: ""}):
        assert plugin_ids() == {expected}
        assert expected not in {m.id for m in run_checks()}  # a deploy check: `check --deploy`
    with override_settings(**{**CONFIGURED, setting: "", "DEBUG": True}):
        assert plugin_ids() == set()


def test_a_cache_in_each_processs_memory_is_reported_outside_debug():
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(**{**CONFIGURED, "CACHES": locmem}):
        assert plugin_ids() == {"events.W004"}
    with override_settings(**{**CONFIGURED, "CACHES": locmem, "DEBUG": True}):
        assert plugin_ids() == set()


def test_missing_middleware_for_the_503_and_429_answers_is_reported(settings):
    middleware = [m for m in settings.MIDDLEWARE if not m.startswith(("events.middleware", "django_ratelimit"))]
    with override_settings(**CONFIGURED, MIDDLEWARE=middleware, RATELIMIT_ENABLE=True, RATELIMIT_VIEW=None):
        assert plugin_ids() == {"events.W001", "events.W002", "events.W003"}
    with override_settings(**CONFIGURED, MIDDLEWARE=middleware, RATELIMIT_ENABLE=False):
        assert plugin_ids() == {"events.W001"}  # no rate limits: nothing to answer 429 for


def test_edge_cache_middleware_after_what_sets_cookies_is_reported(settings):
    """Placed after SessionMiddleware it would not see the session cookie, and mark a personal
    response public (events/http_cache.py)."""
    edge = "events.http_cache.EdgeCacheMiddleware"
    middleware = [m for m in settings.MIDDLEWARE if m != edge]
    late = [*middleware[: middleware.index("django.middleware.csrf.CsrfViewMiddleware") + 1], edge]
    with override_settings(**CONFIGURED, MIDDLEWARE=[*late, *middleware[len(late) - 1 :]]):
        assert plugin_ids() == {"events.E002"}
    with override_settings(**CONFIGURED, MIDDLEWARE=middleware):
        assert plugin_ids() == set()  # without it nothing is marked public: nothing to report


def test_apps_the_plugin_needs_are_reported_when_missing(settings, monkeypatch):
    apps = [app for app in settings.INSTALLED_APPS if app not in ("wagtail.contrib.routable_page", "django_tasks")]
    # The setting only, not the app registry (override_settings would reload every app).
    monkeypatch.setattr(settings._wrapped, "INSTALLED_APPS", apps)
    with override_settings(**CONFIGURED):
        found = run_checks(include_deployment_checks=True)
    messages = {m.id: m.msg for m in found if m.id.startswith(("events.", "registrations."))}
    assert set(messages) == {"events.E001", "registrations.E001"}
    assert "wagtail.contrib.routable_page" in messages["events.E001"]
    assert "django_tasks" in messages["registrations.E001"]


def test_urls_not_included_are_reported():
    with override_settings(**CONFIGURED, ROOT_URLCONF=__name__):
        assert plugin_ids() == {"events.W005", "events.W007", "registrations.W003"}


def test_urls_included_after_wagtails_own_are_reported():
    """Wagtail's page serving answers every address, and its admin every admin address: the
    plugin's included after them are never reached."""
    with override_settings(**CONFIGURED, ROOT_URLCONF=PLUGIN_AFTER_WAGTAIL):
        assert plugin_ids() == {"events.W005", "events.W007", "registrations.W003"}


@pytest.mark.django_db
def test_a_site_left_on_a_placeholder_address_is_reported(settings):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    with override_settings(**CONFIGURED):
        assert "events.W006" not in ids()  # database checks only run with a database
        assert "events.W006" in ids(databases=["default"])  # Wagtail's first Site: localhost
        Site.objects.filter(pk=site.pk).update(hostname="events.alliance.org", port=443)
        assert "events.W006" not in ids(databases=["default"])
        Site.objects.filter(pk=site.pk).update(hostname="www.example.org")
        assert "events.W006" in ids(databases=["default"])
    with override_settings(**{**CONFIGURED, "DEBUG": True}):
        assert "events.W006" not in ids(databases=["default"])


@pytest.mark.django_db
def test_event_pages_written_around_the_listing_rows_are_reported():
    from events.models import ListingEntry
    from tests.factories import make_event

    event = make_event("Imported workshop")

    def found(**kwargs):
        with override_settings(**CONFIGURED):
            return "events.W008" in ids(**kwargs)

    assert not found(databases=["default"])
    ListingEntry.objects.filter(page_id=event.pk).delete()  # (as SQL around Wagtail would)
    assert not found()  # database checks only run with a database
    assert found(databases=["default"])
    call_command("rebuild_listing", "--missing", stdout=io.StringIO())
    assert not found(databases=["default"])


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("EVENTS_MAP_TILE_URL", "https://tile.example.org/{z}/{x}.png"),  # no {y}
        ("EVENTS_MAP_TILE_URL", "tile.example.org/{z}/{x}/{y}.png"),  # no scheme
        ("EVENTS_MAP_TILE_URL", "ftp://tile.example.org/{z}/{x}/{y}.png"),
        ("EVENTS_MAP_TILE_URL", "//tile.example.org/{z}/{x}/{y}.png"),
        ("EVENTS_MAP_TILE_URL", ["https://tile.example.org/{z}/{x}/{y}.png"]),
        ("EVENTS_GEOCODER_URL", "/geocode"),  # the server asks it: an address, not a path
        ("EVENTS_GEOCODER_URL", "nominatim.example.org"),
    ],
)
def test_map_service_urls_the_maps_cannot_use_are_reported(settings, name, url):
    setattr(settings, name, url)
    errors = [message for message in run_checks() if message.id == "events.E003"]
    assert len(errors) == 1 and name in errors[0].msg


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("EVENTS_MAP_TILE_URL", "https://{s}.tile.example.org/{z}/{x}/{y}{r}.png"),
        ("EVENTS_MAP_TILE_URL", "/tiles/{z}/{x}/{y}.png"),  # served by the site itself
        ("EVENTS_MAP_TILE_URL", None),  # no maps
        ("EVENTS_GEOCODER_URL", "https://nominatim.example.org"),
        ("EVENTS_GEOCODER_URL", None),
    ],
)
def test_usable_map_service_urls_pass(settings, name, url):
    setattr(settings, name, url)
    assert "events.E003" not in {message.id for message in run_checks()}
