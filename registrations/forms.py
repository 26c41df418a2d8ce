"""The registration form: a ticket type, then one block of fields per attendee (1 to 10)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from . import conf


class AttendeeForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("Email"), max_length=254)
    profession = forms.CharField(
        label=_("Profession"), max_length=200, required=False, help_text=_("For example: psychologist, social worker")
    )
    licence_number = forms.CharField(label=_("Licence number"), max_length=100, required=False)

    CE_FIELDS = ("profession", "licence_number")

    def __init__(self, *args, ce=False, **kwargs):
        """`ce`: True asks profession and licence (the chosen ticket is for CE credit), False leaves
        them out, "ask" shows them as optional (no ticket chosen yet; only some tickets need them)."""
        super().__init__(*args, **kwargs)
        if ce is True:
            self.fields["profession"].required = True
            self.fields["licence_number"].required = True
        elif ce == "ask":
            for name in self.CE_FIELDS:
                field = self.fields[name]
                needed = _("Needed for tickets with CE credit.")
                field.help_text = format_lazy("{} {}", field.help_text, needed) if field.help_text else needed
        else:
            del self.fields["profession"], self.fields["licence_number"]

    def regular_fields(self):
        return [field for field in self if field.name not in self.CE_FIELDS]

    def ce_fields(self):
        return [field for field in self if field.name in self.CE_FIELDS]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Enter the attendee's name."))
        return name


class TicketForm(forms.Form):
    ticket_type = forms.TypedChoiceField(label=_("Ticket"), coerce=int, widget=forms.RadioSelect)
    quantity = forms.IntegerField(label=_("Number of attendees"), min_value=1, initial=1)
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        required=False,
        help_text=_("A discount, member or partner code, if you have one."),
    )

    def __init__(self, *args, event, availability, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].widget.attrs.update({"min": 1, "max": conf.get("REGISTRATIONS_MAX_QUANTITY")})
        self.fields["ticket_type"].choices = [(t.pk, t.name) for t in event.ticket_types.all()]
        self.availability = availability

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        limit = conf.get("REGISTRATIONS_MAX_QUANTITY")
        if quantity > limit:
            raise ValidationError(_("You can register at most %(limit)s people at once.") % {"limit": limit})
        return quantity


class WaitlistForm(forms.Form):
    ticket_type = forms.TypedChoiceField(label=_("Ticket"), coerce=int)
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("Email"), max_length=254)

    def __init__(self, *args, event, sold_out_only=None, **kwargs):
        """`sold_out_only`: {ticket type id: seats left}; offer only the tickets that are sold out."""
        super().__init__(*args, **kwargs)
        self.fields["ticket_type"].choices = [
            (t.pk, t.name) for t in event.ticket_types.all() if sold_out_only is None or sold_out_only.get(t.pk) == 0
        ]


def attendee_forms(data, quantity, ce, typed=None):
    """One form per attendee. `typed`: what was posted so far, shown again unchecked (when only the
    number of attendees changed)."""
    forms_ = []
    for i in range(quantity):
        prefix = f"attendee-{i}-"
        initial = {key.removeprefix(prefix): value for key, value in (typed or {}).items() if key.startswith(prefix)}
        forms_.append(AttendeeForm(data, prefix=prefix[:-1], ce=ce, initial=initial))
    return forms_
