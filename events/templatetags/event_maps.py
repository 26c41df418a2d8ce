"""The maps' template tags (maps.py): `{% map_options as map %}` is None when maps are off;
`{% map_markers events as pins %}` the pins of a listing page's events (no query of its own)."""

from django import template

from events import maps

register = template.Library()


@register.simple_tag
def map_options():
    return maps.options() if maps.tile_url() else None


@register.simple_tag(takes_context=True)
def map_markers(context, events):
    """The pins of a listing page's `events` (listing.PageEvents), below the listing's address."""
    return maps.markers(events, context["page"].get_url(context.get("request"))) if maps.tile_url() else []


@register.simple_tag
def venue_pins(venue):
    return maps.venue_pins(venue) if maps.tile_url() else []
