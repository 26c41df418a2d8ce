"""The events app's settings, with their defaults: the one place it reads django.conf.settings."""

from django.conf import settings

DEFAULTS = {
    # Events per page on the listing and in the JSON API.
    "EVENTS_PAGE_SIZE": 20,
    # Largest page a client may ask the JSON API for (?page_size=).
    "EVENTS_API_MAX_PAGE_SIZE": 100,
    # Default currency of a new event.
    "EVENTS_DEFAULT_CURRENCY": "USD",
    # The domain in calendar UIDs; it must never change once invites are out.
    "EVENTS_UID_DOMAIN": "events.invalid",
}


def get(name):
    return getattr(settings, name, DEFAULTS[name])
