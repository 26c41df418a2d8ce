from django import template
from django.db.models import prefetch_related_objects
from django.utils import timezone

from .. import conf
from ..services import payouts
from ..services.capacity import availability

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def any_errors(forms):
    """Whether any of the forms has errors (the register page's summary speaks for every attendee)."""
    return any(form.errors for form in forms)


def registration_box_context(request, page, live=True):
    """What the Register box shows: each ticket with the seats left, whether registration is open
    (of the event itself, for a translated page: `EventPage.canonical`).

    Not `live`: the box as the event page shows it to everyone, kept by shared caches until the
    next edit, so without what changes when seats are taken or payouts open (no seats left, no
    "sold out"); it names the address of the live box (the `registration_box` route, never
    cached), which events/static/events/live-fragments.js puts in its place."""
    event = page.canonical
    prefetch_related_objects([event], "ticket_types")  # for availability() too
    tickets = event.public_ticket_types
    seats = availability(event) if tickets and live else {}
    open_now = event.registration_is_open(timezone.now())
    return {
        "request": request,
        "event": event,
        "event_page": page,
        "tickets": [(ticket, seats.get(ticket.pk), event.tax_on(ticket)) for ticket in tickets],
        "open": open_now and (not live or any(ticket.on_sale() for ticket in tickets)),
        "sold_out": bool(tickets) and live and all(seats.get(t.pk) == 0 for t in tickets),
        "few_seats_left": conf.get("REGISTRATIONS_FEW_SEATS_LEFT"),
        "paid_not_on_sale": live and open_now and paid_tickets_wait_for_payouts(event, tickets),
        "live_url": None if live else page.route_url("registration_box", request),
    }


def paid_tickets_wait_for_payouts(event, tickets):
    """With Connect: whether the organizer cannot take payments yet, though the event sells paid tickets."""
    if not payouts.enabled() or all(ticket.is_free for ticket in tickets):
        return False
    return payouts.status(payouts.account_of(event.organizer_id)) != "active"


@register.inclusion_tag("registrations/includes/registration_box.html", takes_context=True)
def registration_box(context, event):
    """`{% registration_box event %}`: the Register box, for a template of your own. The event page
    shows it by itself (the register_event_page_panel hook in wagtail_hooks.py)."""
    return registration_box_context(context.get("request"), event)
