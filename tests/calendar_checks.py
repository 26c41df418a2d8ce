"""Checks every calendar we emit must pass: two independent parsers, no errors, no missing zones."""

from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar


def parse_valid_calendar(data: bytes) -> Calendar:
    calendar = Calendar.from_ical(data)
    for component in calendar.walk():
        assert not component.errors, f"{component.name}: {component.errors}"
    assert calendar.get_missing_tzids() == set()
    assert calendar["VERSION"] == "2.0" and calendar.get("PRODID")
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART"):
            assert required in event, f"VEVENT without {required}"
        assert event.decoded("DTSTAMP").utcoffset().total_seconds() == 0, "DTSTAMP must be UTC"
    # A second, independent parser (stricter about RFC 5545) must accept it too.
    IcsCalendarStream.calendar_from_ics(data.decode())
    return calendar
