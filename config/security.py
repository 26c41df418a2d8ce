"""The site's security plumbing that Django and the libraries leave to the project.

- `CSPMiddleware`: django-csp's, letting the registration form's redirect reach the payment page
  of the Stripe emulator too (the demo's and the tests'), wherever STRIPE_API_BASE points, and the
  maps' tiles load from the tile server of EVENTS_MAP_TILE_URL (images only).
- `PermissionsPolicyMiddleware`: the Permissions-Policy header (Django 5.2 has no setting for it).
- `client_ip`: the address rate limits count against (django-ratelimit's `RATELIMIT_IP_META_KEY`).
- `sign_in_locked_out`: the answer to a sign-in while django-axes has paused the username or
  address (its `AXES_LOCKOUT_CALLABLE`): the sign-in page again, saying why, with 429.
- `DropMessages`: keeps library log records that carry attendee data (the stripe library's
  request bodies, Django's template debugging) out of the logs, whatever the log level.
- `RedactSecretLinks`: takes the keys out of the addresses Django logs ("Not Found:
  /tickets/<secret>/", the development server's request lines with `?session_id=`) and urllib3
  logs (Stripe's API paths with the Checkout Session id).

Behind a reverse proxy or load balancer every request comes from the proxy's address, so all
visitors would share one rate limit: set `CLIENT_IP_HEADER` to the header the proxy writes the
client's address in (`X-Real-IP`, or `X-Forwarded-For`, of which the last address is used: the one
the proxy itself added). Only do that when the proxy overwrites or appends that header on every
request; otherwise a client can send any address it likes and escape the limit.
"""

import ipaddress
import logging
import re
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings
from django.forms.utils import ErrorDict
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from events import maps

STRIPE_API = "https://api.stripe.com"


class CSPMiddleware(BaseCSPMiddleware):
    """CSP's form-action also covers the page a form's post redirects to: a paid registration
    goes on to Stripe Checkout (allowed in the settings), or to the emulator's page when
    STRIPE_API_BASE points at one. Read per request, since the tests start the emulator late.
    The maps' tiles (events/maps.py) are images from the tile server's host, the only thing a
    page loads from elsewhere: img-src allows that host, and nothing more, while maps are on."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only:
            return parts
        update = dict(parts.update or {})
        api = getattr(settings, "STRIPE_API_BASE", STRIPE_API) or STRIPE_API
        if api.rstrip("/") != STRIPE_API:
            address = urlsplit(api)
            update["form-action"] = [*update.get("form-action", []), f"{address.scheme}://{address.netloc}"]
        if tiles := maps.tile_source():
            update["img-src"] = [*update.get("img-src", []), tiles]
        parts.update = update or None
        return parts


class PermissionsPolicyMiddleware:
    """Adds `Permissions-Policy` from the PERMISSIONS_POLICY setting ({feature: allowlist})."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", None)
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = ", ".join(f"{feature}={allow}" for feature, allow in policy.items())
        return response


def valid_ip(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request):
    """The client's address: from CLIENT_IP_HEADER behind a trusted proxy, else REMOTE_ADDR."""
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header:
        forwarded = request.headers.get(header, "")
        address = valid_ip(forwarded.split(",")[-1]) if forwarded else None
        if address:
            return address
    # An empty REMOTE_ADDR (a Unix socket without a proxy header) must not be a server error.
    return valid_ip(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"


def sign_in_locked_out(request, original_response=None, credentials=None):
    """Too many failed sign-ins for this username or from this address: the sign-in form again
    (Wagtail's, as the view rendered it) with the reason in place of "wrong password", as a 429.
    The password was not checked, so the message says nothing about whether it was right."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed sign-in attempts: signing in to this account, or from this address, is "
        "paused for %(minutes)s minutes. Try again later, or reset your password."
    ) % {"minutes": minutes}
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if form is not None and getattr(original_response, "template_name", None):
        form._errors = ErrorDict()
        form.add_error(None, message)
        response = TemplateResponse(request, original_response.template_name, context, status=429).render()
    else:
        response = render(request, "events/429.html", {"message": message}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


class DropMessages(logging.Filter):
    """Drops a logger's records that carry attendee data, whatever its level is set to: the stripe
    library's DEBUG records (request and response bodies, with the buyer's email) and Django's
    template debugging ("Exception while resolving variable", with the whole context)."""

    def __init__(self, containing=(), below=None):
        super().__init__()
        self.containing = tuple(containing)
        self.below = logging.getLevelName(below) if below else None

    def filter(self, record):
        if self.below is not None and record.levelno < self.below:
            return False
        message = record.getMessage()
        return not any(text in message for text in self.containing)


# An address whose path segment or query parameter is the key to someone's tickets or order.
# So is a Checkout Session id (`cs_test_…`, `cs_live_…`) anywhere, such as in a Stripe API path.
SECRET_IN_ADDRESS = re.compile(
    r"(?P<keep>/(?:tickets|orders|waitlist/claim|checkout/cancelled)/|[?&]session_id=|\bcs_(?:test|live)_)"
    r"[^/?&#\s\"']+"
)


def redact_secret_links(text):
    return SECRET_IN_ADDRESS.sub(r"\g<keep>[redacted]", text)


class RedactSecretLinks(logging.Filter):
    """Rewrites a record's message with the secrets of our links replaced by "[redacted]": a log
    line must not open the attendee's ticket, order or waitlist offer for whoever reads the logs."""

    def filter(self, record):
        message = record.getMessage()
        redacted = redact_secret_links(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
