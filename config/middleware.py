"""Middleware of the project itself (not of an app)."""

import logging

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
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
            response = HttpResponse(render_to_string("503.html", request=request), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
