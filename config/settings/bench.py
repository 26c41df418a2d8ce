"""`make bench`: production settings, served over plain http on 127.0.0.1 against a bench database.

Everything a production deployment has stays on (DEBUG off, PostgreSQL, the Redis cache, the
database task queue for email, manifest static files); only what a plain-http loopback run cannot
have is turned off (HTTPS redirects, secure-only cookies), plus the per-address rate limits: the
load generator sends every request from one address, so they would measure the limiter, not the site.
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("EMAIL_URL", "dummy://")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from .production import *  # noqa: E402, F403

# Plain http on the loopback interface: no HTTPS redirect, HSTS or secure-only cookies.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# One client address sends every request: per-address rate limits would only measure the limiter,
# and the bound on unpaid seats one client address may hold (services/checkout.py) would stop the
# paid rush at ten buyers paying at once.
RATELIMIT_ENABLE = False
REGISTRATIONS_MAX_HELD_SEATS_PER_CLIENT = 1_000_000

# Keys of different runs (bench/run.py gives each its own prefix) and of other sites never mix.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("CACHE_KEY_PREFIX", "bench")  # noqa: F405

# Quiet logs: one line per Stripe request would cost the server more than the request itself.
LOGGING["loggers"].setdefault("stripe", {})["level"] = "WARNING"  # noqa: F405
