"""Codes in the admin (Registrations → Codes): each team sees and edits the codes of its own
organizers, for their events and ticket types only. What the form will save decides: the
organizer, event and ticket types are chosen from what the user manages, and checked together."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from events.applications import organizers_for
from events.models import Organizer, TicketType
from events.money import is_exact

from .models import PromoCode, normalize_code
from .permissions import managed_events


def organizers_of(user):
    return Organizer.objects.all() if user.is_superuser else organizers_for(user)


def codes_for_user(user):
    return PromoCode.objects.filter(organizer__in=organizers_of(user))


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
        code = data.get("code")
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
        if organizer is not None and code:
            clash = PromoCode.objects.filter(organizer=organizer, code=code).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("code", _("%(organizer)s already has this code.") % {"organizer": organizer})
        return data


class PromoCodeIndexView(generic.IndexView):
    def get_base_queryset(self):
        return codes_for_user(self.request.user).select_related("organizer", "event")


class PromoCodeEditView(generic.EditView):
    def get_object(self, queryset=None):
        return super().get_object(codes_for_user(self.request.user))


class PromoCodeDeleteView(generic.DeleteView):
    """A code that paid for a ticket stays: the order says it was used. It can be ended instead."""

    def get_object(self, queryset=None):
        return super().get_object(codes_for_user(self.request.user))

    def used(self):
        return self.object.registrations.count()

    def form_valid(self, form):
        if used := self.used():
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
    name = "registrations_codes"
    form_fields = PromoCodeForm.Meta.fields
    list_display = ["code", "organizer", "event", "kind", "value", "max_uses", "valid_until"]
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
