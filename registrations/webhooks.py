"""Stripe's webhook: verified on the raw body, handled idempotently, recorded once."""

import logging

import stripe
from django.db import IntegrityError
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import stripe_gateway
from .models import StripeEvent
from .services import fulfilment, payouts, refunds

log = logging.getLogger(__name__)


def handle(event):
    obj = event.data.object
    match event.type:
        case "checkout.session.completed" | "checkout.session.async_payment_succeeded":
            fulfilment.fulfil(obj.id)  # re-fetched: the webhook's copy may be stale
        case "checkout.session.async_payment_failed":
            fulfilment.payment_failed(stripe_gateway.retrieve_session(obj.id))
        case "checkout.session.expired":
            fulfilment.session_expired(stripe_gateway.retrieve_session(obj.id))
        case "refund.created" | "refund.updated" | "refund.failed" | "charge.refund.updated":
            refunds.reconcile_from_webhook(stripe_gateway.retrieve_refund(obj.id))  # re-fetched, as above
        case "account.updated":  # an organizer's connected account (a Connect event)
            payouts.refresh(obj.id)  # re-fetched, as above


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        event = stripe_gateway.construct_event(request.body, request.headers.get("Stripe-Signature", ""))
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponseBadRequest("Invalid payload or signature.")
    if StripeEvent.objects.filter(event_id=event.id).exists():
        return HttpResponse("Already handled.")
    try:
        handle(event)
    except stripe_gateway.StripeError:
        log.warning("Stripe unreachable while handling %s %s; Stripe will redeliver", event.type, event.id)
        return HttpResponse("Try again later.", status=503)
    try:
        StripeEvent.objects.create(event_id=event.id, type=event.type)
    except IntegrityError:
        pass  # handled concurrently by a duplicate delivery: both were idempotent
    return HttpResponse("OK")
