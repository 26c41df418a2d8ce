"""The weekly digest: for each confirmed subscription (subscriptions.py), the events first published
since its last digest that its saved search (or organizer) finds, still upcoming, public and live,
emailed in the subscriber's language. `manage.py send_event_digests`, run once a week (cron), queues
one task per subscription (`deliver_digest`), which the task workers send.

The events are found as the listing finds them (`listing.search_events` over `ListingEntry`), in a
fixed number of queries per subscription whatever the number of events. Nothing is sent when
nothing is new. A subscription's `sent_until` moves to the moment of the run only once its email
is sent, in the transaction that holds its row (two tasks of one subscription, from runs that
overlapped, send once), so running again sends nothing twice. A refused email is tried again a few
minutes later (events.mail.send_again_later), and after the last try, or with a task backend that
cannot wait, at the next run; one failure does not stop the others.

A saved search that no longer means what it meant (a topic it named was deleted) sends nothing
rather than a broader search's events.
"""

import datetime as dt
import logging
import smtplib
from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries
from django_tasks import task
from django_tasks.base import TaskResultStatus

from . import conf
from .mail import addresses_of, build_message, send_again_later
from .models import EventPage, Subscription
from .subscriptions import conditions, heading, purge_unconfirmed, search_of

logger = logging.getLogger(__name__)

# What a digest shows of an event.
DIGEST_EVENTS = EventPage.objects.only(
    *("title", "slug", "url_path", "start", "end", "time_zone", "city", "country", "format"),
    "organizer__name",
).select_related("organizer")


def new_events(subscription, search, now):
    """(the first EVENTS_DIGEST_MAX_EVENTS new events, soonest first; how many are new in all)."""
    since = subscription.sent_until or subscription.confirmed_at
    found = search.matches.filter(first_published_at__gt=since, first_published_at__lte=now, end__gte=now)
    limit = conf.get("EVENTS_DIGEST_MAX_EVENTS")
    ids = list(found.order_by("sort_start", "page_id").values_list("page_id", flat=True)[: limit + 1])
    total = len(ids) if len(ids) <= limit else found.count()
    pages = {page.pk: page for page in DIGEST_EVENTS.filter(pk__in=ids[:limit])}
    return [pages[pk] for pk in ids[:limit] if pk in pages], total


def event_lines(event, listing_url):
    """What the email says of one event: in its own time zone, in the reader's language."""
    start = timezone.localtime(event.start, event.zone)
    when = f"{formats.date_format(start, 'DATETIME_FORMAT')} {formats.date_format(start, 'T')}"
    if event.city:
        place = ", ".join(p for p in (event.city, str(countries.name(event.country)) if event.country else "") if p)
    else:
        place = _("Online") if event.is_online else ""
    return {
        "title": event.title,
        "url": f"{listing_url}{event.slug}/",  # an event's page is below its listing's
        "when": when,
        "place": place,
        "organizer": event.organizer.name if event.organizer_id else "",
    }


def digest_message(subscription, search, events, total):
    listing = subscription.listing
    root, listing_url = addresses_of(listing)
    unsubscribe_url = root + reverse("events:subscription_unsubscribe", args=[subscription.token])
    title = heading(search, listing)
    context = {
        "language": subscription.language,
        "title": title,
        "conditions": conditions(search),
        "events": [event_lines(event, listing_url) for event in events],
        "total": total,
        "more": total - len(events),
        "listing_url": listing_url + (f"?{search.query_string}" if search.query_string else ""),
        # The same search, newest published first: the ones not listed in the email come first there.
        "more_url": f"{listing_url}?{urlencode([*((n, v) for n, v in search.params if n != 'sort'), ('sort', 'newest')])}",
        "unsubscribe_url": unsubscribe_url,
        "subject": _("New: %(title)s") % {"title": title},
    }
    # RFC 8058: mail clients show an "Unsubscribe" button that POSTs "List-Unsubscribe=One-Click" there.
    headers = {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return build_message("events/subscriptions/email/digest", context, subscription.email, headers)


def send_digest(subscription, now):
    """Email `subscription` its new events; "sent", "nothing new" or "invalid". Raises when the
    email cannot be sent (and then changes nothing)."""
    with translation.override(subscription.language):
        search = search_of(subscription)
        if search.errors:
            logger.warning(
                "Subscription %s not sent: its search no longer applies (%s)", subscription.pk, search.errors.as_text()
            )
            return "invalid"
        events, total = new_events(subscription, search, now)
        if not events:
            Subscription.objects.filter(pk=subscription.pk).update(sent_until=now)
            return "nothing new"
        message = digest_message(subscription, search, events, total)
    message.send()
    Subscription.objects.filter(pk=subscription.pk).update(sent_until=now)
    return "sent"


@task()
def deliver_digest(subscription_id, until, attempt=1):
    """Send one subscription its digest of the events published until `until` (ISO 8601: a task's
    arguments travel as JSON): "sent", "nothing new", "invalid", "gone" (unsubscribed since) or
    "retrying". Raises when its email was refused at the last try (the task then shows as failed,
    and the next run sends what it would have)."""
    with transaction.atomic():
        subscriptions = Subscription.objects.confirmed().select_for_update(of=("self",))
        subscription = subscriptions.select_related("listing", "organizer").filter(pk=subscription_id).first()
        if subscription is None:
            return "gone"
        try:
            return send_digest(subscription, dt.datetime.fromisoformat(until))
        except (smtplib.SMTPException, OSError) as error:
            again = send_again_later(deliver_digest, attempt, subscription_id, until)
            logger.warning(
                "Digest of subscription %s not sent, try %d: %s%s",
                subscription_id, attempt, type(error).__name__, "; tried again later" if again else "",
            )  # fmt: skip
            if again:
                return "retrying"
            raise


def send_digests(now=None):
    """Queue every confirmed subscription's digest (deliver_digest), and delete unconfirmed ones
    past their link's life. Returns the counts by outcome: "queued" for the tasks a worker will run,
    the others' outcomes when the task backend runs them at once ("failed": their email was refused)."""
    now = now or timezone.now()
    counts = dict.fromkeys(("sent", "nothing new", "invalid", "failed", "queued"), 0)
    counts["purged"] = purge_unconfirmed(now)
    for pk in Subscription.objects.confirmed().order_by("pk").values_list("pk", flat=True).iterator(chunk_size=2000):
        result = deliver_digest.enqueue(pk, now.isoformat())
        if result.status == TaskResultStatus.SUCCESSFUL:
            outcome = result.return_value
        else:
            outcome = "failed" if result.status == TaskResultStatus.FAILED else "queued"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
