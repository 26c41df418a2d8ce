"""Model fields for values with a fixed vocabulary: IANA time zones, ISO 4217 currencies,
ISO 639-1 languages. The vocabularies come from zoneinfo and Babel, not from lists kept here."""

import zoneinfo
from functools import cache

from babel import Locale
from babel.numbers import list_currencies
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@cache
def time_zone_names():
    return sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


def validate_time_zone(value):
    if value not in set(time_zone_names()):
        raise ValidationError(
            _("“%(value)s” is not a known IANA time zone, such as Europe/London."), params={"value": value}
        )


def validate_currency(value):
    if value not in list_currencies():
        raise ValidationError(
            _("“%(value)s” is not an ISO 4217 currency code, such as USD or EUR."), params={"value": value}
        )


def tax_rate_field(verbose_name, **kwargs):
    """A tax rate in percent, as Stripe takes one (0 to 100, up to four decimals); blank for none."""
    validators = [MinValueValidator(0), MaxValueValidator(100)]
    return models.DecimalField(
        verbose_name, max_digits=7, decimal_places=4, null=True, blank=True, validators=validators, **kwargs
    )


def language_choices():
    """ISO 639-1 languages, named in the active language."""
    locale = Locale.parse(get_language() or "en", sep="-")
    names = {code: name for code, name in locale.languages.items() if len(code) == 2}
    return sorted(names.items(), key=lambda item: item[1].lower())


def language_name(code):
    """A language's name in the active language (the code when it has none)."""
    return Locale.parse(get_language() or "en", sep="-").languages.get(code, code)


def validate_language(value):
    if len(value) != 2 or value not in Locale("en").languages:
        raise ValidationError(
            _("“%(value)s” is not an ISO 639-1 language code, such as en or es."), params={"value": value}
        )


class _ChoicesFromCallable(models.CharField):
    """A CharField whose form shows a select, without writing hundreds of choices into migrations."""

    choices_function = None

    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", forms.TypedChoiceField)
        kwargs.setdefault("choices", self.form_choices)
        kwargs.setdefault("coerce", str)
        defaults = {"required": not self.blank, "label": self.verbose_name, "help_text": self.help_text}
        if self.has_default():
            defaults["initial"] = self.get_default()
        defaults.update(kwargs)
        form_class = defaults.pop("form_class")
        return form_class(**{k: v for k, v in defaults.items() if k not in ("max_length",)})

    def form_choices(self):
        blank = [("", "---------")] if self.blank else []
        return blank + list(type(self).choices_function())


class TimeZoneField(_ChoicesFromCallable):
    default_validators = [validate_time_zone]
    choices_function = staticmethod(lambda: [(name, name.replace("_", " ")) for name in time_zone_names()])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)


class CurrencyField(_ChoicesFromCallable):
    default_validators = [validate_currency]
    choices_function = staticmethod(lambda: [(code, code) for code in sorted(list_currencies())])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(*args, **kwargs)


class LanguageField(_ChoicesFromCallable):
    default_validators = [validate_language]
    choices_function = staticmethod(language_choices)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 2)
        super().__init__(*args, **kwargs)
