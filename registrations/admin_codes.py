"""Codes in the admin (Registrations → Codes): each team sees and edits the codes of its own
organizers, for their events and ticket types only. What the form will save decides: the
organizer, event and ticket types are chosen from what the user manages, and checked together.

Institutions buy seats for their staff as a batch of single-use codes ("Generate codes"),
exported as CSV to hand out; the batch's page says which are used."""

import csv
import secrets

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton

from events.applications import organizers_for
from events.models import Organizer, TicketType
from events.money import is_exact

from .models import PromoCode, Registration, normalize_code
from .permissions import managed_events
from .services.exports import escape_formula

NAME = "registrations_codes"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: easy to read out and type


def organizers_of(user):
    return Organizer.objects.all() if user.is_superuser else organizers_for(user)


def codes_for_user(user):
    return PromoCode.objects.filter(organizer__in=organizers_of(user))


def may_add_codes(user):
    return user.has_perm("registrations.add_promocode")


class PromoCodeForm(WagtailAdminModelForm):
    class Meta:
        model = PromoCode
        fields = [
            "organizer", "event", "code", "kind", "value", "ticket_types",
            "max_uses", "max_uses_per_buyer", "valid_from", "valid_until", "note",
        ]  # fmt: skip
        widgets = {"ticket_types": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        events = managed_events(user).order_by("-start")
        self.fields["organizer"].queryset = organizers_of(user)
        self.fields["event"].queryset = events
        self.fields["ticket_types"].queryset = TicketType.objects.filter(page__in=events).select_related("page")
        self.fields["ticket_types"].label_from_instance = lambda ticket: f"{ticket.page.title}: {ticket.name}"

    def clean_code(self):
        code = normalize_code(self.cleaned_data["code"])
        if not code:
            raise ValidationError(_("Enter a code."))
        return code

    def clean(self):
        data = super().clean()
        organizer, event = data.get("organizer"), data.get("event")
        tickets = data.get("ticket_types") or []
        if event is not None and organizer is not None and event.organizer_id != organizer.pk:
            self.add_error("event", _("This event is not %(organizer)s's.") % {"organizer": organizer})
        if tickets and event is None:
            self.add_error("ticket_types", _("Choose the event these ticket types belong to."))
        elif event is not None and any(ticket.page_id != event.pk for ticket in tickets):
            self.add_error("ticket_types", _("Choose only ticket types of the event chosen."))
        if data.get("kind") == PromoCode.Kind.PERCENT and (data.get("value") or 0) > 100:
            self.add_error("value", _("A percentage is at most 100."))
        if (
            data.get("kind") == PromoCode.Kind.AMOUNT
            and event is not None
            and not is_exact(data.get("value") or 0, event.currency)
        ):
            self.add_error("value", _("%(currency)s has no such decimals.") % {"currency": event.currency})
        if (start := data.get("valid_from")) and (end := data.get("valid_until")) and end <= start:
            self.add_error("valid_until", _("A code must end after it starts."))
        if organizer is not None and data.get("code"):
            self.check_unique(organizer, data["code"])
        return data

    def check_unique(self, organizer, code):
        if PromoCode.objects.filter(organizer=organizer, code=code).exclude(pk=self.instance.pk).exists():
            self.add_error("code", _("%(organizer)s already has this code.") % {"organizer": organizer})


class BatchForm(PromoCodeForm):
    """Single-use codes alike but for a random part: for an institution that pays for N seats."""

    count = forms.IntegerField(label=gettext_lazy("How many codes"), min_value=1, max_value=1000)

    class Meta(PromoCodeForm.Meta):
        fields = ["organizer", "event", "code", "kind", "value", "ticket_types", "valid_from", "valid_until", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Prefix")
        self.fields["code"].help_text = _("Each code is the prefix, a dash and eight random letters and digits.")
        self.fields["note"].required = True
        self.fields["note"].help_text = _("Who they are for (“St Mary's Hospital, 20 nurses”): the batch's name.")

    def clean_code(self):
        code = super().clean_code()
        if len(code) > 30:
            raise ValidationError(_("Keep the prefix to 30 characters."))
        return code

    def check_unique(self, organizer, code):
        """Each generated code is new (see `generate`); the prefix may repeat."""

    def generate(self):
        """The batch's codes, each used once, made in one transaction."""
        data = self.cleaned_data
        template = {name: data[name] for name in ("organizer", "event", "kind", "value", "valid_from", "valid_until")}
        batch = f"{data['note'][:80]} ({secrets.token_hex(3)})"
        taken = set(PromoCode.objects.filter(organizer=data["organizer"]).values_list("code", flat=True))
        codes = []
        while len(codes) < data["count"]:
            code = f"{data['code']}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
            if code not in taken:
                taken.add(code)
                codes.append(PromoCode(code=code, max_uses=1, note=data["note"], batch=batch, **template))
        with transaction.atomic():
            PromoCode.objects.bulk_create(codes)
            for code in PromoCode.objects.filter(organizer=data["organizer"], batch=batch):
                code.ticket_types.set(data["ticket_types"])
        return batch


class GenerateView(WagtailAdminTemplateMixin, FormView):
    template_name = "registrations/admin/codes_generate.html"
    page_title = gettext_lazy("Generate codes")
    header_icon = "tag"

    def dispatch(self, request, *args, **kwargs):
        if not may_add_codes(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class=None):
        return BatchForm(**self.get_form_kwargs(), for_user=self.request.user)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(f"{NAME}:index"), "label": _("Codes")},
            {"url": "", "label": self.get_page_title()},
        ]

    def form_valid(self, form):
        batch = form.generate()
        messages.success(
            self.request,
            _("%(count)s codes made. Download them as CSV to hand out.") % {"count": form.cleaned_data["count"]},
        )
        return redirect(reverse(f"{NAME}:index") + "?" + urlencode({"batch": batch}))


def export_batch(request):
    """`?batch=`: the batch's codes as CSV (formulas escaped), with whether each was used."""
    batch = request.GET.get("batch", "")
    codes = (
        codes_for_user(request.user)
        .filter(batch=batch)
        .exclude(batch="")
        .select_related("event")
        .annotate(
            used=Count(
                "registrations",
                filter=Q(registrations__status__in=(Registration.Status.HELD, Registration.Status.CONFIRMED)),
            )
        )
        .order_by("code")
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="codes-{slugify(batch)[:60] or "none"}.csv"'
    writer = csv.writer(response)
    writer.writerow([_("Code"), _("Event"), _("Valid until"), _("Used")])
    for code in codes:
        until = code.valid_until.isoformat() if code.valid_until else ""
        event = code.event.title if code.event else _("Every event")
        writer.writerow([escape_formula(code.code), escape_formula(event), until, code.used])
    return response


class PromoCodeIndexView(generic.IndexView):
    """`?batch=` (where generating leads) shows one batch, with its download."""

    def get_base_queryset(self):
        queryset = codes_for_user(self.request.user).select_related("organizer", "event")
        if batch := self.request.GET.get("batch"):
            queryset = queryset.filter(batch=batch)
        return queryset

    @cached_property
    def header_buttons(self):
        buttons = super().header_buttons
        if may_add_codes(self.request.user):
            buttons.append(HeaderButton(_("Generate codes"), url=reverse(f"{NAME}:generate"), icon_name="plus"))
        if batch := self.request.GET.get("batch"):
            url = reverse(f"{NAME}:export") + "?" + urlencode({"batch": batch})
            buttons.append(HeaderButton(_("Download this batch (CSV)"), url=url, icon_name="download"))
        return buttons


class PromoCodeEditView(generic.EditView):
    def get_object(self, queryset=None):
        return super().get_object(codes_for_user(self.request.user))


class PromoCodeDeleteView(generic.DeleteView):
    """A code that paid for a ticket stays: the order says it was used. It can be ended instead."""

    def get_object(self, queryset=None):
        return super().get_object(codes_for_user(self.request.user))

    def form_valid(self, form):
        if used := self.object.registrations.count():
            messages.error(
                self.request,
                _(
                    "“%(code)s” was used for %(count)s tickets, so it cannot be deleted: their orders name it. "
                    "Set “valid until” to end it."
                )
                % {"code": self.object.code, "count": used},
            )
            return redirect(self.edit_url_name, self.object.pk)
        return super().form_valid(form)


class PromoCodeViewSet(ModelViewSet):
    model = PromoCode
    icon = "tag"
    menu_label = gettext_lazy("Codes")
    url_prefix = "registrations/codes"
    name = NAME
    form_fields = PromoCodeForm.Meta.fields
    list_display = ["code", "organizer", "event", "kind", "value", "max_uses", "valid_until", "note"]
    list_filter = ["kind"]
    search_fields = ["code", "note"]
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    index_view_class = PromoCodeIndexView
    edit_view_class = PromoCodeEditView
    delete_view_class = PromoCodeDeleteView

    def get_form_class(self, for_update=False):
        return PromoCodeForm

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("generate/", GenerateView.as_view(), name="generate"),
            path("export.csv", export_batch, name="export"),
        ]
