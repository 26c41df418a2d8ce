"""The only module that talks to Stripe: the client, amounts in minor units, and the calls we make.

Idempotency keys are deterministic (`checkout-<order>-<attempt>`, `refund-<order>-<n>[-<attempt>]`),
so the stripe library's retry after a lost response finds the object the first call made instead of
making a second one. Stripe replays the first answer to a key, errors included: a call that failed
is tried again under a new key (see services/refunds.py).
"""

import hashlib
import logging

import stripe

from events.money import from_minor_units, minor_units  # noqa: F401  (the boundary's conversions)

from . import conf
from .models import StripeTaxRate

log = logging.getLogger(__name__)

StripeError = stripe.StripeError


def as_dict(obj):
    """A Stripe object's fields (metadata, nested lists) as plain dicts; {} for None."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj or {})


def client() -> stripe.StripeClient:
    return stripe.StripeClient(
        conf.get("STRIPE_SECRET_KEY"),
        base_addresses={"api": conf.get("STRIPE_API_BASE")},
        http_client=stripe.RequestsClient(timeout=conf.get("STRIPE_TIMEOUT")),
        max_network_retries=conf.get("STRIPE_MAX_RETRIES"),
    )


def tax_rate_id(order, renew=False):
    """The id of the Stripe TaxRate for the order's tax, created at Stripe the first time a rate is
    used (a TaxRate is the platform's, and the same rate serves every order that has it). `renew`
    forgets the one known and makes another (Stripe no longer has it, or it was archived)."""
    tax = order.tax  # only an organizer's event is taxed (EventPage.tax_on)
    country = order.event.organizer.legal_country.code
    percentage = format(tax.rate.normalize(), "f")
    key = "|".join((tax.name, percentage, "inclusive" if tax.inclusive else "exclusive", country))
    if renew:
        StripeTaxRate.objects.filter(key=key).delete()
    known = StripeTaxRate.objects.filter(key=key).first()
    if known is not None:
        return known.stripe_id
    params = {
        "display_name": tax.name,  # at most 30 characters (Order.tax_name); Stripe takes 50
        "percentage": percentage,
        "inclusive": tax.inclusive,
        **({"country": country, "jurisdiction": country} if country else {}),
    }
    idempotency_key = "tax-rate-" + hashlib.sha256(key.encode()).hexdigest()[:32] + ("-renewed" if renew else "")
    rate = client().v1.tax_rates.create(params=params, options={"idempotency_key": idempotency_key})
    return StripeTaxRate.objects.get_or_create(key=key, defaults={"stripe_id": rate.id})[0].stripe_id


def create_checkout_session(order, registrations, success_url, cancel_url):
    try:
        return checkout_session(order, registrations, success_url, cancel_url)
    except stripe.InvalidRequestError as error:
        if "[tax_rates]" not in (error.param or ""):
            raise
        # The TaxRate this site knew is not one Stripe will take (the site now uses another Stripe
        # account or mode, or someone archived it): another is made, once.
        log.warning("Order %s: Stripe refused the tax rate (%s); making a new one", order.pk, error.code or error)
        return checkout_session(order, registrations, success_url, cancel_url, renew=True)


def checkout_session(order, registrations, success_url, cancel_url, renew=False):
    tax_rates = {"tax_rates": [tax_rate_id(order, renew=renew)]} if order.tax else {}
    lines = {}
    for registration in registrations:
        line = lines.setdefault(registration.ticket_type_id, {"registration": registration, "quantity": 0})
        line["quantity"] += 1
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": order.currency.lower(),
                    "unit_amount": minor_units(line["registration"].price, order.currency),
                    "product_data": {"name": f"{order.event.title} – {line['registration'].ticket_type.name}"[:250]},
                    **(
                        {"tax_behavior": "inclusive" if order.tax_inclusive else "exclusive"}
                        if order.tax_automatic
                        else {}
                    ),
                },
                "quantity": line["quantity"],
                **tax_rates,
            }
            for line in lines.values()
        ],
        "success_url": success_url,
        "cancel_url": cancel_url,
        # Stripe refuses less than 30 minutes by its own clock; the sweeper expires it at our deadline.
        "expires_at": int(order.hold_deadline.timestamp()) + 60,
        "client_reference_id": str(order.pk),
        "customer_email": order.buyer_email,
        "metadata": {"order_id": str(order.pk)},
        "payment_intent_data": {"metadata": {"order_id": str(order.pk)}},
    }
    if order.destination_account:  # Connect: a destination charge, the platform keeping its fee
        params["payment_intent_data"].update(
            transfer_data={"destination": order.destination_account},
            application_fee_amount=minor_units(order.platform_fee, order.currency),
        )
    if order.tax_automatic:  # Stripe Tax, from the buyer's country; the organizer is liable for it under Connect
        liability = {"type": "account", "account": order.destination_account} if order.destination_account else {}
        params["automatic_tax"] = {"enabled": True, **({"liability": liability} if liability else {})}
        if liability:
            params["payment_intent_data"]["on_behalf_of"] = order.destination_account
    key = f"checkout-{order.pk}-{order.checkout_attempt}" + ("-renewed" if renew else "")
    return client().v1.checkout.sessions.create(params=params, options={"idempotency_key": key})


def retrieve_session(session_id):
    """The session, with its tax broken down by rate (what Stripe Tax worked out)."""
    return client().v1.checkout.sessions.retrieve(session_id, params={"expand": ["total_details.breakdown"]})


def expire_session(session_id):
    return client().v1.checkout.sessions.expire(session_id)


def create_refund(order, refund):
    params = {
        "payment_intent": order.stripe_payment_intent_id,
        "amount": minor_units(refund.amount, order.currency),
        "metadata": {"order_id": str(order.pk), "refund_number": str(refund.number)},
    }
    if order.destination_account and not order.reverses_refunds_apart:  # the organizer's share, in proportion
        params["reverse_transfer"] = True
        if order.platform_fee_refundable and order.platform_fee:
            params["refund_application_fee"] = True
    key = f"refund-{order.pk}-{refund.number}" + (f"-{refund.attempts}" if refund.attempts else "")
    return client().v1.refunds.create(params=params, options={"idempotency_key": key})


def reverse_for_refund(order, refund):
    """Take `refund` back from the organizer's transfer by a transfer reversal, at most what is left
    of the transfer; returns the reversal (one an earlier, failed-looking call made, if any), or
    None when nothing is left to take back."""
    charge = client().v1.charges.retrieve(
        client().v1.payment_intents.retrieve(order.stripe_payment_intent_id).latest_charge
    )
    reversals = client().v1.transfers.reversals.list(charge.transfer, params={"limit": 100})
    for reversal in reversals.auto_paging_iter():
        if as_dict(reversal.metadata).get("refund_number") == str(refund.number):
            return reversal
    transfer = client().v1.transfers.retrieve(charge.transfer)
    amount = min(minor_units(refund.amount, order.currency), transfer.amount - transfer.amount_reversed)
    if amount <= 0:
        return None
    params = {"amount": amount, "metadata": {"order_id": str(order.pk), "refund_number": str(refund.number)}}
    key = f"reversal-{order.pk}-{refund.number}" + (f"-{refund.reversal_attempts}" if refund.reversal_attempts else "")
    return client().v1.transfers.reversals.create(charge.transfer, params=params, options={"idempotency_key": key})


def return_to_organizer(order, refund):
    """A transfer to the organizer's account of what it gave back for `refund` (Stripe failed the
    refund after it was taken back), or the one an earlier, failed-looking call made. Its transfer
    group names the refund, so it is found before a second is made; its idempotency key, so two
    callers at once make one."""
    group = f"refund-{order.pk}-{refund.number}-returned"
    made = client().v1.transfers.list(params={"destination": order.destination_account, "transfer_group": group}).data
    if made:
        return made[0]
    params = {
        "amount": minor_units(refund.taken_back, order.currency), "currency": order.currency.lower(),
        "destination": order.destination_account, "transfer_group": group,
        "metadata": {"order_id": str(order.pk), "refund_number": str(refund.number)},
    }  # fmt: skip
    key = f"return-{order.pk}-{refund.number}" + (f"-{refund.return_attempts}" if refund.return_attempts else "")
    return client().v1.transfers.create(params=params, options={"idempotency_key": key})


def find_refund(order, refund):
    """The Stripe refund an earlier, failed-looking call made for `refund` after all, or None."""
    listed = client().v1.refunds.list(params={"payment_intent": order.stripe_payment_intent_id, "limit": 100})
    for stripe_refund in listed.auto_paging_iter():
        if as_dict(stripe_refund.metadata).get("refund_number") == str(refund.number):
            return stripe_refund
    return None


def retrieve_refund(refund_id):
    return client().v1.refunds.retrieve(refund_id)


def create_account(country, email, organizer_id):
    """A connected account for an organizer, onboarded by Stripe's hosted flow (account links)."""
    params = {
        "type": "express",
        "country": country,
        "metadata": {"organizer_id": str(organizer_id)},
        **({"email": email} if email else {}),
    }
    return client().v1.accounts.create(params=params, options={"idempotency_key": f"account-{organizer_id}-{country}"})


def create_account_link(account_id, refresh_url, return_url):
    params = {"account": account_id, "type": "account_onboarding", "refresh_url": refresh_url, "return_url": return_url}
    return client().v1.account_links.create(params=params)


def retrieve_account(account_id):
    return client().v1.accounts.retrieve(account_id)


def construct_event(payload: bytes, signature: str):
    """The webhook's event, if Stripe signed it recently with the secret of one of the platform's
    endpoints (its own events', or the Connect endpoint's for connected accounts' events, which
    Stripe signs with that endpoint's own secret); raises ValueError or SignatureVerificationError."""
    secrets = [conf.get(name) for name in ("STRIPE_WEBHOOK_SECRET", "STRIPE_CONNECT_WEBHOOK_SECRET")]
    secrets = [secret for secret in secrets if secret] or [""]
    tolerance = conf.get("STRIPE_WEBHOOK_TOLERANCE")
    for secret in secrets[:-1]:
        try:
            return stripe.Webhook.construct_event(payload, signature, secret, tolerance=tolerance)
        except stripe.SignatureVerificationError:
            continue
    return stripe.Webhook.construct_event(payload, signature, secrets[-1], tolerance=tolerance)
