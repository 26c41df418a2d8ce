import json

from babel.numbers import format_currency
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, to_locale

register = template.Library()

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data):
    """A schema.org script element; its JSON cannot close the script early."""
    text = json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.filter
def in_zone(value, zone):
    """`value` as seen in the IANA zone `zone` (an aware datetime)."""
    return value.astimezone(zone) if value else value


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters changed (None removes one)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.simple_tag
def price(amount, currency):
    """`amount` in `currency`, written the active language's way (12,50 € or €12.50)."""
    return format_currency(amount, currency, locale=to_locale(get_language() or "en"))
