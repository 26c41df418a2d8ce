"""Organizers paid directly (Stripe Connect, docs.stripe.com/connect/destination-charges).

With REGISTRATIONS_CONNECT on, each organizer connects a Stripe account of their own through
Stripe's hosted onboarding, and each paid order is a destination charge: the buyer pays on the
platform's Checkout, the money goes to the organizer's account, the platform keeps its fee
(`application_fee_amount`). Refunds take the organizer's share back from their account
(`reverse_transfer`) and, where the organizer's terms say so, give the fee back too. Events of an
organizer whose account cannot take payments yet do not sell paid tickets (free ones still go).

With it off, every payment goes to the platform's own account, as for a single organizer.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from events.money import decimal_places

from .. import conf, stripe_gateway
from ..models import PayoutAccount


class NotPayable(Exception):
    """Why this organizer's paid tickets cannot be sold now (a sentence for the buyer)."""


def enabled():
    return bool(conf.get("REGISTRATIONS_CONNECT"))


def account_of(organizer_id):
    return PayoutAccount.objects.filter(organizer_id=organizer_id).first()


def status(account):
    """ "not_connected", "pending" (onboarding not finished) or "active" (can take payments)."""
    if account is None:
        return "not_connected"
    return "active" if account.can_take_payments else "pending"


def fee(account, total, currency):
    """The platform's fee on a paid order of `total`: its percent and fixed part, in the currency's
    decimals, never more than the total."""
    share = total * account.fee_percent / 100 + account.fee_fixed
    return min(total, share.quantize(Decimal(1).scaleb(-decimal_places(currency)), rounding=ROUND_HALF_UP))


def destination(event, total):
    """(connected account id, platform fee, fee given back with refunds) for a paid order of
    `event`, or ("", 0, False) without Connect. Raises NotPayable if the organizer cannot take
    payments."""
    if not enabled():
        return "", Decimal(0), False
    account = account_of(event.organizer_id)
    if account is None or not account.can_take_payments:
        raise NotPayable(
            _("This organizer cannot take payments yet, so paid tickets are not on sale. Free tickets still are.")
        )
    return account.stripe_account_id, fee(account, total, event.currency), account.refund_fee


def connect(organizer, country, refresh_url, return_url):
    """The address of Stripe's onboarding for `organizer`'s account (made now if it has none)."""
    account = account_of(organizer.pk)
    if account is None:
        made = stripe_gateway.create_account(country, organizer.email, organizer.pk)
        account, _created = PayoutAccount.objects.get_or_create(
            organizer=organizer,
            defaults={
                "stripe_account_id": made.id,
                "fee_percent": Decimal(str(conf.get("REGISTRATIONS_PLATFORM_FEE_PERCENT"))),
                "fee_fixed": Decimal(str(conf.get("REGISTRATIONS_PLATFORM_FEE_FIXED"))),
            },
        )
    return stripe_gateway.create_account_link(account.stripe_account_id, refresh_url, return_url).url


def refresh(stripe_account_id):
    """Take the account's state from Stripe (never from a webhook's copy); the account or None."""
    account = PayoutAccount.objects.filter(stripe_account_id=stripe_account_id).first()
    if account is None:
        return None
    fresh = stripe_gateway.retrieve_account(stripe_account_id)
    account.charges_enabled, account.details_submitted = bool(fresh.charges_enabled), bool(fresh.details_submitted)
    account.save(update_fields=["charges_enabled", "details_submitted", "updated_at"])
    return account
