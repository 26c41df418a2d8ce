"""Events near a place: `near=<lat>,<lng>&radius=<km>` of the listing, the JSON API and the feeds.

A search near a point lists the events whose place (their venue's coordinates, copied into the
read model by read_model.py) is within the radius, by great-circle distance (the haversine formula,
on a sphere of the Earth's mean radius: within 0.5% of the distance on the ellipsoid). It is
written with Django's math functions, which PostgreSQL has and Django adds to SQLite, so both
databases give the same answer.

The distance is computed only for the rows of a bounding box around the point, found through the
index on (latitude, longitude): a box as tall as the radius north and south, and as wide as the
radius at the box's widest latitude. Near a pole the box takes every longitude; across the
antimeridian (Fiji, Kamchatka) it is two ranges of longitude, one on each side, so no event within
the radius is ever left out by the box.

Online-only events have no place and venues without coordinates no position: a search near a
point lists neither (`format=online` with `near=` lists hybrid events near the point).
"""

import math
import re
from dataclasses import dataclass

from django.db.models import F, FloatField, Q, Value
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)
# Two decimal numbers, as a browser's Geolocation API or a map gives them: "51.5074,-0.1278".
# ASCII digits only (Python's float() also takes "١", "1_0", "nan" and "1e3").
POINT = re.compile(r"\s*([+-]?\d{1,3}(?:\.\d+)?)\s*,\s*([+-]?\d{1,3}(?:\.\d+)?)\s*", re.ASCII)
DECIMALS = 6  # about 10 cm: what a position is kept to (links, cache keys)


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float

    def __str__(self):
        return f"{number(self.latitude)},{number(self.longitude)}"


def number(value):
    """`value` with at most DECIMALS decimals and no trailing zeros: 51.5, -0.1278, 0."""
    text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse_point(text):
    """The Point that `text` ("lat,lng" in degrees) names; ValueError with the reason when it names none."""
    match = POINT.fullmatch(text or "")
    if match is None:
        raise ValueError("format")
    latitude, longitude = (round(float(part), DECIMALS) for part in match.groups())
    if not -90 <= latitude <= 90:
        raise ValueError("latitude")
    if not -180 <= longitude <= 180:
        raise ValueError("longitude")
    return Point(latitude, longitude)


def bounding_box(point, radius_km):
    """Q of the rows in the box around `point` holding every place within `radius_km` (module docstring)."""
    angle = math.degrees(radius_km / EARTH_RADIUS_KM)
    south, north = point.latitude - angle, point.latitude + angle
    box = Q(latitude__gte=max(south, -90), latitude__lte=min(north, 90))
    if south <= -90 or north >= 90:
        return box  # a pole is within the radius: every longitude
    # The widest the box must be, at the latitude farthest from the equator (exact on a sphere).
    widest = math.degrees(
        math.asin(min(1.0, math.sin(radius_km / EARTH_RADIUS_KM) / math.cos(math.radians(point.latitude))))
    )
    if widest >= 180:
        return box
    west, east = point.longitude - widest, point.longitude + widest
    if west < -180:
        return box & (Q(longitude__gte=west + 360) | Q(longitude__lte=east))
    if east > 180:
        return box & (Q(longitude__gte=west) | Q(longitude__lte=east - 360))
    return box & Q(longitude__gte=west, longitude__lte=east)


def distance_km(point):
    """The great-circle distance in km from `point` to each row's (latitude, longitude), by haversine."""

    def half_sine_squared(degrees):
        return Power(Sin(Radians(degrees) / 2), 2)

    latitude, longitude = Value(point.latitude), Value(point.longitude)
    along = half_sine_squared(F("latitude") - latitude)
    across = Cos(Radians(F("latitude"))) * Cos(Radians(latitude)) * half_sine_squared(F("longitude") - longitude)
    # (Least: rounding may take the sum a hair past 1, where asin is undefined.)
    return Value(2 * EARTH_RADIUS_KM) * ASin(Sqrt(Least(along + across, Value(1.0))), output_field=FloatField())


def within(queryset, point, radius_km):
    """The rows of `queryset` (of ListingEntry) within `radius_km` of `point`, each with its `distance_km`."""
    return (
        queryset.filter(bounding_box(point, radius_km))
        .annotate(distance_km=distance_km(point))
        .filter(distance_km__lte=radius_km)
    )


def great_circle_km(a, b):
    """The distance from Point `a` to Point `b` computed in Python, the same way as in SQL (tests, fixtures)."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(b.longitude - a.longitude) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
