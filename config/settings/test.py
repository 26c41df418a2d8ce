import os
import tempfile

from .base import *  # noqa: F403

SECRET_KEY = "test-only-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WAGTAILADMIN_BASE_URL = "http://testserver"
# Serve static files straight from the apps (no collectstatic) for the browser tests' live server.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A file, not SQLite's shared in-memory database: the live server's threads (webhooks) and the
# test's own thread then wait for each other's write lock instead of failing at once.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test process, so an interrupted run's leftovers never meet the next run.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"events-test-{os.getpid()}.sqlite3")}  # noqa: F405
    # No WAL files: they would outlive the test database file Django deletes between runs.
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=DELETE;"  # noqa: F405

# A second alias of the same test database (Django's TEST MIRROR), as a read replica would be, for
# tests/test_replica_router.py; nothing reads from it unless a test sets DATABASE_ROUTERS.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405

# Rate limits off: the suite posts many times from one address (the ticket rush runs 40 threads).
# tests/test_rate_limits.py turns them on where it proves them.
RATELIMIT_ENABLE = False
