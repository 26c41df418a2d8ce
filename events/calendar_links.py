"""'Add to calendar' links for the big web calendars (links only: nothing is fetched).

Their templates take one start and one end, so an event of several sessions gets a link per
session: one link for the whole would make a two-day course one thirty-hour block.
"""

import datetime as dt
from urllib.parse import urlencode

from .ical import location_text


def _details(event, request):
    return f"{event.summary}\n\n{event.absolute_url(request)}"


def _title(event, session, sessions):
    return event.title if len(sessions) == 1 or not session.title else f"{event.title}: {session.title}"


def google_calendar_url(event, session, request):
    fmt = "%Y%m%dT%H%M%SZ"
    sessions = event.ordered_sessions
    query = {
        "action": "TEMPLATE",
        "text": _title(event, session, sessions),
        "dates": f"{session.start.astimezone(dt.UTC):{fmt}}/{session.end.astimezone(dt.UTC):{fmt}}",
        "details": _details(event, request),
        "location": location_text(event),
        "ctz": event.time_zone,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(event, session, request):
    sessions = event.ordered_sessions
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": _title(event, session, sessions),
        "startdt": session.start.astimezone(dt.UTC).isoformat(),
        "enddt": session.end.astimezone(dt.UTC).isoformat(),
        "body": _details(event, request),
        "location": location_text(event),
    }
    return "https://outlook.live.com/calendar/0/action/compose?" + urlencode(query)


def calendar_links(event, request):
    """[{"session", "google", "outlook"}] in session order: one entry per session."""
    return [
        {
            "session": session,
            "google": google_calendar_url(event, session, request),
            "outlook": outlook_calendar_url(event, session, request),
        }
        for session in event.ordered_sessions
    ]
