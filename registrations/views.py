"""Public registration pages: thin callers of services/. Every failure the buyer can cause or
meet (bad input, sold out, closed, Stripe down) re-renders with a message and changes nothing."""

import re

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from events.inputs import parse_int
from events.models import EventPage
from events.ratelimits import limit_posts
from events.templatetags.event_tags import price

from . import conf, stripe_gateway
from .converters import secret_page
from .forms import TicketForm, WaitlistForm, attendee_forms
from .invites import invite_calendar
from .models import Order, Registration, WaitlistEntry
from .services import cancellation, certificates, checkout, fulfilment, waitlist
from .services.capacity import SoldOut, availability

ORDERS_OF_THIS_BROWSER = "registrations_orders"


def remember_order(request, order):
    """This browser placed `order`: only here does Stripe's return lead on to the order page."""
    tokens = request.session.get(ORDERS_OF_THIS_BROWSER, [])
    request.session[ORDERS_OF_THIS_BROWSER] = [*tokens, order.token][-20:]


def placed_here(request, order):
    return order.token in request.session.get(ORDERS_OF_THIS_BROWSER, [])


def live_event(slug):
    return get_object_or_404(EventPage.objects.live().public().select_related("venue", "organizer"), slug=slug)


def parse_quantity(value):
    """How many attendee blocks to show; the form itself validates the number."""
    quantity = parse_int(value if isinstance(value, int) else str(value), minimum=1)
    return quantity if quantity is not None and quantity <= conf.get("REGISTRATIONS_MAX_QUANTITY") else 1


@require_http_methods(["GET", "POST"])
@limit_posts("register")
def register(request, slug, waitlist_entry=None):
    event = live_event(slug)
    seats = availability(event)
    data = request.POST if request.method == "POST" else None
    initial = {"ticket_type": request.GET.get("ticket"), "quantity": parse_quantity(request.GET.get("quantity", 1))}
    ticket_form = TicketForm(data, initial=initial, event=event, availability=seats)
    if waitlist_entry is not None:
        ticket_form.fields["ticket_type"].choices = [(waitlist_entry.ticket_type_id, waitlist_entry.ticket_type.name)]
        ticket_form.fields["quantity"].max_value = 1
    quantity = parse_quantity((data or {}).get("quantity", initial["quantity"]))
    attendees = attendee_forms(data, quantity, ce=bool(event.ce_hours))
    context = {
        "event": event,
        "ticket_form": ticket_form,
        "attendee_forms": attendees,
        "seats": seats,
        "waitlist_entry": waitlist_entry,
    }
    context["all_sold_out"] = bool(seats) and all(left == 0 for left in seats.values())
    if request.method == "GET":
        return render(request, "registrations/register.html", context)
    if "update_quantity" in data:  # only the number of attendees changed: show its blocks, keep what was typed
        context["ticket_form"] = TicketForm(
            initial={"ticket_type": data.get("ticket_type"), "quantity": quantity}, event=event, availability=seats
        )
        context["attendee_forms"] = attendee_forms(None, quantity, ce=bool(event.ce_hours), typed=data)
        return render(request, "registrations/register.html", context)
    if not (ticket_form.is_valid() and all(form.is_valid() for form in attendees)):
        if ticket_form.is_valid() and ticket_form.cleaned_data["quantity"] != len(attendees):
            context["attendee_forms"] = attendee_forms(
                None, ticket_form.cleaned_data["quantity"], ce=bool(event.ce_hours)
            )
        return render(request, "registrations/register.html", context, status=200)
    if waitlist_entry is not None and (
        ticket_form.cleaned_data["quantity"] != 1
        or ticket_form.cleaned_data["ticket_type"] != waitlist_entry.ticket_type_id
    ):
        context["error"] = _("This offer is for one “%(ticket)s” seat.") % {"ticket": waitlist_entry.ticket_type.name}
        return render(request, "registrations/register.html", context)
    people = [checkout.Attendee(**form.cleaned_data) for form in attendees]
    try:
        order = checkout.place_order(
            event, ticket_form.cleaned_data["ticket_type"], people, buyer_name=people[0].name, buyer_email=people[0].email,
            language=get_language() or "en", waitlist_entry=waitlist_entry,
        )  # fmt: skip
    except SoldOut as sold_out:
        context["sold_out"] = sold_out.seats_left
        context["waitlist_form"] = WaitlistForm(
            initial={
                "ticket_type": ticket_form.cleaned_data["ticket_type"],
                "name": people[0].name,
                "email": people[0].email,
            },
            event=event,
        )
        return render(request, "registrations/register.html", context)
    except checkout.RegistrationClosed as closed:
        context["error"] = str(closed)
        return render(request, "registrations/register.html", context)
    if order.status == Order.Status.PAID:
        return redirect("registrations:order", token=order.token)
    remember_order(request, order)
    success = (
        request.build_absolute_uri(reverse("registrations:checkout_success")) + "?session_id={CHECKOUT_SESSION_ID}"
    )
    cancel = request.build_absolute_uri(reverse("registrations:checkout_cancelled", args=[order.token]))
    try:
        url = checkout.start_payment(order, success, cancel)
    except checkout.PaymentUnavailable:
        context["error"] = _(
            "We could not reach the payment service, so nothing was charged and your seats were released. Please try again in a moment."
        )
        return render(request, "registrations/register.html", context, status=503)
    return HttpResponseRedirect(url, status=303)


@require_GET
@secret_page
def checkout_success(request):
    """Stripe sends the buyer back here with the Checkout Session's id. The id alone (it can
    leak through a browser's history, a proxy's log, a shared screenshot) is no key to the order:
    the order page opens only in the browser that placed the order; anyone else is told the
    confirmation, with the ticket links, went by email."""
    session_id = request.GET.get("session_id", "")
    if not re.fullmatch(r"cs_\w{1,252}", session_id, flags=re.ASCII):
        raise Http404
    try:
        order = fulfilment.fulfil(session_id)
    except stripe_gateway.StripeError:
        order = Order.objects.filter(stripe_checkout_session_id=session_id).first()
    if order is None:
        raise Http404
    if placed_here(request, order):
        return redirect("registrations:order", token=order.token)
    return render(request, "registrations/checkout_success.html", {"paid": order.status == Order.Status.PAID})


@require_GET
@secret_page
def checkout_cancelled(request, token):
    """The buyer left Stripe's page without paying: let their seats go now, if Stripe agrees."""
    order = get_object_or_404(Order, token=token)
    if order.status == Order.Status.PENDING and order.stripe_checkout_session_id:
        try:
            session = stripe_gateway.expire_session(order.stripe_checkout_session_id)
        except stripe_gateway.StripeError:
            session = None  # already paid or expired, or Stripe down: the webhook or the sweeper decides
        if session is not None and session.status == "expired":
            fulfilment.release_order(order.pk, Order.Status.EXPIRED, reason="buyer left the payment page")
        elif session is None:
            try:
                fulfilment.fulfil(order.stripe_checkout_session_id)
            except stripe_gateway.StripeError:
                pass
    return redirect("registrations:order", token=order.token)


@require_GET
@secret_page
def order_detail(request, token):
    order = get_object_or_404(Order.objects.select_related("event"), token=token)
    registrations = order.registrations.select_related("ticket_type")
    return render(
        request, "registrations/order.html", {"order": order, "event": order.event, "registrations": registrations}
    )


def registration_for(secret):
    return get_object_or_404(
        Registration.objects.select_related("event", "event__venue", "order", "ticket_type"), ticket_secret=secret
    )


@require_GET
@secret_page
def ticket(request, secret):
    registration = registration_for(secret)
    context = {
        "registration": registration,
        "event": registration.event,
        "may_cancel": cancellation.attendee_may_cancel(registration),
        "certificate_available": certificates.eligible(registration),
    }
    return render(request, "registrations/ticket.html", context)


@require_GET
@secret_page
def ticket_invite(request, secret):
    registration = registration_for(secret)
    if registration.status not in (Registration.Status.CONFIRMED, Registration.Status.CANCELLED):
        raise Http404
    method = "REQUEST" if registration.status == Registration.Status.CONFIRMED else "CANCEL"
    response = HttpResponse(
        invite_calendar(registration, method), content_type=f"text/calendar; charset=utf-8; method={method}"
    )
    response["Content-Disposition"] = 'attachment; filename="invite.ics"'
    return response


@require_http_methods(["GET", "POST"])
@secret_page
def ticket_cancel(request, secret):
    """GET: what cancelling means (the refund, if anything was paid) and a button to confirm.
    POST with `confirm`: cancel. A POST without it only shows the question again."""
    registration = registration_for(secret)
    if not cancellation.attendee_may_cancel(registration):
        if registration.status == Registration.Status.CONFIRMED:
            messages.error(request, _("This ticket can no longer be cancelled online; please contact the organizer."))
        return redirect("registrations:ticket", secret=secret)
    refund = cancellation.refund_due(registration.order, [registration])
    if request.method == "GET" or request.POST.get("confirm") != "yes":
        context = {"registration": registration, "event": registration.event, "refund": refund}
        return render(request, "registrations/ticket_cancel.html", context)
    try:
        cancellation.cancel_by_attendee(registration)
    except cancellation.CancellationRefused as refused:
        messages.error(request, str(refused))
    else:
        if refund:
            amount = price(refund, registration.order.currency)
            messages.success(
                request,
                _(
                    "Your registration is cancelled. %(amount)s is being refunded to the card you paid with; "
                    "your bank may take 5–10 days to show it."
                )
                % {"amount": amount},
            )
        else:
            messages.success(request, _("Your registration is cancelled."))
    return redirect("registrations:ticket", secret=secret)


@require_POST
@limit_posts("waitlist_join")
def waitlist_join(request, slug):
    event = live_event(slug)
    form = WaitlistForm(request.POST, event=event)
    if not form.is_valid():
        return render(request, "registrations/waitlist.html", {"event": event, "form": form}, status=200)
    ticket_type = event.ticket_types.get(pk=form.cleaned_data["ticket_type"])
    waitlist.join(event, ticket_type, form.cleaned_data["name"], form.cleaned_data["email"])
    return render(request, "registrations/waitlist.html", {"event": event, "joined": True})


@require_http_methods(["GET", "POST"])
@secret_page
def waitlist_claim(request, token):
    entry = get_object_or_404(WaitlistEntry.objects.select_related("event", "ticket_type"), token=token)
    if entry.status != WaitlistEntry.Status.OFFERED or entry.offer_expires_at <= timezone.now():
        return render(request, "registrations/waitlist.html", {"event": entry.event, "lapsed": True}, status=410)
    return register(request, entry.event.slug, waitlist_entry=entry)
