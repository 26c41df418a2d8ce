"""`make demo`: the site as production serves it (DEBUG off: the site's own 404 and 500 pages,
static files from WhiteNoise), on the address and port the demo runs on (BASE_URL, set by the
Makefile from HOST and PORT), with the local defaults of base.py (SQLite, mail to the console).

Debugging: `make demo DEBUG=1` (Django's error pages, with every URL pattern and setting).
"""

from .base import *  # noqa: F403

DEBUG = env_bool("DEBUG", False)  # noqa: F405
# Static files straight from the apps' folders (no collectstatic step), served by WhiteNoise.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Images editors upload in the demo; a real deployment serves media from its web server or storage.
SERVE_MEDIA = True

# What the demo's buyers accept on the register form (kept, by version, with each order).
REGISTRATIONS_PRIVACY_NOTICE = (
    "This demo keeps the names, emails and answers you give to run the event: the organizer's team sees them, "
    "for the event and its certificates. Nothing is sent anywhere but this machine."
)
