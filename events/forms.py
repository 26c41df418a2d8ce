"""The editor's form for an event: times are typed in the event's own zone, not the editor's."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminModelForm, WagtailAdminPageForm
from wagtail.admin.panels import InlinePanel, get_form_for_model
from wagtail.admin.widgets.chooser import BaseChooser

from . import money
from .protection import protected_removals, removal_message, restore_protected_children
from .timestamps import time_zone

# Which datetime fields a person types, on the page and in each inline formset.
LOCAL_TIME_FIELDS = {
    None: ["registration_opens", "registration_closes"],
    "sessions": ["start", "end"],
    "ticket_types": ["sales_start", "sales_end"],
}


def wall_time(value, zone):
    """The naive local time that `value` shows in `zone`."""
    return value.astimezone(zone).replace(tzinfo=None)


def from_wall_time(naive, zone):
    """`naive` read as a time in `zone`, or None when the clocks skip it (a DST gap)."""
    aware = naive.replace(tzinfo=zone)
    if wall_time(aware.astimezone(dt.UTC), zone) != naive:
        return None
    return aware


def tolerate_malformed_ids(widget):
    """Wagtail's chooser widgets look the posted id up to show the chosen item again, and fail on
    an id that is not a number (BaseChooser.get_instance). Show nothing chosen instead: the field
    itself refuses the id with "Select a valid choice"."""
    lookup = widget.get_instance

    def get_instance(value):
        try:
            return lookup(value)
        except (ValueError, TypeError, ValidationError):
            return None

    widget.get_instance = get_instance


class QuestionForm(WagtailAdminModelForm):
    """An event's question in the page editor, with the ticket types it is asked with, chosen among
    those the page has saved (`ticket_choices`, given by EventPageForm; a ticket type added in the
    same edit can be chosen once the page is saved)."""

    def __init__(self, *args, ticket_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        if "for_ticket_types" in self.fields:
            self.fields["for_ticket_types"] = forms.TypedMultipleChoiceField(
                label=_("Asked with"), choices=ticket_choices, coerce=int, required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("None ticked: asked with every ticket. A ticket type added just now can be chosen once the page is saved."),
            )  # fmt: skip

    def clean_for_ticket_types(self):
        return sorted(self.cleaned_data["for_ticket_types"])


class QuestionsPanel(InlinePanel):
    """The event's questions, each in a QuestionForm."""

    def get_form_options(self):
        options = super().get_form_options()
        defer = self.child_edit_handler.get_form_options().get("defer_required_on_fields")
        options["formsets"][self.relation_name]["form"] = get_form_for_model(
            self.db_field.related_model,
            form_class=QuestionForm,
            **({"defer_required_on_fields": defer} if defer else {}),
        )
        return options


class EventPageForm(WagtailAdminPageForm):
    def __init__(self, *args, instance=None, **kwargs):
        # A draft made before seats were sold may drop a ticket type that now has them: it is
        # put back, so the editor sees it and the draft can still be published.
        self.restored = restore_protected_children(instance) if instance is not None else []
        super().__init__(*args, instance=instance, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, BaseChooser):
                tolerate_malformed_ids(field.widget)
        self._offer_only_the_users_organizers()
        if "questions" in self.formsets:  # the ticket types a question may be asked with (QuestionForm)
            choices = [(ticket.pk, ticket.name) for ticket in self.instance.ticket_types.all() if ticket.pk]
            self.formsets["questions"].form_kwargs["ticket_choices"] = choices
        zone = time_zone(self.instance.time_zone or "UTC")
        for form, name in self._local_time_fields():
            value = getattr(form.instance, name)
            if value is not None:
                form.initial[name] = wall_time(value, zone)

    def _offer_only_the_users_organizers(self):
        """A team member publishes for their own organizers only. The field itself accepts nothing
        else, so the rule holds for whatever is posted (" 6", "６", "6.0" are all read as 6): the
        value checked is the value saved, on create, edit, autosave and preview alike."""
        from .applications import edits_every_event, organizers_for

        field = self.fields.get("organizer")
        if field is None or self.for_user is None or edits_every_event(self.for_user):
            return
        own = organizers_for(self.for_user).order_by("name")
        field.widget = forms.Select()  # the snippet chooser would offer every organizer
        field.queryset = own
        field.error_messages["invalid_choice"] = _(
            "You publish events for your own organizers only: choose one of them (%(organizers)s)."
        ) % {"organizers": ", ".join(o.name for o in own) or "—"}
        if not self.initial.get("organizer") and len(own) == 1:
            self.initial["organizer"] = own[0].pk
        template = self.fields.get("evaluation_template")
        if template is not None:  # their organizers' templates and the shared ones
            template.widget = forms.Select()
            template.queryset = template.queryset.filter(Q(organizer__in=own) | Q(organizer__isnull=True))

    def _local_time_fields(self, only_valid=False):
        for formset_name, names in LOCAL_TIME_FIELDS.items():
            forms = [self] if formset_name is None else self.formsets[formset_name].forms
            for form in forms:
                if only_valid and (not form.is_valid() or form.cleaned_data.get("DELETE")):
                    continue
                for name in names:
                    if name in form.fields:
                        yield form, name

    def clean(self):
        slug = self.cleaned_data.get("slug")  # Wagtail's clean drops it when it is in use
        cleaned_data = super().clean()
        self._explain_slug_in_use(slug)
        self._check_deletions()
        self._check_evaluation(cleaned_data)
        venue = cleaned_data.get("venue")
        zone_name = cleaned_data.get("time_zone") or (venue.time_zone if venue else None)
        if not zone_name:
            return cleaned_data  # the model's clean says why
        self._read_times_in_zone(time_zone(zone_name))
        self._check_prices(cleaned_data.get("currency"))
        return cleaned_data

    def _explain_slug_in_use(self, slug):
        """Wagtail says only that the slug is in use; say by which event (a forgotten draft is
        invisible on the site), when the editor may open it."""
        if "slug" not in self.errors:
            return
        parent = getattr(self, "parent_page", None)
        if not slug or parent is None:
            return
        sibling = parent.get_children().filter(slug=slug).exclude(pk=self.instance.pk).specific().first()
        if sibling is None:
            return
        if self.for_user is not None and sibling.permissions_for_user(self.for_user).can_edit():
            state = _("published") if sibling.live else _("a draft, not published")
            message = _(
                "“%(title)s” (%(state)s) already uses the address “%(slug)s”: open it from the "
                "events listing and carry on with it, or change this event's slug."
            ) % {"title": sibling.get_admin_display_title(), "state": state, "slug": slug}
        else:
            message = _("Another event already uses the address “%(slug)s”: change this event's slug.") % {"slug": slug}
        self.errors["slug"] = self.error_class([message])

    def _check_deletions(self):
        """A ticket type or session that other records depend on (registrations, check-ins)
        cannot be removed: say so here rather than fail when the page is saved or published.
        What is removed is every stored row the form does not keep, however it went missing."""
        kept = {}
        for name, formset in self.formsets.items():
            deleted = {f.instance.pk for f in formset.initial_forms if getattr(f, "cleaned_data", {}).get("DELETE")}
            kept[name] = {child.pk for child in formset.get_queryset() if child.pk is not None} - deleted
        for row, records in protected_removals(self.instance, kept=kept):
            # On the page form: a formset ignores errors of the rows it deletes.
            self.add_error(None, removal_message(row, records))

    def _check_evaluation(self, cleaned_data):
        """An organizer's template serves that organizer's events only (checked against the organizer
        the form saves); a certificate cannot wait for an evaluation that asks nothing."""
        template = cleaned_data.get("evaluation_template")
        organizer = cleaned_data.get("organizer")
        if template is not None and template.organizer_id and template.organizer_id != getattr(organizer, "pk", None):
            self.add_error(
                "evaluation_template",
                _(
                    "“%(template)s” belongs to %(organizer)s: choose a template of this event's organizer, or a shared one."
                )
                % {"template": template.name, "organizer": template.organizer.name},
            )
        asks = (template is not None and len(template.questions)) or len(cleaned_data.get("evaluation") or ())
        if cleaned_data.get("evaluation_required") and not asks:
            self.add_error(
                "evaluation_required",
                _("Add evaluation questions or choose a template before making the certificate wait for it."),
            )

    def _read_times_in_zone(self, zone):
        """Django read each typed time in the editor's zone; read it again in the event's."""
        editor_zone = timezone.get_current_timezone()
        for form, name in self._local_time_fields(only_valid=True):
            value = form.cleaned_data.get(name)
            if value is None:
                continue
            local = from_wall_time(wall_time(value, editor_zone), zone)
            if local is None:
                form.add_error(
                    name, _("This time does not exist in %(zone)s: the clocks change then.") % {"zone": zone.key}
                )
                continue
            form.cleaned_data[name] = local
            setattr(form.instance, name, local)

    def _check_prices(self, currency):
        """Every price must be one Stripe can charge in the event's currency: the editor hears it
        now, not a buyer at checkout."""
        if not currency:
            return
        for form in self.formsets["ticket_types"].forms:
            if not form.is_valid() or form.cleaned_data.get("DELETE"):
                continue
            for field in ("price", "group_price"):
                if form.cleaned_data.get(field) is None:
                    continue
                problem = money.price_problem(form.cleaned_data[field], currency)
                if problem:
                    form.add_error(field, problem)
