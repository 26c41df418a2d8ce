"""'Add to calendar' links for the big web calendars (links only: nothing is fetched).

Their templates take one start and one end, so an event of several sessions gets a link per
session: one link for the whole would make a two-day course one thirty-hour block.
"""

import datetime as dt
from urllib.parse import urlencode

from .ical import location_text

GOOGLE = "https://calendar.google.com/calendar/render?"
OUTLOOK = "https://outlook.live.com/calendar/0/action/compose?"


def calendar_links(event, request):
    """[{"session", "google", "outlook"}] in session order: one entry per session. What every
    session's links share (the description, the place) is encoded once."""
    sessions = event.ordered_sessions
    details, place = f"{event.summary}\n\n{event.absolute_url(request)}", location_text(event)
    google_tail = urlencode({"details": details, "location": place, "ctz": event.time_zone})
    outlook_tail = urlencode({"body": details, "location": place})
    links = []
    for session in sessions:
        title = event.title if len(sessions) == 1 or not session.title else f"{event.title}: {session.title}"
        start, end = session.start.astimezone(dt.UTC), session.end.astimezone(dt.UTC)
        google = {"action": "TEMPLATE", "text": title, "dates": f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"}
        outlook = {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": title,
            "startdt": start.isoformat(),
            "enddt": end.isoformat(),
        }
        links.append(
            {
                "session": session,
                "google": f"{GOOGLE}{urlencode(google)}&{google_tail}",
                "outlook": f"{OUTLOOK}{urlencode(outlook)}&{outlook_tail}",
            }
        )
    return links
