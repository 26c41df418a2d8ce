"""System checks (`manage.py check`): what a site must set up for the events app to work, said at
start-up instead of failing silently later. Registered in apps.py; silence one with
SILENCED_SYSTEM_CHECKS. The list, with each setting: docs/install.md, "Settings and checks"."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.module_loading import import_string

# Apps the events app needs next to it, beyond Wagtail's own stock list.
REQUIRED_APPS = (
    "wagtail",
    "wagtail.contrib.routable_page",
    "wagtail.snippets",
    "wagtail.images",
    "wagtail.search",
    "modelcluster",
    "django_filters",
    "django_countries",
)
BUSY_MIDDLEWARE = "events.middleware.DatabaseBusyMiddleware"
RATELIMIT_MIDDLEWARE = "django_ratelimit.middleware.RatelimitMiddleware"
RATELIMIT_VIEW = "events.middleware.ratelimited"


def missing_apps(required):
    return [app for app in required if app not in settings.INSTALLED_APPS]


@register()
def check_installed_apps(app_configs, **kwargs):
    return [
        Error(
            f"The events app needs {app!r} in INSTALLED_APPS.",
            hint=f"Add {app!r} to INSTALLED_APPS (see docs/install.md).",
            id="events.E001",
        )
        for app in missing_apps(REQUIRED_APPS)
    ]


@register()
def check_middleware(app_configs, **kwargs):
    """The 503 "very busy" and 429 "too many attempts" answers need their middleware and view."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    found = []
    if BUSY_MIDDLEWARE not in middleware:
        found.append(
            Warning(
                "A database lock wait over the limit will answer 500 instead of 503 with Retry-After.",
                hint=f"Add {BUSY_MIDDLEWARE!r} to MIDDLEWARE.",
                id="events.W001",
            )
        )
    if getattr(settings, "RATELIMIT_ENABLE", True):
        if RATELIMIT_MIDDLEWARE not in middleware:
            found.append(
                Warning(
                    "A refused burst of posts (rate limits) will answer 403 instead of 429 with Retry-After.",
                    hint=f"Add {RATELIMIT_MIDDLEWARE!r} to MIDDLEWARE.",
                    id="events.W002",
                )
            )
        if not getattr(settings, "RATELIMIT_VIEW", None):
            found.append(
                Warning(
                    "RATELIMIT_VIEW is not set: a refused burst of posts answers a bare 403.",
                    hint=f"Set RATELIMIT_VIEW = {RATELIMIT_VIEW!r}.",
                    id="events.W003",
                )
            )
    return found


def per_process(alias):
    """True when the cache `alias` is not shared between processes (each keeps its own, or none)."""
    backend = getattr(settings, "CACHES", {}).get(alias, {}).get("BACKEND", "")
    try:
        cls = import_string(backend)
    except ImportError:
        return False
    return issubclass(cls, (LocMemCache, DummyCache))


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    """Rate limits and the content version (caching.py) must be counted once for all processes."""
    if settings.DEBUG:
        return []
    aliases = {"default", getattr(settings, "RATELIMIT_USE_CACHE", "default")}
    return [
        Warning(
            f"The cache {alias!r} is kept in each process's own memory: rate limits are counted per "
            "process, and an edit may leave other processes serving cached pages until they expire.",
            hint=f"Point CACHES[{alias!r}] at a cache all processes share (Redis, Memcached, the database).",
            id="events.W004",
        )
        for alias in sorted(aliases)
        if per_process(alias)
    ]


def reaches(url_name):
    """Whether the URLconf has `url_name` and its address leads to it (not to a pattern before it,
    such as Wagtail's catch-all page serving)."""
    try:
        return resolve(reverse(url_name)).view_name == url_name
    except (NoReverseMatch, Resolver404):
        return False


def urls_included(url_name, app, what_fails, check_id):
    """A warning unless `url_name` is reached: the plugin's URLs are not in the site's URLconf, or
    come after Wagtail's own."""
    if not getattr(settings, "ROOT_URLCONF", None) or reaches(url_name):  # (as Django's URL checks)
        return []
    return [
        Warning(
            f"The {app} app's URLs are not included, or come after Wagtail's: {what_fails} answer 404.",
            hint='Add path("", include("registrations.site_urls")) to the URLconf, before Wagtail\'s own pages.',
            id=check_id,
        )
    ]


@register(Tags.urls)
def check_urls(app_configs, **kwargs):
    found = urls_included(
        "events:organizer_apply", "events", "the events API and organizer applications", "events.W005"
    )
    if getattr(settings, "ROOT_URLCONF", None) and not reaches("events_chosen_pages"):
        found.append(
            Warning(
                "The events app's admin URLs are not included before Wagtail's admin: a team member "
                "choosing pages sees the titles of other organizers' drafts.",
                hint='Add path("admin/", include("events.admin_urls")) just before Wagtail\'s admin URLs, '
                "at the same prefix.",
                id="events.W007",
            )
        )
    return found


# Hosts no visitor can reach: Wagtail's first Site (localhost) and the documentation domains (RFC 2606).
PLACEHOLDER_HOSTS = {"localhost", "example.com", "example.net", "example.org"}


def placeholder(hostname):
    host = hostname.lower().rstrip(".")
    return host in PLACEHOLDER_HOSTS or host.endswith((".example.com", ".example.net", ".example.org"))


@register(Tags.database)
def check_site_addresses(app_configs, databases=None, **kwargs):
    """Emails link to each event's own Site (EventPage.public_url): a Site left on a placeholder
    host sends attendees to it. Run by `migrate` and `check --database default`."""
    if settings.DEBUG or not databases:
        return []
    from wagtail.models import Site

    try:
        sites = [site for site in Site.objects.using(next(iter(databases))) if placeholder(site.hostname)]
    except DatabaseError:  # not migrated yet
        return []
    return [
        Warning(
            f"The Wagtail Site {site.site_name or site.hostname!r} is on {site.root_url}: the links in "
            "its events' emails and calendar invites lead there.",
            hint="Set the Site's hostname and port to its public address (Settings > Sites).",
            obj=site,
            id="events.W006",
        )
        for site in sites
    ]


@register(Tags.database)
def check_listing_rows(app_configs, databases=None, **kwargs):
    """The listings read one row per live event page (read_model.py), kept by Wagtail's saves and
    signals: pages written around them (a bulk import, SQL) are not listed, or stay listed, until
    repaired. Run by `migrate` (which then repairs them) and `check --database default`."""
    if not databases:
        return []
    from . import read_model

    try:
        missing, extra = read_model.differences(using=next(iter(databases)))
    except DatabaseError:  # not migrated yet
        return []
    if not (missing or extra):
        return []
    return [
        Warning(
            f"{len(missing)} live event pages have no listing row and {len(extra)} listing rows have no "
            "live event page: the listings, the API and the feeds do not show what is published.",
            hint="Run `manage.py rebuild_listing --missing` (`migrate` does it too).",
            id="events.W008",
        )
    ]


EDGE_MIDDLEWARE = "events.http_cache.EdgeCacheMiddleware"
# What sets cookies or Vary, or reads who the visitor is: the edge middleware must see it all.
INNER_MIDDLEWARE = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
)


@register()
def check_edge_cache_middleware(app_configs, **kwargs):
    """EdgeCacheMiddleware placed after the middleware that sets cookies would not see them, and
    could mark a page carrying a visitor's CSRF cookie or session as public (http_cache.py)."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    if EDGE_MIDDLEWARE not in middleware:
        return []
    after = [name for name in INNER_MIDDLEWARE if name in middleware[: middleware.index(EDGE_MIDDLEWARE)]]
    return (
        [
            Error(
                f"{EDGE_MIDDLEWARE} comes after {', '.join(after)}: it would not see their cookies and Vary, "
                "and could let a shared cache keep a visitor's personal response.",
                hint=f"Place {EDGE_MIDDLEWARE!r} before them in MIDDLEWARE (see docs/install.md).",
                id="events.E002",
            )
        ]
        if after
        else []
    )


def map_url_problem(url, placeholders, browser):
    """What is wrong with a map service's URL setting, or None: an http(s) address (or, for what the
    visitor's `browser` fetches, a path on this site) holding each of `placeholders`."""
    if not isinstance(url, str):
        return "is not a text"
    address = urlsplit(url)
    on_this_site = browser and url.startswith("/") and not url.startswith("//")
    if not (address.scheme in ("http", "https") and address.netloc) and not on_this_site:
        return "is neither an http(s) address nor a path on this site" if browser else "is not an http(s) address"
    missing = [placeholder for placeholder in placeholders if placeholder not in url]
    return f"lacks {', '.join(missing)}" if missing else None


@register()
def check_maps(app_configs, **kwargs):
    """A tile or geocoder URL the maps cannot use would leave every map blank, or the venue
    editor's "Look up from address" failing, with no error anywhere (maps.py, geocoding.py)."""
    from . import conf

    found = []
    services = (("EVENTS_MAP_TILE_URL", ("{z}", "{x}", "{y}"), True), ("EVENTS_GEOCODER_URL", (), False))
    for name, placeholders, browser in services:
        url = conf.get(name)
        problem = map_url_problem(url, placeholders, browser) if url else None
        if problem:
            found.append(
                Error(
                    f"{name} {problem}: {url!r}.",
                    hint=f"Set {name} as docs/install.md says (or None to turn it off).",
                    id="events.E003",
                )
            )
    return found
