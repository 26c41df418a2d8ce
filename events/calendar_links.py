"""'Add to calendar' links for the big web calendars (links only: nothing is fetched)."""

import datetime as dt
from urllib.parse import urlencode

from .ical import location_text


def _details(event, request):
    return f"{event.summary}\n\n{event.absolute_url(request)}"


def google_calendar_url(event, request):
    if not event.start:
        return None
    fmt = "%Y%m%dT%H%M%SZ"
    dates = f"{event.start.astimezone(dt.UTC):{fmt}}/{event.end.astimezone(dt.UTC):{fmt}}"
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "details": _details(event, request),
        "location": location_text(event),
        "ctz": event.time_zone,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(event, request):
    if not event.start:
        return None
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": event.start.astimezone(dt.UTC).isoformat(),
        "enddt": event.end.astimezone(dt.UTC).isoformat(),
        "body": _details(event, request),
        "location": location_text(event),
    }
    return "https://outlook.live.com/calendar/0/action/compose?" + urlencode(query)
