"""The registrations app's settings, with their defaults: the one place it reads django.conf.settings."""

from django.conf import settings

DEFAULTS = {
    "STRIPE_SECRET_KEY": "",
    "STRIPE_WEBHOOK_SECRET": "",
    "STRIPE_API_BASE": "https://api.stripe.com",
    # Seconds before a call to Stripe gives up, and how often the stripe library retries it.
    "STRIPE_TIMEOUT": 10,
    "STRIPE_MAX_RETRIES": 2,
    # Webhooks signed longer ago than this are refused (Stripe's own default).
    "STRIPE_WEBHOOK_TOLERANCE": 300,
    # How long a seat is held while the buyer pays. Stripe requires a Checkout Session to live at
    # least 30 minutes by its own clock, so the session gets one minute more.
    "REGISTRATIONS_HOLD_MINUTES": 30,
    "REGISTRATIONS_MAX_QUANTITY": 10,
    "REGISTRATIONS_WAITLIST_OFFER_HOURS": 24,
}


def get(name):
    return getattr(settings, name, DEFAULTS[name])
