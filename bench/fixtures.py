"""The bench's database side, run as a script against the bench settings; it prints JSON.

    python -m bench.fixtures count                  how many events the database holds
    python -m bench.fixtures sample N               N upcoming event slugs, spread over the table
    python -m bench.fixtures rush free|paid SEATS   (re)create the rush event: one ticket type, no orders
    python -m bench.fixtures outcome SLUG           what the rush left in the database

The orchestrator (bench/run.py) calls these in a subprocess, so it never imports Django itself.
"""

import datetime as dt
import json
import os
import sys
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from events.models import EventIndexPage, EventPage, EventQuestion, EventSession, Organizer, TicketType  # noqa: E402
from registrations.models import Invoice, Order, PromoCode, Refund, Registration, WaitlistEntry  # noqa: E402

RUSH = {
    "free": {"slug": "bench-ticket-rush-free", "title": "Bench ticket rush (free)", "price": Decimal(0)},
    "paid": {
        "slug": "bench-ticket-rush-paid",
        "title": "Bench ticket rush (paid)",
        "price": Decimal("25.00"),
        "code": "BENCH10",  # 10% off: every buyer comes by the code's link
    },
}


def count():
    return {"events": EventPage.objects.count()}


def sample(n):
    """Slugs of `n` upcoming events picked evenly through the table, so pages are not all cached."""
    slugs = list(EventPage.objects.live().upcoming().order_by("pk").values_list("slug", flat=True))
    step = max(1, len(slugs) // n)
    return {"slugs": slugs[::step][:n]}


def with_code_and_questions(event, spec):
    """The paid rush as organizers sell: a code for all, terms to accept, a question to answer,
    20% VAT in the price (so each paid order also gets its invoice)."""
    if not spec.get("code"):
        return {}
    EventPage.objects.filter(pk=event.pk).update(terms="Sessions are not recorded.")
    TicketType.objects.filter(page=event).update(tax_rate=Decimal(20))
    EventQuestion.objects.get_or_create(
        page=event, label="Licensing board", defaults={"kind": EventQuestion.Kind.SHORT_TEXT, "required": True}
    )
    PromoCode.objects.get_or_create(
        organizer_id=event.organizer_id, code=spec["code"], defaults={"event": event, "value": Decimal(10)}
    )
    return {"code": spec["code"]}


@transaction.atomic
def rush(kind, seats):
    """The rush event, emptied of every order: one ticket type of `seats` seats, on sale now (the
    paid one with a code, terms and a required question)."""
    spec = RUSH[kind]
    event = EventPage.objects.filter(slug=spec["slug"]).first()
    if event is not None:
        Invoice.objects.filter(order__event=event).delete()
        Refund.objects.filter(order__event=event).delete()
        WaitlistEntry.objects.filter(event=event).delete()
        Registration.objects.filter(event=event).delete()
        Order.objects.filter(event=event).delete()
        event.ticket_types.update(capacity=seats, price=spec["price"])
        EventPage.objects.filter(pk=event.pk).update(capacity=seats)
        return {
            "slug": event.slug,
            "ticket_type": event.ticket_types.get().pk,
            "seats": seats,
            **with_code_and_questions(event, spec),
        }
    index = EventIndexPage.objects.order_by("path").first()
    start = (timezone.now() + dt.timedelta(days=30)).replace(hour=14, minute=0, second=0, microsecond=0)
    event = EventPage(
        title=spec["title"],
        slug=spec["slug"],
        summary="A synthetic event for `make bench`: many buyers at once for a fixed number of seats.",
        time_zone="Europe/London",
        format=EventPage.Format.ONLINE,
        online_url="https://meet.example/bench",
        language="en",
        currency="USD",
        ce_hours=Decimal(0),
        capacity=seats,
        organizer=Organizer.objects.order_by("pk").first(),
    )
    event.sessions = [EventSession(start=start, end=start + dt.timedelta(hours=3))]
    event.ticket_types = [TicketType(name="Seat", price=spec["price"], capacity=seats)]
    index.add_child(instance=event)
    event.save_revision().publish()
    event.refresh_from_db()
    return {
        "slug": event.slug,
        "ticket_type": event.ticket_types.get().pk,
        "seats": seats,
        **with_code_and_questions(event, spec),
    }


def outcome(slug):
    """Seats and orders of the rush event, and each order's Checkout Session for the paid rush."""
    event = EventPage.objects.get(slug=slug)
    registrations = dict(
        Registration.objects.filter(event=event)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    orders = dict(
        Order.objects.filter(event=event).values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    taking = registrations.get("held", 0) + registrations.get("confirmed", 0)
    sessions = {
        session: status
        for session, status in Order.objects.filter(event=event)
        .exclude(stripe_checkout_session_id=None)
        .values_list("stripe_checkout_session_id", "status")
    }
    # A paid order whose seats are not all confirmed, or a confirmed seat whose order is not paid.
    mismatched = (
        Registration.objects.filter(event=event, order__status=Order.Status.PAID)
        .exclude(status=Registration.Status.CONFIRMED)
        .count()
        + Registration.objects.filter(event=event, status=Registration.Status.CONFIRMED)
        .exclude(order__status=Order.Status.PAID)
        .count()
    )
    return {
        "capacity": event.capacity,
        "registrations": registrations,
        "orders": orders,
        "oversold": max(0, taking - event.capacity),
        "mismatched": mismatched,
        "refunds": Refund.objects.filter(order__event=event).count(),
        # Invoices of the rush's paid orders, and whether their numbers run on without a gap.
        "invoices": Invoice.objects.filter(order__event=event, kind=Invoice.Kind.INVOICE).count(),
        "invoice_gaps": invoice_gaps(event),
        "sessions": sessions,
    }


def invoice_gaps(event):
    """Numbers missing from the series of the rush's invoices (their seller's invoices since the
    first of them): 0 when they run on without a gap."""
    numbers = list(
        Invoice.objects.filter(order__event=event, kind=Invoice.Kind.INVOICE).values_list("number", flat=True)
    )
    if not numbers:
        return 0
    series = Invoice.objects.filter(order__event=event, kind=Invoice.Kind.INVOICE).values_list("series", flat=True)[0]
    issued = Invoice.objects.filter(series=series, number__gte=min(numbers), number__lte=max(numbers)).count()
    return max(numbers) - min(numbers) + 1 - issued


def main(argv):
    command, *args = argv
    if command == "count":
        result = count()
    elif command == "sample":
        result = sample(int(args[0]))
    elif command == "rush":
        result = rush(args[0], int(args[1]))
    elif command == "outcome":
        result = outcome(args[0])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
