"""Wagtail admin widgets of the events app.

`VenuePinInput`, the venue editor's map: a pin to place by clicking or dragging, which fills in the
latitude and longitude (and moves when they are typed), and a "Look up from address" button
(venue_editor.geocode_venue). It is the longitude's widget (the pin is for both numbers: it finds
the latitude's input by name), built like Wagtail's own: a template, and Media (Leaflet from
static/events/vendor/, and pin-map.js, a Stimulus controller registered with Wagtail's). Without a
tile server (EVENTS_MAP_TILE_URL = None) it draws no map; without EVENTS_GEOCODER_URL, no button.
"""

import json

from django import forms
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from . import conf, maps

# The address fields of the venue form a lookup sends.
ADDRESS_FIELDS = ["address", "city", "region", "postal_code", "country"]


class VenuePinInput(forms.NumberInput):
    template_name = "events/widgets/venue_pin_input.html"

    def __init__(self, attrs=None, latitude="latitude", geocode_url_name="wagtailsnippets_events_venue:geocode"):
        super().__init__(attrs={"step": "any", **(attrs or {})})
        self.latitude, self.geocode_url_name = latitude, geocode_url_name

    class Media:
        css = {"all": ["events/vendor/leaflet/leaflet.css", "events/pin-map.css"]}
        js = ["events/vendor/leaflet/leaflet.js", "events/pin-map.js"]

    def geocode_url(self):
        if not conf.get("EVENTS_GEOCODER_URL"):
            return None
        try:
            return reverse(self.geocode_url_name)
        except NoReverseMatch:
            return None

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        prefix = name[: name.rfind("-") + 1]  # a prefixed form's "venue-longitude"
        context["pin"] = {
            "latitude_id": f"id_{prefix}{self.latitude}",
            "map": maps.tile_url() is not None,
            "map_json": json.dumps({**maps.options(), "pin": _("Venue")}) if maps.tile_url() else "",
            "geocode_url": self.geocode_url(),
            "address_fields": " ".join(prefix + field for field in ADDRESS_FIELDS),
        }
        return context
