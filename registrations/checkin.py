"""Door check-in: the page staff use at the entrance, and the JSON it talks to.

Thin callers of services/attendance.py. Who may use them is `permissions.may_check_in`: the
event's organizer team with the `check_in` permission, and superusers. Every answer to bad input
is a 400 with a message, never a 500; the POST endpoints are CSRF-protected (the page's script
sends the token in the X-CSRFToken header).
"""

import json
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from events.inputs import parse_int
from events.models import EventPage
from events.ratelimits import limit_posts

from .converters import secret_page
from .models import CheckIn, Registration
from .permissions import may_check_in
from .qr import ticket_qr_png
from .services import attendance
from .services.attendance import BadSession

MAX_BODY = 10_000  # a check-in request is a few dozen bytes


class Invalid(Exception):
    """Bad input from the door's page (or anyone else): answered with 400 and the message."""


def checkin_event(user, event_id):
    event = get_object_or_404(EventPage.objects.select_related("organizer"), pk=event_id)
    if not may_check_in(user, event):
        raise PermissionDenied
    return event


def json_endpoint(view):
    """Permission and bad input answered as JSON: 403 without the right, 400 for bad input."""

    @wraps(view)
    def wrapper(request, event_id, *args, **kwargs):
        try:
            event = checkin_event(request.user, event_id)
        except PermissionDenied:
            return JsonResponse({"error": _("You may not check people in at this event.")}, status=403)
        except Http404:
            return JsonResponse({"error": _("No such event.")}, status=404)
        try:
            return view(request, event, *args, **kwargs)
        except Invalid as invalid:
            return JsonResponse({"error": str(invalid)}, status=400)
        except BadSession as bad:
            return JsonResponse({"error": str(bad)}, status=400)

    return never_cache(wrapper)


def json_body(request):
    if len(request.body) > MAX_BODY:
        raise Invalid(_("The request is too large."))
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Invalid(_("The request is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise Invalid(_("The request must be a JSON object."))
    return data


def integer(value, message):
    """A JSON integer (not a boolean, not a string) that can be a row id, or None."""
    if value is None:
        return None
    if not isinstance(value, int) or parse_int(value) is None:
        raise Invalid(message)
    return value


def session_param(value):
    """The `session` query parameter: empty means the current session."""
    if value in (None, ""):
        return None
    number = parse_int(value)
    if number is None:
        raise Invalid(_("The session must be a number."))
    return number


def session_label(event, session):
    start, end = timezone.localtime(session.start, event.zone), timezone.localtime(session.end, event.zone)
    when = (
        f"{date_format(start, 'DATE_FORMAT')}, {time_format(start, 'TIME_FORMAT')} – {time_format(end, 'TIME_FORMAT')}"
    )
    return f"{session.title}: {when}" if session.title else when


def with_counts(payload, event, session):
    return {**payload, "counts": attendance.session_counts(event, session)}


def check_in_row(check_in):
    return {
        "check_in": check_in.pk,
        "name": check_in.registration.name,
        "checked_in_at": check_in.at.isoformat(),
        "checked_in_by": attendance.operator_name(check_in.operator),
    }


def recent_rows(event, session):
    """The session's latest check-ins for the page, with their times in the event's zone."""
    return [
        {**check_in_row(c), "at": timezone.localtime(c.at, event.zone)}
        for c in attendance.recent_check_ins(event, session)
    ]


# The page


@require_GET
def checkin_page(request, event_id):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("wagtailadmin_login"))
    event = checkin_event(request.user, event_id)
    sessions = event.ordered_sessions
    try:
        session = attendance.session_of(event, session_param(request.GET.get("session")))
    except (Invalid, BadSession):
        session = attendance.current_session(event)
    leaving = request.GET.get("direction") == "out"  # the exit: check-out scans record departures
    context = {
        "event": event,
        "sessions": [(s, session_label(event, s)) for s in sessions],
        "session": session,
        "leaving": leaving,
        "session_label": session_label(event, session) if session else "",
        "attendance_code": attendance.attendance_code(session) if session and event.attendance_codes else "",
        "counts": attendance.session_counts(event, session) if session else None,
        "recent": recent_rows(event, session) if session else [],
        "config": {
            "redeem": reverse("registrations:checkin_redeem", args=[event.pk]),
            "undo": reverse("registrations:checkin_undo", args=[event.pk]),
            "search": reverse("registrations:checkin_search", args=[event.pk]),
            "session": session.pk if session else None,
            "direction": "out" if leaving else "in",
            "timeZone": event.time_zone,
            "strings": js_strings(),
        },
    }
    return render(request, "registrations/checkin/page.html", context)


def js_strings():
    """What the page's script says, translated here (the script has no catalogue of its own)."""
    return {
        "ok": _("Checked in"),
        "already": _("Already checked in"),
        "already_detail": _("Checked in %(when)s by %(by)s."),
        "already_detail_nobody": _("Checked in %(when)s."),
        "unpaid": _("Not paid"),
        "unpaid_detail": _("This registration is not paid. Send the person to the registration desk."),
        "cancelled": _("Cancelled"),
        "cancelled_detail": _("This registration was cancelled."),
        "handed_on": _("Handed on"),
        "handed_on_detail": _("This ticket was handed on to someone else: ask for the ticket they were sent."),
        "wrong_event": _("Wrong event"),
        "wrong_event_detail": _("This ticket is for “%(event)s”."),
        "unknown": _("Unknown ticket"),
        "unknown_detail": _("No ticket has this code. Check it, or search the name."),
        "left": _("Checked out"),
        "left_detail": _("The time they left is recorded."),
        "not_in": _("Not checked in"),
        "not_in_detail": _("This person was not checked in at this session, so there is no arrival to end."),
        "error": _("Something went wrong"),
        "offline": _("Could not reach the server. Check the connection and try again."),
        "working": _("Checking…"),
        "undo": _("Undo"),
        "undone": _("Undone"),
        "check_in": _("Check in"),
        "no_results": _("Nobody found."),
        "checked_in_short": _("checked in %(when)s"),
        "not_paid_short": _("not paid"),
        "camera_start": _("Scan with the camera"),
        "camera_stop": _("Stop the camera"),
        "camera_error": _("The camera could not be started. Type the code or search the name instead."),
        "camera_on": _("Camera on: hold the ticket's QR code in front of it."),
    }


# The JSON endpoints


@require_POST
@limit_posts("checkin_redeem", key="user_or_ip")
@json_endpoint
def redeem(request, event):
    data = json_body(request)
    session_id = integer(data.get("session"), _("The session must be a number or null."))
    method = data.get("method", "scan")
    if method not in ("scan", "typed", "search"):
        raise Invalid(_("Unknown check-in method."))
    direction = data.get("direction", "in")
    if direction not in ("in", "out"):
        raise Invalid(_("The direction must be “in” or “out”."))
    leaving = direction == "out"
    registration_id = data.get("registration")
    if registration_id is not None:
        registration_id = integer(registration_id, _("The registration must be a number."))
        result = attendance.redeem_registration(
            event, registration_id, session_id, request.user, method=method, leaving=leaving
        )
    else:
        secret = data.get("secret")
        if not isinstance(secret, str) or not secret.strip():
            raise Invalid(_("Send the ticket code as “secret”."))
        result = attendance.redeem(event, secret, session_id, request.user, method=method, leaving=leaving)
    session = attendance.session_of(event, result["session"])
    return JsonResponse(with_counts(result, event, session))


@require_POST
@json_endpoint
def undo(request, event):
    data = json_body(request)
    check_in_id = integer(data.get("check_in"), _("The check-in must be a number."))
    if check_in_id is None:
        raise Invalid(_("Send the check-in to undo as “check_in”."))
    check_in = CheckIn.objects.filter(pk=check_in_id, registration__event=event).select_related("registration").first()
    if check_in is None:
        return JsonResponse({"error": _("No such check-in at this event.")}, status=404)
    check_in = attendance.undo(check_in, request.user)
    payload = {
        "result": "undone",
        "check_in": check_in.pk,
        "name": check_in.registration.name,
        "session": check_in.session_id,
        "undone_at": check_in.undone_at.isoformat(),
    }
    return JsonResponse(with_counts(payload, event, check_in.session))


@require_POST  # names and emails are typed into it: never in a URL, where access logs keep them
@json_endpoint
def search(request, event):
    data = json_body(request)
    session = attendance.session_of(event, integer(data.get("session"), _("The session must be a number or null.")))
    query = data.get("q", "")
    if not isinstance(query, str):
        raise Invalid(_("Send the name or email to find as “q”."))
    found = list(attendance.search(event, query))
    present = attendance.check_ins_at(session, found)
    results = []
    for registration in found:
        check_in = present.get(registration.pk)
        results.append(
            {
                "registration": registration.pk,
                "name": registration.name,
                "email": registration.email,
                "ticket_type": registration.ticket_type.name,
                "status": registration.status,
                "status_label": registration.get_status_display(),
                "check_in": check_in_row(check_in) if check_in else None,
            }
        )
    return JsonResponse({"session": session.pk, "results": results})


# The ticket's QR code as an image, for the confirmation email


@require_GET
@secret_page
def ticket_qr(request, secret):
    """The QR code of a confirmed ticket as a PNG: the email shows it (mail clients do not show SVG)."""
    if len(secret) > attendance.MAX_SECRET_LENGTH:
        raise Http404
    if not Registration.objects.confirmed().filter(ticket_secret=secret).exists():
        raise Http404
    response = HttpResponse(ticket_qr_png(secret), content_type="image/png")
    response["X-Robots-Tag"] = "noindex"
    return response
