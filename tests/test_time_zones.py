"""Time zones are read from their files once a process (events.timestamps.time_zone).

`zoneinfo.ZoneInfo` keeps only the last eight zones it made: a listing page of twenty events in a
dozen zones, its map pins, the JSON API and the feeds made every zone again on each visit. So the
apps make them in one place, which keeps each for the process, and nowhere else (the class of that
slowness, not the one page where it was found).
"""

import ast
import zoneinfo
from pathlib import Path

import pytest

from events.timestamps import time_zone

ROOT = Path(__file__).resolve().parent.parent
TWENTY_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})[:20]


def test_a_zone_is_kept_after_many_others_and_after_zoneinfo_forgets_it():
    paris = time_zone("Europe/Paris")
    for name in TWENTY_ZONES:
        time_zone(name)
    zoneinfo.ZoneInfo.clear_cache()  # what zoneinfo itself keeps: gone

    assert time_zone("Europe/Paris") is paris
    assert time_zone("Europe/Paris").key == "Europe/Paris"


def test_an_unknown_zone_is_an_error_and_is_not_kept():
    kept = time_zone.cache_info().currsize
    with pytest.raises(zoneinfo.ZoneInfoNotFoundError):
        time_zone("Mars/Olympus_Mons")
    assert time_zone.cache_info().currsize == kept


def test_the_apps_make_time_zones_only_through_time_zone():
    makers = []
    for app in ("events", "registrations"):
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative == "events/timestamps.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    function = node.func
                    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
                    if name == "ZoneInfo":
                        makers.append(f"{relative}:{node.lineno}")
    assert not makers, makers
