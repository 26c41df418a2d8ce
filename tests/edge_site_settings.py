"""Settings of the site that tests/test_varnish.py serves with gunicorn behind Varnish: the test
settings, on the test's database (DATABASE_URL), with the default cache in files that the test
process reads too, so that the content version its publish changes (events/caching.py) is the one
the served site reads, as a shared Redis makes it in production."""

import os

from config.settings.test import *  # noqa: F403

CACHES["default"] = {  # noqa: F405
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": os.environ["EDGE_CACHE_DIR"],
}
DEBUG = False
