"""The answers the apps give when they cannot serve a request right now, whichever site they are in.

- `DatabaseBusyMiddleware`: a lock wait over the limit answers 503 with Retry-After (never 500).
- `ratelimited`: django-ratelimit's RATELIMIT_VIEW, a refused burst answers 429 with Retry-After.

Both answer JSON to scripts and API callers, and a page to people: `events/503.html` (standalone,
since the database may be what is busy) and `events/429.html` (extends the site's base template).
A site overrides either by its own template of the same name. The system checks (checks.py) say
when the settings leave them out.
"""

import logging

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

# PostgreSQL's answers that mean "busy, the same request would work in a moment": lock_timeout,
# statement_timeout, a deadlock broken by the server, a serialization failure.
RETRYABLE_SQLSTATES = {"55P03", "57014", "40P01", "40001"}
RETRY_AFTER_SECONDS = 5


def database_busy(error):
    """True when `error` says the database was too busy (a lock not granted in time), not broken."""
    if not isinstance(error, OperationalError):
        return False
    if getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    # SQLite: another connection kept the write lock longer than the busy timeout.
    return "is locked" in str(error).lower()


def wants_json(request):
    return (
        request.content_type == "application/json"
        or request.path.startswith("/api/")
        or not request.accepts("text/html")
    )


class DatabaseBusyMiddleware:
    """A lock wait over the limit answers 503 with Retry-After and "try again in a moment", never 500.

    The transaction that waited was rolled back when the error left `transaction.atomic`, so its
    writes are gone (taking seats is one transaction: no order, no hold) and trying again is safe.
    JSON callers (the check-in page, the API, Stripe's webhook) get JSON; people get the 503 page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_busy(exception):
            return None
        log.warning("Database busy on %s %s: %s", request.method, request.path, exception)
        message = _("We're very busy, please try again in a moment.")
        if wants_json(request):
            response = JsonResponse({"error": message, "retry_after": RETRY_AFTER_SECONDS}, status=503)
        else:
            response = HttpResponse(render_to_string("events/503.html", request=request), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response


def ratelimited(request, exception):
    """A burst of posts from one address (or one door account): nothing was done; try again soon.
    django-ratelimit's RATELIMIT_VIEW (its default answer is a bare 403)."""
    retry_after = getattr(settings, "RATELIMIT_RETRY_AFTER", 60)
    message = _("Too many attempts in a short time. Nothing was changed: please wait a minute, then try again.")
    if wants_json(request):
        response = JsonResponse({"error": message}, status=429)
    else:
        response = render(request, "events/429.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
