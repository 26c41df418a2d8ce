"""The editor's form for an event: times are typed in the event's own zone, not the editor's."""

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.db.models.deletion import Collector, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.widgets.chooser import BaseChooser

from . import money

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


class EventPageForm(WagtailAdminPageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, BaseChooser):
                tolerate_malformed_ids(field.widget)
        zone = zoneinfo.ZoneInfo(self.instance.time_zone or "UTC")
        for form, name in self._local_time_fields():
            value = getattr(form.instance, name)
            if value is not None:
                form.initial[name] = wall_time(value, zone)

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
        cleaned_data = super().clean()
        venue = cleaned_data.get("venue")
        zone_name = cleaned_data.get("time_zone") or (venue.time_zone if venue else None)
        if not zone_name:
            return cleaned_data  # the model's clean says why
        self._read_times_in_zone(zoneinfo.ZoneInfo(zone_name))
        self._check_prices(cleaned_data.get("currency"))
        self._check_deletions()
        return cleaned_data

    def _check_deletions(self):
        """A ticket type or session that other records depend on (registrations, check-ins)
        cannot be removed: say so here rather than fail when the page is published."""
        for name in ("ticket_types", "sessions"):
            for form in self.formsets[name].forms:
                if form.instance.pk and form.is_valid() and form.cleaned_data.get("DELETE"):
                    try:
                        Collector(using="default").collect([form.instance])
                    except ProtectedError as error:
                        count = len(error.protected_objects)
                        # On the page form: a formset ignores errors of the rows it deletes.
                        self.add_error(
                            None,
                            ngettext(
                                "“%(name)s” cannot be removed: %(count)s record depends on it.",
                                "“%(name)s” cannot be removed: %(count)s records depend on it.",
                                count,
                            )
                            % {"name": form.instance, "count": count},
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
            problem = money.price_problem(form.cleaned_data.get("price"), currency)
            if problem:
                form.add_error("price", problem)
