"""Signing in to "My events" with a link emailed to the address, no password (my_events.py).

Anyone may ask for a link for any address; what they are told is the same whatever the address
holds, and the work is done in a task (`deliver_link`), so neither the answer nor its time says
whether someone registered with it. The task emails a link only to an address that has a
registration or an order, at most LINKS_PER_ADDRESS_PER_HOUR an hour (the form's own limit,
per client, is ratelimits' "sign_in"). The email lists the upcoming tickets too: someone who lost
their ticket's link has it again without signing in.

A link is 256 random bits; only its SHA-256 is kept (SignInLink), so the table alone signs nobody
in. It works once (`use`: one conditional UPDATE, so two clicks at once cannot both sign in) and
for REGISTRATIONS_SIGN_IN_LINK_MINUTES. Opening it shows a button: mail scanners that follow links
use nothing up. Signing in rotates the session's key (no fixation) and keeps the address in the
session for REGISTRATIONS_SIGNED_IN_DAYS.
"""

import datetime as dt
import hashlib
import logging
import secrets

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from events.mail import build_message
from events.subscriptions import normalised

from .. import conf
from ..emails import supported_language, ticket_url
from ..models import CheckIn, Order, Registration, SignInLink, is_erased
from . import certificates, credit, evaluations

log = logging.getLogger(__name__)

LINKS_PER_ADDRESS_PER_HOUR = 5
SESSION_KEY = "registrations_email"
# What "My events" lists: seats that were confirmed at some point (not a hold that was never paid).
LISTED = (Registration.Status.CONFIRMED, Registration.Status.CANCELLED, Registration.Status.HANDED_ON)


def by_address(model, field, email):
    """The rows of `model` whose `field` is the address `email`, in any case (through the
    `Lower(field)` indexes), in the order they were made."""
    return model.objects.alias(address=Lower(field)).filter(address=normalised(email)).order_by("pk")


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


# The person's record


def registrations_of(email):
    """The seats registered with `email` (in any case), with their events, latest event first; each
    with `attended` (checked in to at least one session) and its `active_check_ins`."""
    attended = CheckIn.objects.active().filter(registration=OuterRef("pk"))
    check_ins = CheckIn.objects.active().select_related("session").order_by("at", "pk")
    return (
        by_address(Registration, "email", email)
        .filter(status__in=LISTED)
        .select_related("event", "event__venue", "event__organizer", "event__evaluation_template", "ticket_type")
        .annotate(attended=Exists(attended))
        .prefetch_related(Prefetch("check_ins", queryset=check_ins, to_attr="active_check_ins"))
        .order_by("-event__start", "-pk")
    )


def record(email, now=None):
    """(upcoming, past): the seats of `email` in events not yet over, soonest first, and in those
    over, latest first; each with `certificate_available` (certificates.eligible, with the check-ins
    read for all of them in one query) and `evaluation_due`."""
    now = now or timezone.now()
    upcoming, past = [], []
    for registration in registrations_of(email):
        over = registration.event.end is not None and registration.event.end < now
        credited = bool(credit.credited(registration.active_check_ins, registration.event))
        registration.certificate_available = certificates.eligible(registration, now, attended=credited)
        registration.evaluation_due = evaluations.due(registration, now, attended=registration.attended)
        (past if over else upcoming).append(registration)
    return upcoming[::-1], past


def orders_of(email):
    """The orders placed with `email` as the buyer's address that were paid (or free), refunded
    since or not: their pages hold the receipts and invoices."""
    return (
        by_address(Order, "buyer_email", email)
        .filter(Q(status=Order.Status.PAID) | Q(paid_at__isnull=False))
        .select_related("event")
        .order_by("-created_at", "-pk")
    )


def holds_anything(email):
    """Whether `email` registered or bought anything (an erased address never: nobody reads it)."""
    return not is_erased(email) and (registrations_of(email).exists() or orders_of(email).exists())


# Asking for a link


def request_link(email, language, base_url):
    """Email `email` a sign-in link (on `base_url`, the site's address the person asked on), in
    `language`: queued, so that the answer is the same for every address (see above)."""
    try:
        deliver_link.enqueue(normalised(email), supported_language(language), base_url)
    except Exception:  # a queue that cannot take it: the person is told the same, and asks again
        log.exception("Could not queue a sign-in link")


@task()
def deliver_link(email, language, base_url):
    """Make and email a link to `email` if it holds anything and has not had too many this hour.
    Returns "sent", "nothing held", "too many" or "failed" (for the logs and tests)."""
    now = timezone.now()
    if not holds_anything(email):
        return "nothing held"
    if SignInLink.objects.filter(email=email, created_at__gt=now - dt.timedelta(hours=1)).count() >= (
        LINKS_PER_ADDRESS_PER_HOUR
    ):
        log.warning("Sign-in link not sent: too many asked for one address this hour")
        return "too many"
    token = secrets.token_urlsafe(32)
    minutes = conf.get("REGISTRATIONS_SIGN_IN_LINK_MINUTES")
    link = SignInLink.objects.create(
        email=email, token_hash=digest(token), created_at=now, expires_at=now + dt.timedelta(minutes=minutes)
    )
    upcoming, _past = record(email, now)
    with translation.override(language):
        context = {
            "language": language,
            "sign_in_url": base_url + reverse("registrations:sign_in_link", args=[token]),
            "minutes": minutes,
            "tickets": [(r, ticket_url(r)) for r in upcoming if r.status == Registration.Status.CONFIRMED],
            "subject": _("Your events: your sign-in link"),
        }
        message = build_message("registrations/email/sign_in", context, email)
    try:
        message.send()
    except Exception:  # the person is told the same; asking again sends another
        log.exception("Could not email sign-in link %s", link.pk)
        return "failed"
    return "sent"


def delete_old_links(now=None):
    """Forget links expired over a day ago (used or not): the sweep's (tasks.sweep). Returns how many."""
    now = now or timezone.now()
    deleted, _by_model = SignInLink.objects.filter(expires_at__lt=now - dt.timedelta(days=1)).delete()
    return deleted


# Using a link


def pending(token, now=None):
    """The link `token` opens, if it is still unused and unexpired; else None."""
    now = now or timezone.now()
    return SignInLink.objects.filter(token_hash=digest(token), used_at__isnull=True, expires_at__gt=now).first()


def use(token, now=None):
    """The address `token` signs in, using the link up; None when it is unknown, used or expired.
    One conditional UPDATE: of two uses at once, one signs in."""
    now = now or timezone.now()
    links = SignInLink.objects.filter(token_hash=digest(token), used_at__isnull=True, expires_at__gt=now)
    if not links.update(used_at=now):
        return None
    return SignInLink.objects.get(token_hash=digest(token)).email


def sign_in(request, email):
    """Sign the browser of `request` in as `email`: a new session key (what was known of the old
    one signs nothing in), kept for REGISTRATIONS_SIGNED_IN_DAYS."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = email
    request.session.set_expiry(dt.timedelta(days=conf.get("REGISTRATIONS_SIGNED_IN_DAYS")))


def signed_in_email(request):
    return request.session.get(SESSION_KEY)


def sign_out(request):
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
