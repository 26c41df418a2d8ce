"""Numbers that come from a visitor: query strings, forms, paths, third-party metadata.

One rule for every view that turns user input into an id, a page or a count: ASCII digits only
(`str.isdigit()` calls "²" a digit, and `int()` then refuses it; `int()` itself takes "١" and
" 6"), and no larger than a 63-bit signed integer, the largest id any database we support stores
(SQLite raises OverflowError on a bigger parameter: a server error, not "no such row").
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.urls import register_converter

LARGEST_ID = 2**63 - 1
DIGITS = re.compile(r"[0-9]{1,19}")


def parse_int(value, minimum=0, maximum=LARGEST_ID):
    """`value` as an int if it is plain ASCII digits within [minimum, maximum], else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if minimum <= number <= maximum else None


class IdConverter:
    """`<id:…>`: Django's `<int:…>` takes any number of digits; this one only what a row id can be,
    so a longer number is a 404 before the database is asked."""

    regex = "[0-9]{1,19}"

    def to_python(self, value):
        number = parse_int(value)
        if number is None:
            raise ValueError(value)  # the URL does not match: a 404
        return number

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")


class TokenConverter:
    """`<token:…>`, the secret in a link (tickets, orders, subscriptions): what
    `secrets.token_urlsafe` makes, letters, digits, "-" and "_". Anything else is no link of ours:
    a 404 before the database is asked (PostgreSQL refuses a NUL in text: a 500)."""

    regex = "[A-Za-z0-9_-]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TokenConverter, "token")


class IdModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField (and so a django-filter ModelChoiceFilter) that refuses, as an invalid
    choice, a value that cannot be a row id, instead of handing it to the database."""

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, self.queryset.model):
            if self.to_field_name in (None, "pk", "id") and parse_int(str(value)) is None:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)
