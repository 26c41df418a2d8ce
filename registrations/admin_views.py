"""The organizer's side of orders in the Wagtail admin: listings, the order page, and the actions
that move money or seats.

Every action shows a confirmation on GET and acts on POST; the work is done by `services`
(refunds, cancellation), never here. Two checks guard every screen: the order permissions
(`view_order`, `change_order`; a seat is part of an order, and money only moves on orders) say
what a user may do, and `orders_for_user` / `registrations_for_user` (the events they manage, see
permissions.py) say to which orders: anything else is a 404, as if it did not exist.
The viewsets that route to these views are in wagtail_hooks.py.
"""

from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permissions import policy_registry

from events import money as money_rules
from events.inputs import IdModelChoiceField
from events.models import EventPage, TicketType, soonest_first

from . import stripe_gateway
from .models import ConsentText, Order, Refund, Registration
from .permissions import managed_events, may_check_in_cached, may_manage
from .services.cancellation import CancellationRefused, cancel_event, cancel_registrations
from .services.exports import answer_text
from .services.refunds import RefundRefused, process_refund, refund
from .views import pdf_response

# URL namespaces and names (the viewsets in wagtail_hooks.py use the same ones).
ORDERS = "registrations_orders"
ATTENDEES = "registrations_attendees"
CANCEL_EVENT = "registrations_cancel_event"

SEE = ["view", "change"]  # either order permission lets a user see orders and seats
ACT = "change"  # refunds and cancellations


def orders_for_user(user):
    """The orders this user may see and act on: those of the events they manage."""
    return Order.objects.filter(event__in=managed_events(user))


def registrations_for_user(user):
    """The seats this user may see and act on: those of the events they manage."""
    return Registration.objects.filter(event__in=managed_events(user))


def order_permissions():
    """The permission policy for orders; it governs the registration screens too."""
    return policy_registry.get_by_type(Order)


def user_may_see_orders(user):
    return order_permissions().user_has_any_permission(user, SEE)


def user_may_act_on_orders(user):
    return order_permissions().user_has_permission(user, ACT)


def user_may_cancel_event(user, event):
    """Cancelling publishes the page, so it also takes the right to publish this page."""
    return user_may_act_on_orders(user) and may_manage(user, event) and event.permissions_for_user(user).can_publish()


def consent_lines(order):
    """What the buyer accepted, as the order page says it: each text with its version and when."""
    consents = order.consents or {}
    lines = []
    for name, label in (("terms", _("Terms of registration")), ("privacy_notice", _("Privacy notice"))):
        if version := consents.get(name):
            lines.append((label, ConsentText.objects.filter(version=version).first()))
    return {"at": consents.get("at"), "texts": lines, "marketing": consents.get("marketing")}


def money(amount, currency):
    """`amount` with the currency's own number of decimals (50.00 EUR, 5000 JPY)."""
    quantum = stripe_gateway.from_minor_units(1, currency)
    return f"{Decimal(amount).quantize(quantum)} {currency}"


def order_url(order_or_pk):
    return reverse(f"{ORDERS}:inspect", args=[quote(getattr(order_or_pk, "pk", order_or_pk))])


def registrations_url(event=None):
    url = reverse(f"{ATTENDEES}:index")
    return f"{url}?{urlencode({'event': event.pk})}" if event else url


def cancel_event_url(event, next_url=None):
    url = reverse(CANCEL_EVENT, args=[event.pk])
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


ACTION_LABELS = {
    "placed": gettext_lazy("Order placed"),
    "checkout_started": gettext_lazy("Checkout started"),
    "confirmed": gettext_lazy("Confirmed (free)"),
    "paid": gettext_lazy("Paid"),
    "paid_without_seat": gettext_lazy("Paid, but the seat was gone"),
    "released": gettext_lazy("Hold released"),
    "cancelled_seats": gettext_lazy("Seats cancelled"),
    "cancelled": gettext_lazy("Order cancelled"),
    "refund_requested": gettext_lazy("Refund requested"),
    "refund_failed": gettext_lazy("Refund failed"),
    "refund_recorded": gettext_lazy("Refund recorded from Stripe"),
    "refunded": gettext_lazy("Refunded"),
    "handed_on": gettext_lazy("Ticket handed on"),
    "invoiced": gettext_lazy("Invoice issued"),
    "credit_note": gettext_lazy("Credit note issued"),
    "amount_mismatch": gettext_lazy("Stripe charged another amount than the order's"),
    "taken_back": gettext_lazy("Refund taken back from the organizer"),
    "reversal_failed": gettext_lazy("Taking the refund back from the organizer failed"),
    "debit_note": gettext_lazy("Debit note issued (the refund failed)"),
    "given_back": gettext_lazy("Given back to the organizer (the refund failed)"),
    "return_failed": gettext_lazy("Giving back to the organizer failed"),
}


def report_refunds(request, refunds):
    """Tell the organizer what Stripe did with the refunds an action just made."""
    for made in refunds:
        amount = money(made.amount, made.order.currency)
        if made.status == Refund.Status.FAILED:
            messages.error(
                request,
                _("Stripe did not accept the refund of %(amount)s (%(error)s). It is recorded as failed; retry it from the order page.")
                % {"amount": amount, "error": made.error},
            )  # fmt: skip
        elif made.status == Refund.Status.PENDING:
            messages.info(
                request, _("Refund of %(amount)s sent; Stripe has not confirmed it yet.") % {"amount": amount}
            )
        else:
            messages.success(request, _("Refunded %(amount)s.") % {"amount": amount})


def refunds_made_since(orders, after_pk):
    return list(Refund.objects.filter(order__in=orders, pk__gt=after_pk or 0).select_related("order").order_by("pk"))


def last_refund_pk():
    return Refund.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# Listings


def events_to_filter_by(request):
    """Only the events the user manages are offered (and accepted) as filters."""
    return managed_events(request.user).soonest_first() if request else EventPage.objects.none()


def ticket_types_to_filter_by(request):
    return (
        TicketType.objects.filter(page__in=managed_events(request.user))
        .select_related("page")
        .order_by(*soonest_first("page__"), "sort_order")
        if request
        else TicketType.objects.none()
    )


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """A choice of row by id; a value that cannot be an id is an invalid choice, not a query."""

    field_class = IdModelChoiceField


class OrderFilterSet(WagtailFilterSet):
    event = IdChoiceFilter(label=gettext_lazy("Event"), queryset=events_to_filter_by)

    class Meta:
        model = Order
        fields = ["event", "status"]


class TicketTypeChoiceField(IdModelChoiceField):
    def label_from_instance(self, ticket):
        return f"{ticket.page.title} – {ticket.name}"


class TicketTypeFilter(IdChoiceFilter):
    field_class = TicketTypeChoiceField


class RegistrationFilterSet(WagtailFilterSet):
    event = IdChoiceFilter(label=gettext_lazy("Event"), queryset=events_to_filter_by)
    ticket_type = TicketTypeFilter(label=gettext_lazy("Ticket type"), queryset=ticket_types_to_filter_by)

    class Meta:
        model = Registration
        fields = ["event", "status", "ticket_type"]


def status_column(primary_status):
    return StatusTagColumn(
        "status",
        label=gettext_lazy("Status"),
        accessor="get_status_display",
        sort_key="status",
        primary=lambda obj: obj.status == primary_status,
    )


def order_refunds_display(order):
    parts = []
    if order.refunded_total:
        parts.append(_("%(amount)s refunded") % {"amount": money(order.refunded_total, order.currency)})
    if order.failed_refunds:
        parts.append(
            ngettext("%(count)d refund failed", "%(count)d refunds failed", order.failed_refunds)
            % {"count": order.failed_refunds}
        )
    return ", ".join(parts)


ORDER_COLUMNS = [
    "id",
    "buyer_name",
    "buyer_email",
    "event",
    status_column(Order.Status.PAID),
    Column("total", label=gettext_lazy("Total"), accessor=lambda o: money(o.total, o.currency), sort_key="total"),
    Column("refunds", label=gettext_lazy("Refunds"), accessor=order_refunds_display),
    DateColumn("created_at", label=gettext_lazy("Created"), sort_key="created_at"),
]


class OrderIndexView(generic.IndexView):
    any_permission_required = SEE

    def get_base_queryset(self):
        return (
            orders_for_user(self.request.user)
            .select_related("event")
            .annotate(
                refunded_total=Sum("refunds__amount", filter=Q(refunds__status=Refund.Status.SUCCEEDED)),
                failed_refunds=Count("refunds", filter=Q(refunds__status=Refund.Status.FAILED)),
            )
        )


REGISTRATION_COLUMNS = [
    "name",
    "email",
    "event",
    "ticket_type",
    status_column(Registration.Status.CONFIRMED),
    Column("price", label=gettext_lazy("Price"), accessor=lambda r: money(r.price, r.order.currency), sort_key="price"),
    DateColumn("created_at", label=gettext_lazy("Created"), sort_key="created_at"),
]


class OrderPermissionsMixin:
    """Registration screens answer to the order permissions."""

    @cached_property
    def permission_policy(self):
        return order_permissions()


class RegistrationIndexView(OrderPermissionsMixin, generic.IndexView):
    any_permission_required = SEE

    def get_base_queryset(self):
        return registrations_for_user(self.request.user).select_related("event", "ticket_type", "order")

    def get_inspect_url(self, instance):
        # A seat has no page of its own: its order's page shows it, with its refunds and history.
        return order_url(instance.order_id)

    def get_list_more_buttons(self, instance):
        buttons = [MenuItem(_("View order"), url=order_url(instance.order_id), icon_name="doc-full", priority=10)]
        if instance.status == Registration.Status.CONFIRMED and may_check_in_cached(self.request.user, instance.event):
            buttons.append(
                MenuItem(
                    _("Correct attendance"),
                    url=reverse("registrations_correct_attendance", args=[instance.event_id, instance.pk]),
                    icon_name="edit",
                    priority=15,
                )
            )
        if instance.status == Registration.Status.CONFIRMED and user_may_act_on_orders(self.request.user):
            url = reverse(f"{ATTENDEES}:cancel", args=[quote(instance.pk)])
            next_url = self.request.get_full_path()
            buttons.append(
                MenuItem(
                    _("Cancel and refund"),
                    url=f"{url}?{urlencode({'next': next_url})}",
                    icon_name="cross",
                    priority=20,
                )
            )
        return buttons

    @cached_property
    def filtered_event(self):
        if self.filters and self.filters.is_valid():
            return self.filters.form.cleaned_data.get("event")
        return None

    @cached_property
    def header_buttons(self):
        buttons = super().header_buttons
        event = self.filtered_event
        if event and event.status != EventPage.Status.CANCELLED and user_may_cancel_event(self.request.user, event):
            buttons = [
                *buttons,
                HeaderButton(
                    _("Cancel event"),
                    url=cancel_event_url(event, next_url=registrations_url(event)),
                    icon_name="warning",
                ),
            ]
        return buttons


# The order page


class OrderInspectView(generic.InspectView):
    any_permission_required = SEE
    template_name = "registrations/admin/order_inspect.html"

    def get_object(self, queryset=None):
        return get_object_or_404(orders_for_user(self.request.user).select_related("event"), pk=self.pk)

    def get_page_title(self):
        return _("Order")

    def get_total_display_value(self):
        return money(self.object.total, self.object.currency)

    @cached_property
    def may_act(self):
        return user_may_act_on_orders(self.request.user)

    @cached_property
    def header_buttons(self):
        order, buttons = self.object, []
        if not self.may_act:
            return buttons
        if order.refundable_amount() > 0 and order.stripe_payment_intent_id:
            buttons.append(
                HeaderButton(_("Refund"), url=reverse(f"{ORDERS}:refund", args=[quote(order.pk)]), icon_name="undo")
            )
        if order.registrations.confirmed().exists():
            buttons.append(
                HeaderButton(
                    _("Cancel order"), url=reverse(f"{ORDERS}:cancel", args=[quote(order.pk)]), icon_name="cross"
                )
            )
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = self.object
        questions = list(order.event.questions.all())
        context["registrations"] = [
            {
                "registration": registration,
                "answers": [
                    (question.label, answer_text(registration.answers[question.key]))
                    for question in questions
                    if question.key in registration.answers
                ],
            }
            for registration in order.registrations.select_related("ticket_type", "promo_code")
        ]
        context["consents"] = consent_lines(order)
        context["refunds"] = [
            {
                "refund": r,
                "amount": money(r.amount, order.currency),
                "retry_url": (
                    reverse(f"{ORDERS}:retry_refund", args=[quote(order.pk), quote(r.pk)])
                    if self.may_act and r.status == Refund.Status.FAILED and not r.stripe_refund_id
                    else None
                ),
            }
            for r in order.refunds.all()
        ]
        context["failed_refunds"] = [r for r in context["refunds"] if r["refund"].status == Refund.Status.FAILED]
        context["log"] = [
            {
                "entry": entry,
                "action": ACTION_LABELS.get(entry.action, entry.action),
                "detail": "; ".join(f"{key}: {value}" for key, value in (entry.detail or {}).items()),
            }
            for entry in order.log_entries.select_related("user")
        ]
        context["refunded"] = money(order.refunded_amount(), order.currency)
        context["invoices"] = [
            {
                "invoice": invoice,
                "total": money(invoice.total, invoice.currency),
                "tax": money(invoice.tax, invoice.currency),
                "url": reverse(f"{ORDERS}:invoice", args=[quote(order.pk), quote(invoice.pk)]),
            }
            for invoice in order.invoices.all()
        ]
        context["billing"] = [
            (label, value)
            for label, value in (
                (_("Organization"), order.billing_organization),
                (_("Billing address"), order.billing_address),
                (_("Country"), order.billing_country.name if order.billing_country else ""),
                (_("Tax id"), order.billing_tax_id),
            )
            if value
        ]
        if order.tax_rate or order.tax_automatic:
            context["tax_line"] = _("%(tax)s %(name)s %(rate)s (%(how)s)") % {
                "tax": money(order.tax_amount, order.currency), "name": order.tax_name,
                "rate": f"{format(order.tax_rate.normalize(), 'f')}%" if order.tax_rate else "",
                "how": _("included in the prices") if order.tax_inclusive else _("added to the prices"),
            }  # fmt: skip
            if order.tax_automatic:
                context["tax_line"] += " · " + _("worked out by Stripe Tax")
        return context


def order_invoice(request, pk, invoice_pk):
    """An invoice or credit note of an order the user may see, as PDF."""
    if not user_may_see_orders(request.user):
        raise PermissionDenied
    order = get_object_or_404(orders_for_user(request.user), pk=pk)
    invoice = get_object_or_404(order.invoices.select_related("order__event"), pk=invoice_pk)
    return pdf_response(invoice)


# Actions


class ConfirmForm(forms.Form):
    """Nothing to fill in: the button is the confirmation."""


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Kept in the order's history."),
    )


class CancelForm(ReasonForm):
    notify = forms.BooleanField(
        label=gettext_lazy("Email the attendees that their registration is cancelled"), required=False, initial=True
    )


class RefundForm(ReasonForm):
    amount = forms.DecimalField(label=gettext_lazy("Amount"), max_digits=10, decimal_places=2)

    field_order = ["amount", "reason"]

    def __init__(self, *args, currency, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["amount"].help_text = _("In %(currency)s.") % {"currency": currency}

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if not money_rules.is_exact(amount, self.currency):
            raise forms.ValidationError(
                _("%(currency)s amounts cannot be that precise.") % {"currency": self.currency}, code="precision"
            )
        return amount


class ActionView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """GET: what will happen, and a form to confirm it. POST: do it through a service.

    A refusal from the service (`RefundRefused`, `CancellationRefused`) becomes a form error and
    nothing changes."""

    permission_required = ACT
    template_name = "registrations/admin/confirm.html"
    form_class = ConfirmForm
    header_icon = "warning"
    submit_label = gettext_lazy("Confirm")
    serious = True
    explanation = ""

    @cached_property
    def permission_policy(self):
        return order_permissions()

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.next_url = get_valid_next_url_from_request(request)

    def dispatch(self, request, *args, **kwargs):
        # PermissionCheckedMixin first: nothing is looked up for a user who may not act.
        if not self.user_has_permission(self.permission_required):
            raise PermissionDenied
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        raise NotImplementedError

    def get_back_url(self):
        return self.next_url or self.get_success_url()

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(f"{ORDERS}:index"), "label": capfirst(Order._meta.verbose_name_plural)},
            *self.get_object_breadcrumbs(),
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_object_breadcrumbs(self):
        return []

    def get_page_subtitle(self):
        return str(self.object)

    def get_summary(self):
        """(label, value) pairs shown above the form."""
        return []

    def get_items(self):
        """What the action touches, one line each."""
        return []

    def get_warning(self):
        return ""

    def can_submit(self):
        return True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            explanation=self.explanation,
            summary=self.get_summary(),
            items=self.get_items(),
            warning=self.get_warning(),
            can_submit=self.can_submit(),
            submit_label=self.submit_label,
            serious=self.serious,
            action_url=self.request.path,
            next_url=self.next_url,
            back_url=self.get_back_url(),
        )
        return context

    def form_valid(self, form):
        if not self.can_submit():
            return redirect(self.get_back_url())
        try:
            response = self.perform(form)
        except (RefundRefused, CancellationRefused) as refusal:
            form.add_error(None, str(refusal))
            return self.form_invalid(form)
        return response or redirect(self.next_url or self.get_success_url())

    def perform(self, form):
        raise NotImplementedError


class OrderActionView(ActionView):
    def get_object(self):
        return get_object_or_404(orders_for_user(self.request.user).select_related("event"), pk=self.kwargs["pk"])

    def get_object_breadcrumbs(self):
        return [{"url": order_url(self.object), "label": str(self.object)}]

    def get_success_url(self):
        return order_url(self.object)

    def get_summary(self):
        order = self.object
        return [
            (_("Buyer"), f"{order.buyer_name} <{order.buyer_email}>"),
            (_("Event"), order.event.title),
            (_("Total"), money(order.total, order.currency)),
            (_("Refunded so far"), money(order.refunded_amount(), order.currency)),
        ]


class RefundView(OrderActionView):
    page_title = gettext_lazy("Refund")
    form_class = RefundForm
    header_icon = "undo"
    submit_label = gettext_lazy("Refund")
    explanation = gettext_lazy("The money goes back to the buyer's card through Stripe. Seats stay confirmed.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "currency": self.object.currency}

    def get_initial(self):
        return {"amount": self.object.refundable_amount()}

    def get_summary(self):
        return [
            *super().get_summary(),
            (_("Refundable now"), money(self.object.refundable_amount(), self.object.currency)),
        ]

    def get_warning(self):
        failed = self.object.refunds.filter(status=Refund.Status.FAILED, stripe_refund_id__isnull=True)
        if failed:
            return _(
                "A refund Stripe did not accept is waiting to be retried (%(amounts)s). Retry it from the order page rather than refunding again."
            ) % {"amounts": ", ".join(money(r.amount, self.object.currency) for r in failed)}  # fmt: skip
        return ""

    def perform(self, form):
        made = refund(
            self.object, form.cleaned_data["amount"], reason=form.cleaned_data["reason"], user=self.request.user
        )
        report_refunds(self.request, [made])


class CancelOrderView(OrderActionView):
    page_title = gettext_lazy("Cancel order")
    form_class = CancelForm
    header_icon = "cross"
    submit_label = gettext_lazy("Yes, cancel and refund")
    explanation = gettext_lazy(
        "Every confirmed seat in this order is cancelled and what is left of the payment is refunded. The seats become free for others."
    )  # fmt: skip

    @cached_property
    def confirmed(self):
        return list(self.object.registrations.confirmed().select_related("ticket_type"))

    def get_items(self):
        return [f"{r.name} <{r.email}> – {r.ticket_type.name}" for r in self.confirmed]

    def can_submit(self):
        return bool(self.confirmed)

    def get_warning(self):
        return "" if self.confirmed else _("This order has no confirmed seats to cancel.")

    def perform(self, form):
        since = last_refund_pk()
        cancel_registrations(
            self.confirmed,
            reason=form.cleaned_data["reason"] or "cancelled by organizer",
            user=self.request.user,
            notify=form.cleaned_data["notify"],
        )
        messages.success(
            self.request,
            ngettext("%(count)d seat cancelled.", "%(count)d seats cancelled.", len(self.confirmed))
            % {"count": len(self.confirmed)},
        )
        report_refunds(self.request, refunds_made_since([self.object], since))


class RetryRefundView(OrderActionView):
    page_title = gettext_lazy("Retry refund")
    header_icon = "undo"
    submit_label = gettext_lazy("Retry refund")
    serious = False
    explanation = gettext_lazy(
        "The refund is sent to Stripe again under the same idempotency key, so it can never be paid twice."
    )

    @cached_property
    def refund(self):
        return get_object_or_404(self.object.refunds, pk=self.kwargs["refund_pk"])

    def get_summary(self):
        return [
            *super().get_summary(),
            (_("Refund"), f"{self.refund.number}: {money(self.refund.amount, self.object.currency)}"),
            (_("Error"), self.refund.error),
        ]

    def can_submit(self):
        return self.refund.status == Refund.Status.FAILED and not self.refund.stripe_refund_id

    def get_warning(self):
        if self.refund.status != Refund.Status.FAILED:
            return _("This refund has not failed; there is nothing to retry.")
        if self.refund.stripe_refund_id:
            return _("Stripe accepted this refund and failed it later; make a new refund instead.")
        return ""

    def form_valid(self, form):
        if not self.can_submit():
            messages.error(self.request, self.get_warning())
        return super().form_valid(form)

    def perform(self, form):
        report_refunds(self.request, [process_refund(self.refund)])


class CancelRegistrationView(ActionView):
    page_title = gettext_lazy("Cancel and refund")
    form_class = CancelForm
    header_icon = "cross"
    submit_label = gettext_lazy("Yes, cancel and refund")
    explanation = gettext_lazy("This seat is cancelled, its price refunded, and the seat becomes free for others.")

    def get_object(self):
        return get_object_or_404(
            registrations_for_user(self.request.user).select_related("order", "event", "ticket_type"),
            pk=self.kwargs["pk"],
        )

    def get_object_breadcrumbs(self):
        return [{"url": order_url(self.object.order_id), "label": str(self.object.order)}]

    def get_success_url(self):
        return registrations_url(self.object.event)

    def get_summary(self):
        r = self.object
        return [
            (_("Name"), f"{r.name} <{r.email}>"),
            (_("Event"), r.event.title),
            (_("Ticket type"), r.ticket_type.name),
            (_("Price paid"), money(r.price, r.order.currency)),
            (_("Order"), str(r.order)),
        ]

    def can_submit(self):
        return self.object.status == Registration.Status.CONFIRMED

    def get_warning(self):
        return "" if self.can_submit() else _("Only confirmed seats can be cancelled.")

    def perform(self, form):
        since = last_refund_pk()
        cancel_registrations(
            [self.object],
            reason=form.cleaned_data["reason"] or "cancelled by organizer",
            user=self.request.user,
            notify=form.cleaned_data["notify"],
        )
        messages.success(self.request, _("Registration of %(name)s cancelled.") % {"name": self.object.name})
        report_refunds(self.request, refunds_made_since([self.object.order_id], since))


class CancelEventView(ActionView):
    page_title = gettext_lazy("Cancel event")
    header_icon = "warning"
    submit_label = gettext_lazy("Yes, cancel the event")

    def get_object(self):
        """The event as its editors last saved it (status, title); `self.page` is the stored page."""
        self.page = get_object_or_404(managed_events(self.request.user), pk=self.kwargs["event_id"])
        if not user_may_cancel_event(self.request.user, self.page):
            raise PermissionDenied
        return self.page.get_latest_revision_as_object()

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": registrations_url(), "label": capfirst(Registration._meta.verbose_name_plural)},
            {"url": registrations_url(self.object), "label": self.object.title},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_page_subtitle(self):
        return self.object.title

    def get_success_url(self):
        return registrations_url(self.object)

    @cached_property
    def paid_orders(self):
        return orders_for_user(self.request.user).filter(event=self.object, status=Order.Status.PAID)

    @cached_property
    def counts(self):
        seats = registrations_for_user(self.request.user).filter(event=self.object).confirmed()
        return {
            "attendees": seats.count(),
            "orders": self.paid_orders.count(),
            "refunded": self.paid_orders.filter(total__gt=0).count(),
            "amount": sum(
                (o.total - o.refunded_amount() for o in self.paid_orders.prefetch_related("refunds")), Decimal(0)
            ),
        }

    @property
    def explanation(self):
        counts = self.counts
        return " ".join(
            [
                ngettext(
                    "%(attendees)d confirmed attendee will be told the event is cancelled and their seat cancelled.",
                    "%(attendees)d confirmed attendees will be told the event is cancelled and their seats cancelled.",
                    counts["attendees"],
                )
                % counts,
                ngettext(
                    "%(refunded)d paid order will be refunded in full.",
                    "%(refunded)d paid orders will be refunded in full.",
                    counts["refunded"],
                )
                % counts,
                _("The page is published with the status “cancelled”."),
            ]
        )

    def get_summary(self):
        return [
            (_("Event"), self.object.title),
            (_("Status"), self.object.get_status_display()),
            (_("Confirmed attendees"), self.counts["attendees"]),
            (_("Paid orders"), self.counts["orders"]),
            (_("To refund"), money(self.counts["amount"], self.object.currency)),
        ]

    def can_submit(self):
        return self.object.status != EventPage.Status.CANCELLED or self.counts["orders"] > 0

    def get_warning(self):
        if self.object.status == EventPage.Status.CANCELLED:
            if self.counts["orders"]:
                return _(
                    "This event is already cancelled, but some paid orders are not; this cancels and refunds them."
                )
            return _("This event is already cancelled and every order is settled.")
        warnings = []
        if self.page.has_unpublished_changes:
            warnings.append(_("This page has unpublished changes: cancelling publishes them too."))
        awaiting = orders_for_user(self.request.user).filter(event=self.page, status=Order.Status.PENDING).count()
        if awaiting:
            warnings.append(
                ngettext(
                    "%(count)d order is still awaiting payment and is not cancelled by this; check it once its hold ends.",
                    "%(count)d orders are still awaiting payment and are not cancelled by this; check them once their holds end.",
                    awaiting,
                )
                % {"count": awaiting}
            )
        return " ".join(warnings)

    def perform(self, form):
        since = last_refund_pk()
        orders = cancel_event(self.page, user=self.request.user)
        messages.success(
            self.request,
            ngettext(
                "“%(event)s” is cancelled; %(count)d order was cancelled.",
                "“%(event)s” is cancelled; %(count)d orders were cancelled.",
                orders,
            )
            % {"event": self.object.title, "count": orders},
        )
        report_refunds(self.request, refunds_made_since(Order.objects.filter(event=self.object), since))
