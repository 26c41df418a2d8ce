"""Settings shared by every environment.

Everything that differs between a laptop and production comes from environment variables, with
defaults that are safe for local use. See README.md, "Configuration".
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "home",
    "registrations",
    "events",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_countries",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "axes",  # sign-in lockouts (see "Sign-in attempts" below)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.CSPMiddleware",  # Content-Security-Policy on public pages (see "Security" below)
    "config.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",  # ETag, and 304 for a page the client has
    "events.http_cache.EdgeCacheMiddleware",  # Cache-Control: public pages shared, the rest private
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "events.caching.ContentVersionMiddleware",  # one version of the cached pieces per request
    "events.routing.CachedSiteMiddleware",  # the request's Wagtail Site from the cache
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",  # a refused burst: RATELIMIT_VIEW (429)
    "events.middleware.DatabaseBusyMiddleware",  # a lock wait over the limit: 503 and Retry-After
    "axes.middleware.AxesMiddleware",  # a locked-out sign-in: AXES_LOCKOUT_CALLABLE (429)
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, default an SQLite file. SQLite takes its write lock when a transaction
# begins (IMMEDIATE), so two writers never deadlock on a lock upgrade while taking a seat.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
# PostgreSQL: a request waits at most DB_LOCK_TIMEOUT_MS for a row lock (the event's, while a rush
# takes seats), then answers 503 "try again" (events/middleware.py) instead of piling up.
# DB_STATEMENT_TIMEOUT_MS bounds any one query (0: no limit).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={int(os.environ.get('DB_LOCK_TIMEOUT_MS', 5000))}"
        f" -c statement_timeout={int(os.environ.get('DB_STATEMENT_TIMEOUT_MS', 0))}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: REDIS_URL when given (shared by all web processes), else local memory.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            # django-redis keeps one client per connection pool; Django's own RedisCache makes a
            # new one (~0.25 ms) for every cache call, several times per page.
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The sites and pages found by address (events/routing.py), in each process's own memory: their keys
# hold the content version that the default cache shares, so no process serves a changed page.
CACHES["routing"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "routing",
    "OPTIONS": {"MAX_ENTRIES": 2000},
}
EVENTS_ROUTING_CACHE = "routing"

# Security headers on every response (SecurityMiddleware, XFrameOptionsMiddleware and
# config/security.py). Ticket, order and waitlist links carry their secret in the path, so the
# Referer never leaves the site.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The check-in page reads QR codes with the camera; the listing's "Use my location" asks for the
# position (only when pressed); nothing asks for anything else.
PERMISSIONS_POLICY = {
    "camera": "(self)",
    "microphone": "()",
    "geolocation": "(self)",
    "payment": "()",
    "usb": "()",
}
# Content-Security-Policy (django-csp 4) for the public site: scripts, styles, fonts and fetches
# only from this site, no inline script or style. QR codes on ticket pages are inline SVG;
# `data:` images are icons in CSS. The Wagtail admin uses inline scripts and styles of its own
# (and its preview is framed by itself), so it is left out. form-action also allows Stripe
# Checkout, where the registration form's post is redirected to pay.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "https://checkout.stripe.com"],
    },
}

# Rate limits on the public actions that write (events/ratelimits.py: registering, the waitlist,
# organizer applications, check-in), counted per client address in the cache above: set REDIS_URL
# in production, or each web process counts on its own. RATELIMIT_ENABLE=0 turns them off (load
# tests). Behind a proxy, CLIENT_IP_HEADER names the header holding the client's address (see
# config/security.py), or every visitor shares the proxy's limit.
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "events.middleware.ratelimited"
RATELIMIT_IP_META_KEY = "config.security.client_ip"
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")
RATELIMITS = {}  # {group: "count/period"} to change a default of events/ratelimits.py

# Sign-in attempts (django-axes): after LOGIN_FAILURE_LIMIT failed sign-ins for one username, or
# from one address, that username or address may not sign in, not even with the right password,
# for LOGIN_COOLOFF_MINUTES; each failure during the pause starts it again, a success resets the
# count. Attempts are counted in the database, which every web process shares. Locking a username
# lets someone pause a known account's sign-in; without it, one account could be guessed at from
# many addresses, and staff see attendee data and issue refunds.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"  # the address the rate limits count, too
AXES_LOCKOUT_CALLABLE = "config.security.sign_in_locked_out"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not logged by axes: only the failures it counts
AXES_VERBOSE = False  # no start-up banner in every management command

# How long a listing or API page, a calendar feed, an event page's content (never its registration
# box) and the site and pages an address leads to may be served from the cache; edits make them
# stale at once (events/conf.py, events/signals.py). 0 turns a cache off.
EVENTS_LISTING_CACHE_SECONDS = int(os.environ.get("EVENTS_LISTING_CACHE_SECONDS", 60))
EVENTS_FEED_CACHE_SECONDS = int(os.environ.get("EVENTS_FEED_CACHE_SECONDS", 300))
EVENTS_PAGE_CACHE_SECONDS = int(os.environ.get("EVENTS_PAGE_CACHE_SECONDS", 300))
EVENTS_ROUTING_CACHE_SECONDS = int(os.environ.get("EVENTS_ROUTING_CACHE_SECONDS", 300))
# HTTP caching at the edge (events/http_cache.py): how long a browser, and a CDN or Varnish, may keep
# a public page (event pages, listings, feeds, the API). Edits purge the front-end cache at
# FRONTEND_CACHE_URL (deploy/varnish.vcl; events/purge.py, through Wagtail's frontend_cache).
EVENTS_HTTP_MAX_AGE = int(os.environ.get("EVENTS_HTTP_MAX_AGE", 60))
EVENTS_HTTP_S_MAXAGE = int(os.environ.get("EVENTS_HTTP_S_MAXAGE", 600))
if os.environ.get("FRONTEND_CACHE_URL"):
    WAGTAILFRONTENDCACHE = {
        "varnish": {"BACKEND": "events.purge.HTTPBackend", "LOCATION": os.environ["FRONTEND_CACHE_URL"]}
    }

# Maps (events/maps.py): tiles from OpenStreetMap unless EVENTS_MAP_TILE_URL names another server
# (with EVENTS_MAP_ATTRIBUTION); EVENTS_MAP_TILE_URL="" turns maps off. The Content-Security-Policy
# allows the tile host (config/security.py). EVENTS_GEOCODER_URL (a Nominatim-compatible service,
# such as https://nominatim.openstreetmap.org) shows the venue editor's "Look up from address".
if "EVENTS_MAP_TILE_URL" in os.environ:
    EVENTS_MAP_TILE_URL = os.environ["EVENTS_MAP_TILE_URL"] or None
if "EVENTS_MAP_ATTRIBUTION" in os.environ:
    EVENTS_MAP_ATTRIBUTION = os.environ["EVENTS_MAP_ATTRIBUTION"]
EVENTS_GEOCODER_URL = os.environ.get("EVENTS_GEOCODER_URL") or None

# Email: EMAIL_URL such as smtp://user:password@host:587/?tls=1, or console:// for development.
from config.settings.email import email_settings  # noqa: E402

globals().update(email_settings(os.environ.get("EMAIL_URL", "console://")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Events <events@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background work (email, sweeps): the database queue in production, immediate in development.
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "site" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        # Never an attendee's name or email: the stripe library logs request bodies at DEBUG, and
        # Django's template debugging the whole context (config/security.py). Nor a key to an
        # order: the stripe library logs every request's path (with the Checkout Session id) at
        # INFO, and Django the address of a 404 or, in development, of every request.
        "stripe": {"level": "WARNING", "filters": ["no_stripe_bodies"]},
        "django.request": {"filters": ["no_secret_links"]},
        "django.server": {"filters": ["no_secret_links"]},
        "django.security.csrf": {"filters": ["no_secret_links"]},
        "urllib3": {"level": "WARNING"},
        "urllib3.connectionpool": {"filters": ["no_secret_links"]},
        "django.template": {"level": "INFO", "filters": ["no_template_context"]},
    },
    "filters": {
        "no_stripe_bodies": {"()": "config.security.DropMessages", "below": "WARNING"},
        "no_secret_links": {"()": "config.security.RedactSecretLinks"},
        "no_template_context": {
            "()": "config.security.DropMessages",
            "containing": ["Exception while resolving variable"],
        },
    },
}

# Stripe: a real key in production; `make demo` and the tests point these at the emulator.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")

WAGTAIL_SITE_NAME = "Events"
WAGTAILADMIN_BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": os.environ.get("SEARCH_BACKEND", "wagtail.search.backends.database")}}
if os.environ.get("OPENSEARCH_URL"):
    WAGTAILSEARCH_BACKENDS["default"] = {
        "BACKEND": "wagtail.search.backends.opensearch2",
        "URLS": [os.environ["OPENSEARCH_URL"]],
        "INDEX": "events",
    }
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
