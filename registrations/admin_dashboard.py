"""The organizer's per-event dashboard, exports and messages to attendees (admin hooks).

Who may open any of these screens is `permissions.may_manage` (the event's organizer team and
superusers); everyone else gets 403, and Wagtail sends anonymous visitors to the admin login.
The figures are aggregated in the database: a dashboard costs the same number of queries for
five registrations as for five thousand. Exports are built by services/exports.py and messages
sent by services/messaging.py; the views only call them.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Sum
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, re_path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView, TemplateView, View
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.admin.widgets import Button
from wagtail.admin.widgets.button import HeaderButton

from events.inputs import IdConverter  # noqa: F401  (registers <id:…>)
from events.models import EventPage, EventQuestion
from events.money import decimal_places

from . import admin_views
from .emails import build_email
from .models import CheckIn, Invoice, Order, Refund, Registration, WaitlistEntry
from .permissions import managed_events, may_check_in, may_manage, may_manage_cached
from .services import payouts
from .services.capacity import availability
from .services.exports import attendance_rows, columns, session_label
from .services.messaging import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH, email_attendees, recipients

# URL names
EVENTS = "registrations_event_dashboards"
DASHBOARD = "registrations_event_dashboard"
EXPORT = "registrations_event_export"
EMAIL = "registrations_event_email"

SPREADSHEET_FORMATS = ("csv", "xlsx")


def dashboard_url(event):
    return reverse(DASHBOARD, args=[event.pk])


def export_url(event, spreadsheet_format):
    return reverse(EXPORT, kwargs={"event_id": event.pk, "spreadsheet_format": spreadsheet_format})


def checkin_url(event):
    return reverse("registrations:checkin", args=[event.pk])


def email_url(event):
    return reverse(EMAIL, args=[event.pk])


# The figures


def paid_orders_q(prefix=""):
    """Orders money came for: paid, or paid and later cancelled (refunds are counted separately)."""
    return Q(**{f"{prefix}status": Order.Status.PAID}) | Q(
        **{f"{prefix}status": Order.Status.CANCELLED, f"{prefix}paid_at__isnull": False}
    )


@dataclass
class TicketFigures:
    ticket_type: object
    confirmed: int = 0
    held: int = 0
    cancelled: int = 0
    left: int | None = None  # None: no limit


@dataclass
class Revenue:
    currency: str
    paid: object
    refunded: object
    fees: object = 0  # what the platform keeps (Connect's application fees, less those given back)
    tax: object = 0  # the tax in what was kept: invoiced, less credit notes

    @property
    def net(self):
        """What the organizer keeps: paid, less refunds and the platform's fees."""
        return self.paid - self.refunded - self.fees


@dataclass
class SessionFigures:
    session: object
    label: str
    checked_in: int


@dataclass
class CodeFigures:
    code: str
    confirmed: int
    held: int
    discount: object  # taken off the confirmed tickets


@dataclass
class AnswerFigures:
    question: str
    counts: list  # (answer, confirmed attendees who gave it), in the question's order


@dataclass
class EventFigures:
    tickets: list
    total: TicketFigures
    revenue: list
    codes: list
    answers: list
    waiting: int
    offered: int
    checked_in: int
    sessions: list

    @property
    def waitlist(self):
        return self.waiting + self.offered


def platform_fees(event):
    """{currency: what the platform keeps of the event's paid orders}: each order's fee, less what
    its refunds cost the platform, as Stripe moves the money: the fee's share of each refund where
    the fee is given back (in proportion), else what the organizer's account has not yet given back
    of the refunds (Order.reverses_refunds_apart: the platform's balance paid it meanwhile)."""
    kept = {}
    succeeded = Q(refunds__status=Refund.Status.SUCCEEDED)
    orders = (
        Order.objects.filter(paid_orders_q(), event=event, platform_fee__gt=0)
        .annotate(
            refunded=Sum("refunds__amount", filter=succeeded), taken_back=Sum("refunds__taken_back", filter=succeeded)
        )
        .values_list("currency", "total", "platform_fee", "platform_fee_refundable", "refunded", "taken_back")
    )
    for currency, total, fee, refundable, refunded, taken_back in orders:
        refunded = refunded or 0
        given_back = fee * refunded / total if refundable and total else refunded - (taken_back or 0)
        places = Decimal(1).scaleb(-decimal_places(currency))
        kept[currency] = kept.get(currency, 0) + (fee - Decimal(given_back)).quantize(places, rounding=ROUND_HALF_UP)
    return kept


def event_figures(event, now=None):
    """Seats, money, waitlist and check-ins of `event`, from a fixed number of aggregate queries."""
    now = now or timezone.now()
    seat_counts = {
        (row["ticket_type"], row["status"]): row["n"]
        for row in Registration.objects.filter(event=event)
        .values("ticket_type", "status")
        .annotate(n=Count("pk"))
        .order_by()
    }
    left = availability(event)
    tickets = [
        TicketFigures(
            ticket_type=ticket_type,
            confirmed=seat_counts.get((ticket_type.pk, Registration.Status.CONFIRMED), 0),
            held=seat_counts.get((ticket_type.pk, Registration.Status.HELD), 0),
            cancelled=seat_counts.get((ticket_type.pk, Registration.Status.CANCELLED), 0),
            left=left.get(ticket_type.pk),
        )
        for ticket_type in event.ticket_types.all()
    ]

    waitlist = WaitlistEntry.objects.filter(event=event).aggregate(
        waiting=Count("pk", filter=Q(status=WaitlistEntry.Status.WAITING)),
        offered=Count("pk", filter=Q(status=WaitlistEntry.Status.OFFERED)),
        live_offers=Count("pk", filter=Q(status=WaitlistEntry.Status.OFFERED, offer_expires_at__gt=now)),
    )

    total = TicketFigures(
        ticket_type=None,
        confirmed=sum(t.confirmed for t in tickets),
        held=sum(t.held for t in tickets),
        cancelled=sum(t.cancelled for t in tickets),
    )
    limits = []
    if event.capacity is not None:
        limits.append(max(0, event.capacity - total.confirmed - total.held - waitlist["live_offers"]))
    if tickets and all(t.left is not None for t in tickets):
        limits.append(sum(t.left for t in tickets))
    total.left = min(limits) if limits else None

    paid = {
        row["currency"]: row["amount"]
        for row in Order.objects.filter(paid_orders_q(), event=event)
        .values("currency")
        .annotate(amount=Sum("total"))
        .order_by()
    }
    fees = platform_fees(event)
    refunded = {
        row["order__currency"]: row["amount"]
        for row in Refund.objects.filter(paid_orders_q("order__"), order__event=event, status=Refund.Status.SUCCEEDED)
        .values("order__currency")
        .annotate(amount=Sum("amount"))
        .order_by()
    }
    tax = {
        row["currency"]: row["amount"]
        for row in Invoice.objects.filter(order__event=event).values("currency").annotate(amount=Sum("tax")).order_by()
    }
    revenue = [
        Revenue(
            currency=currency,
            paid=paid.get(currency, 0),
            refunded=refunded.get(currency, 0),
            fees=fees.get(currency, 0),
            tax=tax.get(currency, 0),
        )
        for currency in sorted(set(paid) | set(refunded))
    ]

    codes = [
        CodeFigures(code=row["code"], confirmed=row["confirmed"], held=row["held"], discount=row["discount"] or 0)
        for row in Registration.objects.taking_seats()
        .filter(event=event, promo_code__isnull=False)
        .values(code=F("promo_code__code"))
        .annotate(
            confirmed=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
            held=Count("pk", filter=Q(status=Registration.Status.HELD)),
            discount=Sum("discount", filter=Q(status=Registration.Status.CONFIRMED)),
        )
        .order_by("code")
    ]

    counted = [q for q in event.questions.all() if q.kind in (*EventQuestion.WITH_CHOICES, EventQuestion.Kind.YES_NO)]
    given = Counter()
    if counted:
        for answers in Registration.objects.confirmed().filter(event=event).values_list("answers", flat=True):
            for question in counted:
                value = answers.get(question.key)
                given.update((question.key, v) for v in (value if isinstance(value, list) else [value]))
    answers = [
        AnswerFigures(
            question=question.label,
            counts=[
                (label, given[(question.key, value)])
                for value, label in (
                    [(True, _("Yes")), (False, _("No"))]
                    if question.kind == EventQuestion.Kind.YES_NO
                    else [(choice, choice) for choice in question.choice_list]
                )
            ],
        )
        for question in counted
    ]

    check_ins = CheckIn.objects.active().filter(registration__event=event)
    checked_in = check_ins.aggregate(n=Count("registration", distinct=True))["n"]
    per_session = dict(
        check_ins.values("session")
        .annotate(n=Count("registration", distinct=True))
        .values_list("session", "n")
        .order_by()
    )
    sessions = [
        SessionFigures(
            session=session, label=session_label(session, event.zone), checked_in=per_session.get(session.pk, 0)
        )
        for session in event.ordered_sessions
    ]

    return EventFigures(
        tickets=tickets,
        total=total,
        revenue=revenue,
        codes=codes,
        answers=answers,
        waiting=waitlist["waiting"],
        offered=waitlist["offered"],
        checked_in=checked_in,
        sessions=sessions,
    )


# Views


class NotYourEventView(WagtailAdminTemplateMixin, TemplateView):
    """A 403 in the admin's clothes. (A PermissionDenied raised in an admin view becomes a redirect
    to the admin home, which tells a script or a download nothing.)"""

    page_title = gettext_lazy("Not your event")
    header_icon = "lock"
    template_name = "registrations/admin/dashboard/forbidden.html"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(), status=403)


def refuse(request):
    view = NotYourEventView()
    view.setup(request)
    return view.get(request)


class EventAdminMixin:
    """Finds the event of the URL and lets only the people who manage it through (403 for others;
    Wagtail sends anyone without admin access to its login page before this runs)."""

    def dispatch(self, request, *args, **kwargs):
        self.event = get_object_or_404(EventPage.objects.select_related("organizer"), pk=kwargs["event_id"])
        if not may_manage(request.user, self.event):
            return refuse(request)
        return super().dispatch(request, *args, **kwargs)


class EventAdminPageMixin(EventAdminMixin, WagtailAdminTemplateMixin):
    def get_page_subtitle(self):
        return self.event.title

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(EVENTS), "label": _("Event dashboards")},
            *self.get_event_breadcrumbs(),
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_event_breadcrumbs(self):
        return [{"url": dashboard_url(self.event), "label": self.event.title}]


class EventDashboardView(EventAdminPageMixin, TemplateView):
    page_title = gettext_lazy("Dashboard")
    header_icon = "sliders"
    template_name = "registrations/admin/dashboard/dashboard.html"

    def get_event_breadcrumbs(self):
        return []

    @cached_property
    def checkin_url(self):
        """The door's check-in page, for those who may check people in."""
        return checkin_url(self.event) if may_check_in(self.request.user, self.event) else ""

    @cached_property
    def header_buttons(self):
        event, user = self.event, self.request.user
        buttons = []
        if admin_views.user_may_see_orders(user):
            buttons.append(
                HeaderButton(
                    _("Registrations"), url=admin_views.registrations_url(event), icon_name="group", priority=10
                )
            )
        buttons += [
            HeaderButton(_("Email attendees"), url=email_url(event), icon_name="mail", priority=20),
            HeaderButton(_("Download CSV"), url=export_url(event, "csv"), icon_name="download", priority=30),
            HeaderButton(_("Download XLSX"), url=export_url(event, "xlsx"), icon_name="download", priority=40),
        ]
        if self.evaluation_url:
            buttons.append(
                HeaderButton(_("Evaluation results"), url=self.evaluation_url, icon_name="list-ul", priority=50)
            )
        if self.checkin_url:
            buttons.append(HeaderButton(_("Check-in"), url=self.checkin_url, icon_name="tick", priority=5))
            buttons.append(HeaderButton(_("Mark attended"), url=self.mark_attended_url, icon_name="tick", priority=6))
        return buttons

    @cached_property
    def evaluation_url(self):
        """The evaluation's results (admin_evaluations.py), for an event that has one."""
        return (
            reverse("registrations_event_evaluation", args=[self.event.pk]) if self.event.evaluation_questions else ""
        )

    @cached_property
    def mark_attended_url(self):
        """Attendance in bulk, for those who may check people in (admin_attendance.py)."""
        return reverse("registrations_event_mark_attended", args=[self.event.pk]) if self.checkin_url else ""

    def money(self, amount, currency):
        return admin_views.money(amount or 0, currency)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.event
        figures = event_figures(event)
        context.update(
            event=event,
            figures=figures,
            revenue=[
                {
                    "currency": r.currency,
                    "paid": self.money(r.paid, r.currency),
                    "refunded": self.money(r.refunded, r.currency),
                    "fees": self.money(r.fees, r.currency),
                    "tax": self.money(r.tax, r.currency),
                    "net": self.money(r.net, r.currency),
                }
                for r in figures.revenue
            ],
            connect=payouts.enabled(),
            taxed=any(r.tax for r in figures.revenue),
            no_revenue=self.money(0, event.currency),
            registrations_url=(
                admin_views.registrations_url(event) if admin_views.user_may_see_orders(self.request.user) else ""
            ),
            csv_url=export_url(event, "csv"),
            xlsx_url=export_url(event, "xlsx"),
            email_url=email_url(event),
            edit_url=reverse("wagtailadmin_pages:edit", args=[event.pk]),
            checkin_url=self.checkin_url,
            mark_attended_url=self.mark_attended_url,
            evaluation_url=self.evaluation_url,
        )
        return context


class EventExportView(EventAdminMixin, SpreadsheetExportMixin, View):
    """The attendance records of one event as CSV or XLSX, through Wagtail's spreadsheet export.

    The rows come escaped from `attendance_rows`; Wagtail's XLSX writer also stores anything
    openpyxl would take for a formula as text."""

    @property
    def list_export(self):
        return list(columns(self.event))

    @property
    def export_headings(self):
        headings = {key: str(label) for key, label in columns(self.event).items()}
        for money in ("amount_paid", "tax", "refunded", "net_paid"):
            headings[money] = f"{headings[money]} ({self.event.currency})"
        return headings

    def get_filename(self):
        return f"attendance-{slugify(self.event.slug) or self.event.pk}"

    def to_row_dict(self, item):
        return item

    def get(self, request, *args, spreadsheet_format, **kwargs):
        return self.as_spreadsheet(attendance_rows(self.event), spreadsheet_format)


class MessageForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=SUBJECT_MAX_LENGTH)
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=gettext_lazy("Plain text. Each attendee's email also names the event and links to their ticket."),
    )


def message_fingerprint(subject, body):
    """What the organizer previewed: a send goes ahead only for the very text they saw."""
    return hashlib.sha256(f"{subject}\0{body}".encode()).hexdigest()


class EmailAttendeesView(EventAdminPageMixin, FormView):
    """Write, preview, then send: a POST shows the email as the first attendee will get it and how
    many will get it; only a POST with `send` and the fingerprint of the previewed text sends (a
    text changed after its preview is previewed again)."""

    page_title = gettext_lazy("Email attendees")
    header_icon = "mail"
    template_name = "registrations/admin/dashboard/email.html"
    form_class = MessageForm

    @cached_property
    def recipient_count(self):
        return recipients(self.event).count()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            event=self.event,
            recipient_count=self.recipient_count,
            action_url=self.request.path,
            back_url=dashboard_url(self.event),
        )
        return context

    def form_valid(self, form):
        subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
        fingerprint = message_fingerprint(subject, body)
        previewed = self.request.POST.get("previewed") == fingerprint
        if "send" not in self.request.POST or not previewed or not self.recipient_count:
            context = self.get_context_data(
                form=form,
                preview=self.preview(subject, body),
                fingerprint=fingerprint,
                changed="send" in self.request.POST and not previewed,
            )
            return self.render_to_response(context)
        sent = email_attendees(self.event, subject, body, self.request.user)
        messages.success(
            self.request,
            ngettext(
                "Your message is on its way to %(count)d attendee.",
                "Your message is on its way to %(count)d attendees.",
                sent,
            )
            % {"count": sent},
        )
        return redirect(dashboard_url(self.event))

    def preview(self, subject, body):
        """The email exactly as the first recipient will get it (None when nobody would)."""
        first = recipients(self.event).order_by("pk").first()
        if first is None:
            return None
        message = build_email(
            "organizer_message",
            registration_id=first.pk,
            extra={"message_subject": subject, "message_body": body},
        )
        return {"subject": message.subject, "body": message.body}


class EventDashboardIndexView(WagtailAdminTemplateMixin, TemplateView):
    """The events this user manages, upcoming ones soonest first, then past ones most recent first."""

    page_title = gettext_lazy("Event dashboards")
    header_icon = "sliders"
    template_name = "registrations/admin/dashboard/index.html"
    per_page = 50

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        events = (
            managed_events(self.request.user)
            .annotate(confirmed=Count("registrations", filter=Q(registrations__status=Registration.Status.CONFIRMED)))
            .soonest_first()
        )
        page = Paginator(events, self.per_page).get_page(self.request.GET.get("p"))
        context["page_obj"] = page
        context["rows"] = [
            {
                "event": event,
                "dashboard_url": dashboard_url(event),
            }
            for event in page
        ]
        return context


# Hooks


@hooks.register("register_admin_urls")
def register_dashboard_urls():
    return [
        path("registrations/events/", EventDashboardIndexView.as_view(), name=EVENTS),
        path("registrations/events/<id:event_id>/dashboard/", EventDashboardView.as_view(), name=DASHBOARD),
        re_path(
            rf"^registrations/events/(?P<event_id>[0-9]{{1,18}})/export\.(?P<spreadsheet_format>{'|'.join(SPREADSHEET_FORMATS)})$",
            EventExportView.as_view(),
            name=EXPORT,
        ),
        path("registrations/events/<id:event_id>/email/", EmailAttendeesView.as_view(), name=EMAIL),
    ]


class EventDashboardsMenuItem(MenuItem):
    def is_shown(self, request):
        return managed_events(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_dashboards_menu_item():
    return EventDashboardsMenuItem(
        gettext_lazy("Event dashboards"), reverse(EVENTS), name="event-dashboards", icon_name="sliders", order=251
    )


def is_event(page):
    return issubclass(page.specific_class or object, EventPage)


@hooks.register("register_page_header_buttons")
def dashboard_page_header_button(page, user, view_name, next_url=None):
    """On the event's edit page: its dashboard, for the people who manage it."""
    if view_name == "edit" and is_event(page) and may_manage_cached(user, page):
        yield Button(_("Dashboard"), url=dashboard_url(page), icon_name="sliders", priority=79)


@hooks.register("register_page_listing_more_buttons")
def dashboard_page_listing_button(page, user, next_url=None):
    if is_event(page) and may_manage_cached(user, page):
        yield Button(_("Dashboard"), url=dashboard_url(page), icon_name="sliders", priority=79)
