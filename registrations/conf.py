"""The registrations app's settings, with their defaults: the one place it reads django.conf.settings."""

from django.conf import settings

DEFAULTS = {
    "STRIPE_SECRET_KEY": "",
    "STRIPE_WEBHOOK_SECRET": "",
    # With Connect, the signing secret of a second endpoint Stripe sends connected accounts' events to
    # (account.updated), when it is not the same endpoint; blank: none.
    "STRIPE_CONNECT_WEBHOOK_SECRET": "",
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
    # "Only N seats left" is shown from this many seats down.
    "REGISTRATIONS_FEW_SEATS_LEFT": 10,
    # Abuse limits on taking seats (the rules: services/holds.py and services/waitlist.py).
    # Unpaid seats one buyer address, and one client address, may hold for one event at once.
    "REGISTRATIONS_MAX_HELD_SEATS_PER_BUYER": 10,
    "REGISTRATIONS_MAX_HELD_SEATS_PER_CLIENT": 10,
    # The longest a waitlist offer is held; it shrinks to a share of the time left before
    # registration closes (never below the minimum, never past the close).
    "REGISTRATIONS_WAITLIST_OFFER_HOURS": 24,
    "REGISTRATIONS_WAITLIST_OFFER_SHARE": 0.25,
    "REGISTRATIONS_WAITLIST_OFFER_MIN_MINUTES": 60,
    # The privacy notice buyers accept on the register form (a short text; blank: none asked), and
    # where the full policy is. Each order keeps the version of the notice and terms accepted.
    "REGISTRATIONS_PRIVACY_NOTICE": "",
    "REGISTRATIONS_PRIVACY_URL": "",
    # Stripe Connect: each organizer is paid into their own Stripe account, less the platform's fee
    # (services/payouts.py). Off: every payment goes to the platform's account, as for one organizer.
    "REGISTRATIONS_CONNECT": False,
    # The fee new payout accounts start with (percent of each paid order, and a fixed amount per
    # order in the event's currency); editable per organizer by superusers.
    "REGISTRATIONS_PLATFORM_FEE_PERCENT": 0,
    "REGISTRATIONS_PLATFORM_FEE_FIXED": 0,
    # The seller named on receipts and invoices of events that have no organizer (an organizer's
    # events name the organizer: its legal name, address and tax id). Keys: name, address, country,
    # tax_id, email, invoice_prefix (numbers are PREFIX-00001).
    "REGISTRATIONS_SELLER": {"name": "", "invoice_prefix": "INV"},
    # Wrong codes one client may try on register forms per hour (services/codes.py).
    "REGISTRATIONS_CODE_ATTEMPTS": 10,
    # A waitlist sign-up not confirmed from its email within this time is dropped.
    "REGISTRATIONS_WAITLIST_CONFIRM_HOURS": 48,
    # "My events" (services/sign_in.py): how long an emailed sign-in link works (once), and how long
    # a browser stays signed in with it.
    "REGISTRATIONS_SIGN_IN_LINK_MINUTES": 30,
    "REGISTRATIONS_SIGNED_IN_DAYS": 14,
    # Years after an event ends that its attendees' and buyers' personal data is kept (accreditors
    # ask for attendance records for years), then anonymised by `manage.py apply_retention`
    # (services/erasure.py); the money records stay. None: kept for ever.
    "REGISTRATIONS_RETENTION_YEARS": 6,
}


def get(name):
    return getattr(settings, name, DEFAULTS[name])
