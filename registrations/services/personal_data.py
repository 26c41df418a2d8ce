"""Everything the plugin holds about one email address, for the person to download from "My events"
(GDPR's right of access, in a machine-readable form).

Every row that names the address, and the rows that hang off them: seats (with their check-ins),
orders placed as the buyer (with their refunds, invoices and history), evaluation answers given
under their name (anonymous ones are linked to nobody), waitlist entries, email
subscriptions, organizer applications and sign-in links; each row with all its fields, as Django's
serializer writes them, but for the secrets that open pages (ticket and order links, tokens): those
are keys, not data about the person, and a file people keep must not be one.
"""

import json

from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from events.models import OrganizerApplication, Subscription

from ..models import (
    CheckIn,
    EvaluationResponse,
    Invoice,
    Order,
    OrderLogEntry,
    Refund,
    Registration,
    SignInLink,
    WaitlistEntry,
)
from .sign_in import by_address, normalised

SECRETS = {"ticket_secret", "token", "confirm_token", "token_hash", "door_code"}


def rows(queryset):
    """Each row as {"model", "pk", "fields"}, without SECRETS."""
    result = serializers.serialize("python", queryset)
    for row in result:
        for name in SECRETS & row["fields"].keys():
            del row["fields"][name]
    return result


def export(email, now=None):
    """All of it, as one JSON-ready dict."""
    registrations = by_address(Registration, "email", email)
    orders = by_address(Order, "buyer_email", email)
    return {
        "email": normalised(email),
        "exported_at": now or timezone.now(),
        "registrations": rows(registrations),
        "check_ins": rows(CheckIn.objects.filter(registration__in=registrations).order_by("pk")),
        "evaluations": rows(EvaluationResponse.objects.filter(registration__in=registrations).order_by("pk")),
        "orders": rows(orders),
        "refunds": rows(Refund.objects.filter(order__in=orders).order_by("pk")),
        "invoices": rows(Invoice.objects.filter(order__in=orders).order_by("pk")),
        "order_history": rows(OrderLogEntry.objects.filter(order__in=orders).order_by("pk")),
        "waitlist": rows(by_address(WaitlistEntry, "email", email)),
        "subscriptions": rows(by_address(Subscription, "email", email)),
        "organizer_applications": rows(by_address(OrganizerApplication, "email", email)),
        "sign_in_links": rows(by_address(SignInLink, "email", email)),
    }


def as_json(email):
    return json.dumps(export(email), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
