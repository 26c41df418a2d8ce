"""The only module that talks to Stripe: the client, amounts in minor units, and the calls we make.

Idempotency keys are deterministic (`checkout-<order>-<attempt>`, `refund-<order>-<n>`), so a
retried call after a lost response finds the object the first call made instead of a second one.
"""

from decimal import Decimal

import stripe

from . import conf

# Stripe's zero-decimal currencies (amounts are whole units, not cents).
ZERO_DECIMAL = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "JPY",
    "KMF",
    "KRW",
    "MGA",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}
# Three-decimal currencies: Stripe takes thousandths, the last digit zero.
THREE_DECIMAL = {"BHD", "JOD", "KWD", "OMR", "TND"}

StripeError = stripe.StripeError


def minor_units(amount: Decimal, currency: str) -> int:
    """`amount` in the currency's smallest unit, as Stripe wants it (JPY 1500 -> 1500, USD 12.5 -> 1250)."""
    currency = currency.upper()
    exponent = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    return int((Decimal(amount) * 10**exponent).to_integral_value())


def from_minor_units(amount: int, currency: str) -> Decimal:
    currency = currency.upper()
    exponent = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    return Decimal(amount) / 10**exponent


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


def create_checkout_session(order, registrations, success_url, cancel_url):
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
                },
                "quantity": line["quantity"],
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
    key = f"checkout-{order.pk}-{order.checkout_attempt}"
    return client().v1.checkout.sessions.create(params=params, options={"idempotency_key": key})


def retrieve_session(session_id):
    return client().v1.checkout.sessions.retrieve(session_id)


def expire_session(session_id):
    return client().v1.checkout.sessions.expire(session_id)


def create_refund(order, refund):
    params = {
        "payment_intent": order.stripe_payment_intent_id,
        "amount": minor_units(refund.amount, order.currency),
        "metadata": {"order_id": str(order.pk), "refund_number": str(refund.number)},
    }
    return client().v1.refunds.create(params=params, options={"idempotency_key": f"refund-{order.pk}-{refund.number}"})


def construct_event(payload: bytes, signature: str):
    """The webhook's event, if Stripe signed it recently; raises ValueError or SignatureVerificationError."""
    return stripe.Webhook.construct_event(
        payload, signature, conf.get("STRIPE_WEBHOOK_SECRET"), tolerance=conf.get("STRIPE_WEBHOOK_TOLERANCE")
    )
