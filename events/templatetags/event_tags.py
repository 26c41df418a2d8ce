import json
from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from django import template
from django.template.loader import get_template
from django.templatetags.cache import CacheNode
from django.utils import formats, timezone
from django.utils.dateformat import format as date_format
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, to_locale
from wagtail import hooks

from events import cards
from events.caching import may_cache

register = template.Library()


class PublicCacheNode(CacheNode):
    def render(self, context):
        if not may_cache(context.get("request")) or not self.expire_time_var.resolve(context):
            return self.nodelist.render(context)
        return super().render(context)


@register.tag("public_cache")
def public_cache(parser, token):
    """`{% public_cache seconds name vary_on... %}…{% endpublic_cache %}`: Django's `{% cache %}`
    for what every visitor sees of a published page. Unlike `{% cache %}`, it does not touch the
    cache at all for a preview (caching.may_cache) or when `seconds` is 0: `{% cache 0 %}` still
    reads a fragment kept earlier under the same key, and a preview's keys are the live page's."""
    nodelist = parser.parse(("endpublic_cache",))
    parser.delete_first_token()
    tokens = token.split_contents()
    if len(tokens) < 3:
        raise template.TemplateSyntaxError(f"'{tokens[0]}' tag requires at least 2 arguments.")
    return PublicCacheNode(
        nodelist,
        parser.compile_filter(tokens[1]),
        tokens[2],
        [parser.compile_filter(token) for token in tokens[3:]],
        None,
    )


@register.simple_tag(takes_context=True)
def event_page_panels(context, page):
    """What other apps show in the event page's details column, in hook order: each function
    registered for the `register_event_page_panel` Wagtail hook takes the request and the event
    page and returns HTML (registrations answers with its Register box). A hook, not a template
    one app overrides for the other's, so that the order of INSTALLED_APPS does not matter and
    events needs to know nothing of the apps that fill it."""
    request = context.get("request")
    panels = (panel(request, page) for panel in hooks.get_hooks("register_event_page_panel"))
    return mark_safe("".join(conditional_escape(html) for html in panels if html))


_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def event_cards(context, events):
    """The result cards of `events` (events/includes/event_card.html), each rendered once per
    event and language and then reused (cards.py)."""
    return cards.render_cards(context, events)


@register.simple_tag(takes_context=True)
def filter_fields(context, form):
    """The listing form's fields, each in its label and with its errors; "near" and "radius" in
    their group (events/includes/near_filter.html). Written in Python: as a template loop, this was
    a sixth of a listing page's time on a search nobody asked for before."""
    html = []
    for field in form.visible_fields():
        if field.name == "radius":  # (in the "Near" group, with the place)
            continue
        if field.name == "near":
            with context.push(near=field, radius=form["radius"]):
                html.append(get_template("events/includes/near_filter.html").template.render(context))
            continue
        name, label, errors, kind = escape(field.name), conditional_escape(field.label), field.errors, field.widget_type
        if kind == "quickcheckboxes":
            described = f' aria-describedby="{escape(field.auto_id)}_error"' if errors else ""
            inner = f"<fieldset{described}><legend>{label}</legend>{field}</fieldset>"
        elif kind in ("quickcheckbox", "checkbox"):
            inner = f'<label class="check" for="{escape(field.id_for_label)}">{field} {label}</label>'
        else:
            inner = f'<label for="{escape(field.id_for_label)}">{label}</label> {field}'
        if errors:
            messages = "".join(f"<p>{conditional_escape(error)}</p>" for error in errors)
            inner += f'\n<div class="error" id="{escape(field.auto_id)}_error">{messages}</div>'
        html.append(f'<div class="field field-{name}{" has-error" if errors else ""}">\n{inner}\n</div>')
    return mark_safe("\n".join(html))


@register.simple_tag
def json_ld(data):
    """A schema.org script element; its JSON cannot close the script early."""
    text = json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.filter
def in_zone(value, zone):
    """`value` as seen in the IANA zone `zone` (an aware datetime)."""
    return value.astimezone(zone) if value else value


@register.simple_tag
def page_query(search, number):
    """The query string of page `number` of a listing's results (its canonical parameters)."""
    return search.page_query(number)


@register.filter
def percent(rate):
    """A tax rate as people write it, in the active language's way: 21, 6.25 (6,25), 8.875."""
    if rate in (None, ""):
        return ""
    return formats.number_format(Decimal(format(Decimal(rate).normalize(), "f")))


@register.filter
def localize_number(number):
    """A whole number the active language's way: 1,000 (1.000)."""
    return format_decimal(number, locale=to_locale(get_language() or "en"))


@register.filter
def distance(km):
    """A distance in km the active language's way, as precise as a person needs it: 0.4, 3.5
    (3,5), 12, 1,250 (1.250)."""
    rounded = round(km, 1) if km < 10 else round(km)
    return format_decimal(rounded, format="#,##0.#", locale=to_locale(get_language() or "en"))


@register.simple_tag
def price(amount, currency):
    """`amount` in `currency`, written the active language's way (12,50 € or €12.50)."""
    return format_currency(amount, currency, locale=to_locale(get_language() or "en"))


@register.simple_tag
def when(event, start, end):
    """The time of one span, in the event's zone, and (filled by local-times.js) in the viewer's:
    written in Python, as a listing shows twenty of them (a template took 6 ms for twenty)."""
    zone = event.zone
    start, end = timezone.localtime(start, zone), timezone.localtime(end, zone)
    date, time = formats.get_format("DATE_FORMAT"), formats.get_format("TIME_FORMAT")
    start_iso, end_iso = start.isoformat(), end.isoformat()
    ends = (
        date_format(end, time) if start.date() == end.date() else f"{date_format(end, date)}, {date_format(end, time)}"
    )
    return format_html(
        '<time datetime="{}">{}, {}, {}</time>–<time datetime="{}">{}</time>\n'
        '<abbr class="zone" title="{}">{}</abbr>\n'
        '<span class="viewer-time" data-viewer-time data-start="{}" data-end="{}" data-event-zone="{}" hidden>'
        '({} <span data-viewer-time-text></span>)</span>',
        start_iso, date_format(start, "l"), date_format(start, date), date_format(start, time), end_iso, ends,
        event.time_zone, date_format(start, "T"),
        start_iso, end_iso, event.time_zone, gettext("your time:"),
    )  # fmt: skip
