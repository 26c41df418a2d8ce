"""Public registration pages: thin callers of services/. Every failure the buyer can cause or
meet (bad input, sold out, closed, Stripe down) re-renders with a message and changes nothing."""

import re

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from events.inputs import parse_int
from events.models import EventPage
from events.ratelimits import client_address, limit_posts
from events.templatetags.event_tags import price

from . import conf, stripe_gateway
from .converters import secret_page
from .forms import AttendeeForm, BillingForm, EvaluationForm, TicketForm, WaitlistForm, as_typed, attendee_forms
from .invites import invite_calendar
from .models import Order, Registration, WaitlistEntry
from .services import (
    attendance,
    cancellation,
    certificates,
    checkout,
    codes,
    evaluations,
    fulfilment,
    invoices,
    payouts,
    transfers,
    waitlist,
)  # fmt: skip
from .services.attendance import attended_sessions
from .services.capacity import SoldOut, availability
from .templatetags.registration_tags import registration_box_context

ORDERS_OF_THIS_BROWSER = "registrations_orders"


def remember_order(request, order):
    """This browser placed `order`: only here does Stripe's return lead on to the order page."""
    tokens = request.session.get(ORDERS_OF_THIS_BROWSER, [])
    request.session[ORDERS_OF_THIS_BROWSER] = [*tokens, order.token][-20:]


def placed_here(request, order):
    return order.token in request.session.get(ORDERS_OF_THIS_BROWSER, [])


def on_event_page(view):
    """A view at one of the event page's own addresses (`register/`, `waitlist/`, through the
    `register_event_page_routes` hook): Wagtail routes there from wherever the page lives, checks
    its view restrictions, and gives the page; the view gets the event fresh from the database
    (the routing cache's copy is for showing the page, not for selling its seats), and of a
    translated page the event itself (`EventPage.canonical`), with the page it was asked from as
    `shown` for its title and links."""

    def route(page, request):
        event = EventPage.objects.select_related("venue", "organizer").get(pk=page.canonical.pk)
        return view(request, event, shown=page)

    return route


def event_routes():
    return [
        path("register/", on_event_page(register), name="register"),
        path("waitlist/", on_event_page(waitlist_join), name="waitlist_join"),
        path("registration-box/", on_event_page(registration_box), name="registration_box"),
    ]


def registration_box(request, event, shown=None):
    """The Register box with the seats left now, which the event page (shared by caches, so without
    them) fetches into place: never kept by any cache, so a seat taken shows at once, and no seat
    sale needs a purge of the page."""
    context = registration_box_context(request, shown or event)
    response = render(request, "registrations/includes/registration_box.html", context)
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex"
    return response


def code_price(code, ticket, event, quantity):
    """A ticket's price with the buyer's code (for `quantity` together), when the code applies to
    it and changes it; else None."""
    if code is None or not codes.opens(code, ticket):
        return None
    reduced = codes.price_with(code, ticket.price_for(quantity), event.currency)
    return reduced if reduced != ticket.price else None


def questions_of(event, shown):
    """(question as the page shown words it, the event's own question) pairs: the event's own
    questions decide what is asked; a translation of the page gives their words where it has them."""
    translated = {question.key: question for question in shown.questions.all()} if shown is not None else {}
    return [(translated.get(question.key, question), question) for question in event.questions.all()]


def parse_quantity(value):
    """How many attendee blocks to show; the form itself validates the number."""
    quantity = parse_int(value if isinstance(value, int) else str(value), minimum=1)
    return quantity if quantity is not None and quantity <= conf.get("REGISTRATIONS_MAX_QUANTITY") else 1


def ce_fields(event, ticket_type_id):
    """Whether the attendee blocks ask for profession and licence: True (required) when the chosen
    ticket is for CE credit, False when it is not or the event offers none, "ask" (shown, optional,
    hidden by script for tickets that do not need them) while no ticket is chosen yet."""
    if not event.ce_hours:
        return False
    tickets = {ticket.pk: ticket for ticket in event.ticket_types.all()}
    try:
        chosen = tickets.get(int(ticket_type_id))
    except (TypeError, ValueError):
        chosen = None
    if chosen is not None:
        return chosen.for_ce_credit
    return "ask" if any(ticket.for_ce_credit for ticket in tickets.values()) else False


def typed_billing(data):
    """The billing details as typed, to show again unchecked."""
    return {name: data.get(f"billing-{name}", "") for name in BillingForm.base_fields}


def typed_again(request, event):
    """What the buyer typed before leaving Stripe's page, kept by `checkout_cancelled` (once)."""
    return request.session.pop(f"registrations:typed:{event.pk}", None) if hasattr(request, "session") else None


def code_typed(request, event, data):
    """(the code the buyer typed or the link carried, or None; what is wrong with it, or "").

    Each code that is not valid here counts against the client's attempts (services/codes.py);
    once they are used up, every code is refused."""
    text = codes.normalize_code((data or request.GET).get("code", ""))[:40]
    if not text:
        return None, ""
    client = client_address(request)
    if codes.attempts_left(client) <= 0:
        return None, str(codes.too_many_attempts())
    try:
        return codes.find(event, text), ""
    except codes.CodeRefused as refused:
        codes.count_failure(client)
        return None, str(refused)


@require_http_methods(["GET", "POST"])
@limit_posts("register")
def register(request, event, waitlist_entry=None, shown=None):
    seats = availability(event, exclude_offer=waitlist_entry)
    data = request.POST if request.method == "POST" else None
    initial = {
        "ticket_type": request.GET.get("ticket"),
        "quantity": parse_quantity(request.GET.get("quantity", 1)),
        "code": codes.normalize_code(request.GET.get("code", ""))[:40],
    }
    typed = None
    if waitlist_entry is not None:  # the offer's seat, for the person on the waitlist
        initial = {"ticket_type": waitlist_entry.ticket_type_id, "quantity": 1}
        typed = {"attendee-0-name": waitlist_entry.name, "attendee-0-email": waitlist_entry.email}
    elif data is None and (again := typed_again(request, event)):
        initial, typed = {"ticket_type": again["ticket_type"], "quantity": len(again["attendees"])}, {}
        for i, attendee in enumerate(again["attendees"]):
            typed.update({f"attendee-{i}-{key}": value for key, value in attendee.items()})
    consent = (bool(event.terms), bool(checkout.privacy_notice()))
    ticket_form = TicketForm(data, initial=initial, event=event, availability=seats, consent=consent)
    questions = questions_of(event, shown)
    code, code_error = (None, "") if waitlist_entry is not None else code_typed(request, event, data)
    tickets = [
        ticket for ticket in event.ticket_types.all() if not ticket.code_only or (code and codes.opens(code, ticket))
    ]
    if waitlist_entry is not None:
        tickets = [ticket for ticket in tickets if ticket.pk == waitlist_entry.ticket_type_id]
        ticket_form.fields["ticket_type"].choices = [(waitlist_entry.ticket_type_id, waitlist_entry.ticket_type.name)]
        ticket_form.fields["quantity"].max_value = 1
    quantity = parse_quantity((data or {}).get("quantity", initial["quantity"]))
    chosen = (data or {}).get("ticket_type", initial["ticket_type"] or (tickets[0].pk if len(tickets) == 1 else None))
    ce = ce_fields(event, chosen)
    ticket_type = parse_int(str(chosen))
    ticket_type = ticket_type if ticket_type in {ticket.pk for ticket in tickets} else None
    attendees = attendee_forms(data, quantity, ce=ce, typed=typed, questions=questions, ticket_type=ticket_type)
    few = conf.get("REGISTRATIONS_FEW_SEATS_LEFT")
    billing_form = BillingForm(data, prefix="billing")
    context = {
        "event": event,
        "event_page": shown or event,
        "tickets": [
            (ticket, seats.get(ticket.pk), code_price(code, ticket, event, quantity), event.tax_on(ticket))
            for ticket in tickets
        ],
        "code": code,
        "code_error": code_error,
        "few_seats_left": few,
        "ticket_form": ticket_form,
        "attendee_forms": attendees,
        "billing_form": billing_form if any(not ticket.is_free for ticket in tickets) else None,
        "seats": seats,
        "waitlist_entry": waitlist_entry,
        "ce_fields": ce,
        # The script shows what only some tickets need while one of them is chosen.
        "ticket_script": ce == "ask" or (ticket_type is None and any(q.for_ticket_types for _, q in questions)),
        "privacy_notice": checkout.privacy_notice(),
        "privacy_url": conf.get("REGISTRATIONS_PRIVACY_URL"),
    }
    context["all_sold_out"] = bool(tickets) and all(seats.get(ticket.pk) == 0 for ticket in tickets)
    if context["all_sold_out"]:  # nothing to register for: say so, and offer the waitlist instead of the form
        context["waitlist_form"] = WaitlistForm(event=event, sold_out_only=seats)
        return render(request, "registrations/register.html", context)
    if request.method == "GET":
        return render(request, "registrations/register.html", context)
    if "update_quantity" in data or "apply_code" in data:  # the number, ticket or code changed: keep what was typed
        context["ticket_form"] = TicketForm(
            initial={
                "ticket_type": data.get("ticket_type"), "quantity": quantity, "code": data.get("code", ""),
                "accept": bool(data.get("accept")), "marketing": bool(data.get("marketing")),
            },
            event=event, availability=seats, consent=consent,
        )  # fmt: skip
        context["attendee_forms"] = attendee_forms(
            None, quantity, ce=ce, typed=data, questions=questions, ticket_type=ticket_type
        )
        if context["billing_form"] is not None:
            context["billing_form"] = BillingForm(initial=typed_billing(data), prefix="billing")
        return render(request, "registrations/register.html", context)
    valid = ticket_form.is_valid() and all(form.is_valid() for form in attendees) and billing_form.is_valid()
    if not valid or code_error:
        if ticket_form.is_valid() and ticket_form.cleaned_data["quantity"] != len(attendees):
            context["attendee_forms"] = attendee_forms(
                None,
                ticket_form.cleaned_data["quantity"],
                ce=ce,
                typed=data,
                questions=questions,
                ticket_type=ticket_type,
            )
        return render(request, "registrations/register.html", context, status=200)
    if waitlist_entry is not None and (
        ticket_form.cleaned_data["quantity"] != 1
        or ticket_form.cleaned_data["ticket_type"] != waitlist_entry.ticket_type_id
    ):
        context["error"] = _("This offer is for one “%(ticket)s” seat.") % {"ticket": waitlist_entry.ticket_type.name}
        return render(request, "registrations/register.html", context)
    people = [checkout.Attendee(**form.attendee()) for form in attendees]
    try:
        order = checkout.place_order(
            event, ticket_form.cleaned_data["ticket_type"], people, buyer_name=people[0].name, buyer_email=people[0].email,
            language=get_language() or "en", waitlist_entry=waitlist_entry, client=client_address(request),
            code=code.code if code else "", consents=checkout.consents(event, ticket_form.cleaned_data["marketing"]),
            billing=billing_form.billing(),
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
    except codes.CodeRefused as refused:
        context["code_error"] = str(refused)
        return render(request, "registrations/register.html", context)
    except (checkout.RegistrationClosed, checkout.TooManyHeld, payouts.NotPayable) as refused:
        context["error"] = str(refused)
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
    """The buyer left Stripe's page without paying: let their seats go now, if Stripe agrees, and
    take them back to the register page with what they typed, to try again."""
    order = get_object_or_404(Order.objects.select_related("event"), token=token)
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
        order.refresh_from_db()
    if order.status not in (Order.Status.EXPIRED, Order.Status.CANCELLED) or order.paid_at is not None:
        return redirect("registrations:order", token=order.token)
    registrations = list(order.registrations.all())
    if registrations:
        request.session[f"registrations:typed:{order.event_id}"] = {
            "ticket_type": registrations[0].ticket_type_id,
            "attendees": [
                {
                    "name": r.name,
                    "email": r.email,
                    "profession": r.profession,
                    "licence_number": r.licence_number,
                    **{AttendeeForm.QUESTION + key: as_typed(value) for key, value in r.answers.items()},
                }  # fmt: skip
                for r in registrations
            ],
        }
    messages.info(
        request,
        _("You cancelled the payment, so nothing was charged. Your details are below if you want to try again."),
    )
    return redirect(order.event.route_url("register", request))


@require_GET
@secret_page
def order_detail(request, token):
    order = get_object_or_404(Order.objects.select_related("event"), token=token)
    registrations = order.registrations.select_related("ticket_type", "promo_code")
    context = {"order": order, "event": order.event, "registrations": registrations, "invoices": order.invoices.all()}
    return render(request, "registrations/order.html", context)


@require_GET
@secret_page
def order_invoice(request, token, pk):
    """An invoice or credit note of the order, as PDF: reached through the order's secret link."""
    order = get_object_or_404(Order, token=token)
    invoice = get_object_or_404(order.invoices.select_related("order__event"), pk=pk)
    return pdf_response(invoice)


def pdf_response(invoice):
    """An invoice or credit note as a PDF response (the order page's link, and the admin's)."""
    response = HttpResponse(invoices.render_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoices.pdf_name(invoice)}"'
    return response


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
        "may_hand_on": transfers.attendee_may_hand_on(registration),
        "hand_on_until": transfers.deadline(registration.event),
        "certificate_available": certificates.eligible(registration),
        "evaluation_due": evaluations.due(registration),
        "code_session": attendance.code_session(registration.event)
        if attendance.may_enter_code(registration)
        else None,
    }
    return render(request, "registrations/ticket.html", context)


@require_http_methods(["GET", "POST"])
@secret_page
@limit_posts("register")
def ticket_join(request, secret):
    """The attendee's personal way into the online sessions. GET: the session open now (from 15
    minutes before it) and a button, so that a mail scanner opening the link records nothing; POST:
    their arrival is recorded (services/attendance.py) and they go on to the meeting."""
    registration = registration_for(secret)
    if not attendance.may_join_online(registration):
        messages.info(request, _("This ticket has no online sessions to join."))
        return redirect("registrations:ticket", secret=secret)
    event = registration.event
    session = attendance.joinable_session(event)
    if request.method == "POST" and session is not None:
        attendance.join_online(registration, session)
        return HttpResponseRedirect(event.online_url)
    context = {"registration": registration, "event": event, "session": session}
    return render(request, "registrations/join.html", context)


@require_POST
@secret_page
@limit_posts("register")
def ticket_code(request, secret):
    """The attendee enters the attendance code shown during the session (services/attendance.py)."""
    registration = registration_for(secret)
    if not attendance.may_enter_code(registration):
        messages.info(request, _("This event asks for no attendance codes."))
        return redirect("registrations:ticket", secret=secret)
    try:
        session = attendance.enter_code(registration, request.POST.get("code", "")[:40])
    except attendance.WrongCode:
        messages.error(request, _("That is not the code of the session under way. Check it and try again."))
    else:
        label = session.title or _("the session")
        messages.success(request, _("Code accepted: your attendance at %(session)s is confirmed.") % {"session": label})
    return redirect("registrations:ticket", secret=secret)


@require_http_methods(["GET", "POST"])
@secret_page
@limit_posts("register")
def ticket_evaluation(request, secret):
    """The event's evaluation, once the attendee has one to submit (services/evaluations.py); else
    back to the ticket, which says why."""
    registration = registration_for(secret)
    reason = evaluations.unavailable_reason(registration)
    if reason:
        messages.info(request, reason)
        return redirect("registrations:ticket", secret=secret)
    event = registration.event
    asked = evaluations.items(event, attended_sessions(registration), words=event.localized)
    form = EvaluationForm(request.POST if request.method == "POST" else None, items=asked)
    if request.method == "POST" and form.is_valid():
        try:
            evaluations.submit(registration, form.answers(), language=get_language())
        except evaluations.NotDue as refusal:  # submitted meanwhile, from another tab
            messages.info(request, str(refusal))
        else:
            messages.success(request, _("Thank you: your evaluation has been received."))
        return redirect("registrations:ticket", secret=secret)
    context = {"registration": registration, "event": event.localized, "form": form}
    return render(request, "registrations/evaluation.html", context)


@require_GET
@secret_page
def ticket_invite(request, secret):
    registration = registration_for(secret)
    if registration.status not in (
        Registration.Status.CONFIRMED, Registration.Status.CANCELLED, Registration.Status.HANDED_ON
    ):  # fmt: skip
        raise Http404
    method = "REQUEST" if registration.status == Registration.Status.CONFIRMED else "CANCEL"
    response = HttpResponse(
        invite_calendar(registration, method), content_type=f"text/calendar; charset=utf-8; method={method}"
    )
    response["Content-Disposition"] = 'attachment; filename="invite.ics"'
    return response


@require_http_methods(["GET", "POST"])
@secret_page
@limit_posts("register")
def ticket_hand_on(request, secret):
    """GET: the form for the name (and email) the ticket should carry. POST: hand it on; the new
    holder is emailed their own ticket, and this page then says where the ticket went."""
    registration = registration_for(secret)
    if not transfers.attendee_may_hand_on(registration):
        if registration.status == Registration.Status.CONFIRMED:
            messages.error(request, _("This ticket can no longer be handed on online; please contact the organizer."))
        return redirect("registrations:ticket", secret=secret)
    ce = bool(registration.event.ce_hours) and registration.ticket_type.for_ce_credit
    form = AttendeeForm(request.POST if request.method == "POST" else None, prefix="to", ce=ce)
    if request.method == "POST" and form.is_valid():
        try:
            transfers.hand_on(registration, **form.cleaned_data)
        except transfers.TransferRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request, _("Done: the ticket is on its way to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
        return redirect("registrations:ticket", secret=secret)
    context = {"registration": registration, "event": registration.event, "form": form}
    return render(request, "registrations/ticket_hand_on.html", context)


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
def waitlist_join(request, event, shown=None):
    form = WaitlistForm(request.POST, event=event)
    context = {"event": event, "event_page": shown or event, "form": form}
    if not form.is_valid():
        return render(request, "registrations/waitlist.html", context, status=200)
    ticket_type = event.ticket_types.get(pk=form.cleaned_data["ticket_type"])
    try:
        entry, created = waitlist.join(event, ticket_type, form.cleaned_data["name"], form.cleaned_data["email"])
    except (waitlist.NotSoldOut, checkout.RegistrationClosed) as refused:
        context["refused"] = str(refused)
        return render(request, "registrations/waitlist.html", context)
    context["joined"] = entry
    return render(request, "registrations/waitlist.html", context)


@require_http_methods(["GET", "POST"])
@never_cache  # the page names the person and carries their link's secret
def waitlist_confirm(request, token):
    """The link in the confirmation email. Reading it changes nothing (mail scanners follow links);
    the button on it confirms."""
    entry = get_object_or_404(WaitlistEntry.objects.select_related("event", "ticket_type"), token=token)
    context = {"event": entry.event, "entry": entry}
    if request.method == "POST":
        context["confirmed"] = waitlist.confirm(entry)
        context["expired"] = not context["confirmed"]
    elif entry.status != WaitlistEntry.Status.UNCONFIRMED:
        context["confirmed"] = entry.status in WaitlistEntry.IN_LINE
        context["expired"] = not context["confirmed"]
    return render(request, "registrations/waitlist_confirm.html", context)


@require_http_methods(["GET", "POST"])
@secret_page
def waitlist_claim(request, token):
    entry = get_object_or_404(WaitlistEntry.objects.select_related("event", "ticket_type"), token=token)
    if not entry.is_live_offer():
        return render(
            request,
            "registrations/waitlist.html",
            {"event": entry.event, "event_page": entry.event, "lapsed": True},
            status=410,
        )
    return register(request, entry.event, waitlist_entry=entry)
