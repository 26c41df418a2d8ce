"""The registration form: a ticket type, then one block of fields per attendee (1 to 10)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from events.models import EventQuestion

from . import conf

Kind = EventQuestion.Kind
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
TEXT_MAX_LENGTH = 2000  # an evaluation's free-text answer


def question_field(question, canonical=None):
    """The form field asking `question` (as the page shown in the reader's language words it).
    Choices are stored as the event's own page words them (`canonical`, the same question in
    the event's language, when it has as many choices), so the answers of every language meet."""
    common = {"label": question.label, "required": question.required, "help_text": question.help_text}
    if question.kind in EventQuestion.WITH_CHOICES:
        shown = question.choice_list
        stored = canonical.choice_list if canonical is not None and len(canonical.choice_list) == len(shown) else shown
        choices = list(zip(stored, shown, strict=True))
        if question.kind == Kind.CHOICE:
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if question.kind == Kind.YES_NO:
        return forms.TypedChoiceField(
            choices=YES_NO, coerce=lambda value: value == "yes", empty_value=None, widget=forms.RadioSelect, **common
        )
    if question.kind == Kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if question.kind == Kind.COUNTRY:
        return forms.ChoiceField(choices=[("", "—"), *countries], **common)
    if question.kind == Kind.LONG_TEXT:
        return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), **common)
    return forms.CharField(max_length=300, **common)


def answer_value(value):
    """An answer as JSON keeps it (dates as ISO 8601)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def as_typed(answer):
    """A stored answer as its field takes it back (yes/no as the radio's value)."""
    return {True: "yes", False: "no"}.get(answer, answer) if isinstance(answer, bool) else answer


class AttendeeForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("Email"), max_length=254)
    profession = forms.CharField(
        label=_("Profession"), max_length=200, required=False, help_text=_("For example: psychologist, social worker")
    )
    licence_number = forms.CharField(
        label=_("Licence number"), max_length=100, required=False,
        help_text=_("For your certificate and the accrediting body: seen only by you, the organizer's team and on your certificate."),
    )  # fmt: skip

    CE_FIELDS = ("profession", "licence_number")
    QUESTION = "q_"  # prefix of the fields asking the event's own questions

    def __init__(self, *args, ce=False, questions=(), ticket_type=None, **kwargs):
        """`ce`: True asks profession and licence (the chosen ticket is for CE credit), False leaves
        them out, "ask" shows them as optional (no ticket chosen yet; only some tickets need them).
        `questions`: (question as shown, the event's own question or None) pairs, asked as the
        chosen `ticket_type` (an id) needs; with none chosen yet, those asked with some tickets
        only are shown as optional, marked for the script to hide with the other tickets."""
        super().__init__(*args, **kwargs)
        for question, canonical in questions:
            own = canonical or question
            if ticket_type is not None and not own.asked_with(ticket_type):
                continue
            field = question_field(question, canonical)
            if ticket_type is None and own.for_ticket_types:
                field.required = False
                field.asked_with = own.for_ticket_types
            self.fields[self.QUESTION + question.key] = field
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
        return [
            field for field in self if field.name not in self.CE_FIELDS and not field.name.startswith(self.QUESTION)
        ]

    def question_fields(self):
        return [field for field in self if field.name.startswith(self.QUESTION)]

    def attendee(self):
        """What `checkout.Attendee` takes: the fields, and the answers by question key (unanswered
        optional questions left out)."""
        data = dict(self.cleaned_data)
        answers = {
            name.removeprefix(self.QUESTION): answer_value(data.pop(name))
            for name in list(data)
            if name.startswith(self.QUESTION)
        }
        return {**data, "answers": {key: value for key, value in answers.items() if value not in ("", None, [])}}

    def ce_fields(self):
        return [field for field in self if field.name in self.CE_FIELDS]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Enter the attendee's name."))
        return name


class TicketForm(forms.Form):
    ticket_type = forms.TypedChoiceField(label=_("Ticket"), coerce=int, widget=forms.RadioSelect)
    accept = forms.BooleanField(
        label=_("I accept the terms of registration and the privacy notice."),
        error_messages={"required": _("Registering needs your agreement: tick the box to accept.")},
    )
    marketing = forms.BooleanField(label=_("Send me news of the organizer's future events."), required=False)
    quantity = forms.IntegerField(label=_("Number of attendees"), min_value=1, initial=1)
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        required=False,
        help_text=_("A discount, member or partner code, if you have one."),
    )

    def __init__(self, *args, event, availability, consent=(False, False), **kwargs):
        """`consent`: (the event has terms, the site has a privacy notice): what `accept` accepts."""
        super().__init__(*args, **kwargs)
        terms, notice = consent
        if terms and not notice:
            self.fields["accept"].label = _("I accept the terms of registration.")
        elif notice and not terms:
            self.fields["accept"].label = _("I accept the privacy notice.")
        elif not terms:
            del self.fields["accept"]
        self.fields["quantity"].widget.attrs.update({"min": 1, "max": conf.get("REGISTRATIONS_MAX_QUANTITY")})
        self.fields["ticket_type"].choices = [(t.pk, t.name) for t in event.ticket_types.all()]
        self.availability = availability

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        limit = conf.get("REGISTRATIONS_MAX_QUANTITY")
        if quantity > limit:
            raise ValidationError(_("You can register at most %(limit)s people at once.") % {"limit": limit})
        return quantity


class BillingForm(forms.Form):
    """The buyer's details for the invoice (an employer's name, address and tax id); all optional,
    but an invoice to an organization needs its address."""

    organization = forms.CharField(label=_("Organization"), max_length=200, required=False)
    address = forms.CharField(
        label=_("Billing address"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    country = forms.ChoiceField(label=_("Country"), choices=[("", "—"), *countries], required=False)
    tax_id = forms.RegexField(
        label=_("Tax id"), max_length=50, required=False, regex=r"^[A-Za-z0-9][A-Za-z0-9 .\-/]*$",
        help_text=_("VAT number or the like, if the invoice must carry it."),
        error_messages={"invalid": _("A tax id has only letters, digits, spaces, dots, dashes and slashes.")},
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("organization") or data.get("tax_id"):
            for name in ("address", "country"):
                if not data.get(name):
                    self.add_error(name, _("An invoice to an organization needs its address and country."))
        return data

    def billing(self):
        """What `checkout.place_order` takes as `billing`: the fields given."""
        return {name: " ".join(value.split()) if name != "address" else value.strip()
                for name, value in self.cleaned_data.items() if value}  # fmt: skip


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


def attendee_forms(data, quantity, ce, typed=None, questions=(), ticket_type=None):
    """One form per attendee. `typed`: what was posted so far, shown again unchecked (when only the
    number of attendees changed)."""
    forms_ = []
    for i in range(quantity):
        prefix = f"attendee-{i}-"
        initial = {key.removeprefix(prefix): value for key, value in (typed or {}).items() if key.startswith(prefix)}
        forms_.append(
            AttendeeForm(data, prefix=prefix[:-1], ce=ce, initial=initial, questions=questions, ticket_type=ticket_type)
        )
    return forms_


class EvaluationForm(forms.Form):
    """An event's evaluation (services/evaluations.py): one field per item, grouped by what it is
    about (the whole event, each session attended, each presenter) in `groups()`. Ratings are kept
    as their number, choices as their positions."""

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[item.key] = evaluation_field(item.question)

    def groups(self):
        """[(heading, [bound fields])]: the whole event's questions first, then each subject's."""
        grouped = {}
        for item in self.items:
            grouped.setdefault(item.subject, []).append(self[item.key])
        return list(grouped.items())

    def answers(self):
        """{item key: answer} of the questions answered."""
        return {key: value for key, value in self.cleaned_data.items() if value not in ("", None, [])}


def evaluation_field(question):
    common = {"label": question.label, "required": question.required}
    if question.kind == "rating":
        ends = [f"{end}: {word}" for end, word in ((1, question.lowest), (question.scale, question.highest)) if word]
        return forms.TypedChoiceField(
            choices=[(point, str(point)) for point in range(1, question.scale + 1)], coerce=int, empty_value=None,
            widget=forms.RadioSelect(attrs={"class": "rating"}), help_text=" · ".join(ends), **common,
        )  # fmt: skip
    if question.kind == "choice":
        choices = list(enumerate(question.choices))
        if question.several:
            return forms.TypedMultipleChoiceField(
                choices=choices, coerce=int, widget=forms.CheckboxSelectMultiple, **common
            )
        return forms.TypedChoiceField(choices=choices, coerce=int, empty_value=None, widget=forms.RadioSelect, **common)
    return forms.CharField(max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}), **common)
