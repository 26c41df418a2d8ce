"""Following an organizer or a saved search by email: what a subscription follows, in words;
subscribing (confirmed by a link emailed to the address), confirming and unsubscribing. The weekly
digest itself is digests.py; the pages are subscription_views.py.

What is followed is saved canonically: the listing's own parameters as `listing.search_events`
validated and wrote them (`EventSearch.params`), without those that only say how to show results
(order, page, cursor, past events). A search of nothing but one organizer is a subscription to that
organizer, kept by its row rather than its slug, so a renamed organizer is still followed.

Nothing here says whether an address was already subscribed: the answer to a visitor is the same
either way, and a confirmed address is not emailed again. An unconfirmed one is sent its
confirmation again, at most once per CONFIRMATION_RESEND_AFTER (so a form cannot be used to flood
someone's inbox; nor more than CONFIRMATIONS_PER_ADDRESS_PER_DAY unanswered ones to one address),
and its link expires after EVENTS_SUBSCRIPTION_CONFIRM_DAYS.
"""

import datetime as dt
import logging
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import QueryDict
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django_countries import countries

from . import conf
from .listing import search_events
from .mail import build_message, one_line
from .models import Subscription

logger = logging.getLogger(__name__)

# Parameters that say how to show the results, not which: never saved.
NOT_SAVED = {"sort", "after", "past", "exact", "page", "page_size"}
# The filters named in the heading ("Events in Boston about Trauma"); the others are listed below it.
IN_HEADING = {"q", "city", "country", "topic", "organizer"}
CONFIRMATION_RESEND_AFTER = dt.timedelta(minutes=15)
# At most this many confirmations awaiting an answer go to one address a day, whatever is asked
# for and from however many places: the form cannot be used to flood someone's inbox.
CONFIRMATIONS_PER_ADDRESS_PER_DAY = 5


def saved_params(search):
    return [(name, value) for name, value in search.params if name not in NOT_SAVED]


def target_of(search):
    """(kind, organizer, query) of what a subscription to `search` follows."""
    params = saved_params(search)
    if [name for name, _value in params] == ["organizer"]:
        return Subscription.Kind.ORGANIZER, search.filterset.form.cleaned_data["organizer"], ""
    return Subscription.Kind.SEARCH, None, urlencode(params)


def query_of(subscription):
    """The listing's query string of what `subscription` follows."""
    if subscription.kind == Subscription.Kind.ORGANIZER:
        return urlencode({"organizer": subscription.organizer.slug})
    return subscription.query


def search_of(subscription, queryset=None):
    """The listing's search of what `subscription` follows (listing.search_events)."""
    listing = subscription.listing
    return search_events(QueryDict(query_of(subscription)), listing.events() if queryset is None else queryset)


def heading(search, listing):
    """What is followed, in one line: "Events in Boston about Trauma", "Events by Alliance Institute"."""
    data = search.filterset.form.cleaned_data
    parts = []
    place = ", ".join(
        p
        for p in ((data.get("city") or "").strip(), str(countries.name(data["country"])) if data.get("country") else "")
        if p
    )
    if place:
        parts.append(_("in %(place)s") % {"place": place})
    if topics := [topic.name for topic in data.get("topic") or []]:
        parts.append(_("about %(topics)s") % {"topics": get_text_list(topics, _("or"))})
    if data.get("organizer"):
        parts.append(_("by %(organizer)s") % {"organizer": data["organizer"].name})
    if search.query:
        parts.append(_("matching “%(words)s”") % {"words": search.query})
    return one_line(" ".join([str(listing.heading), *parts]))


def conditions(search):
    """The other filters of `search`, each in words ("Format: Online (includes hybrid)")."""
    form, lines = search.filterset.form, []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name) if name not in form.errors else None
        if name in IN_HEADING or name in NOT_SAVED or value is None or value is False or value == "":
            continue
        if value is True:
            lines.append(str(field.label))
            continue
        if isinstance(value, dt.date):
            shown = formats.date_format(value, "DATE_FORMAT")
        elif choices := getattr(field, "choices", None):
            shown = str(dict(choices).get(value, value))
        else:
            shown = formats.localize(value)
        lines.append(f"{field.label}: {shown}")
    return lines


def normalised(email):
    return email.strip().lower()


def confirmation_expires(subscription):
    return subscription.confirmation_sent_at + dt.timedelta(days=conf.get("EVENTS_SUBSCRIPTION_CONFIRM_DAYS"))


def subscribe(email, listing, search, language, base_url, now=None):
    """Subscribe `email` to what `search` of `listing` finds, in `language`, and email it the
    confirmation link (on `base_url`, the host it was asked on). Returns the subscription."""
    now = now or timezone.now()
    kind, organizer, query = target_of(search)
    target = {"email": normalised(email), "listing": listing, "kind": kind, "organizer": organizer, "query": query}
    try:
        with transaction.atomic():
            subscription, created = Subscription.objects.get_or_create(**target, defaults={"language": language})
    except IntegrityError:  # the same address asked twice at once
        subscription, created = Subscription.objects.get(**target), False
    if subscription.is_confirmed:
        return subscription
    if not created:
        recently = (
            subscription.confirmation_sent_at and now - subscription.confirmation_sent_at < CONFIRMATION_RESEND_AFTER
        )
        if recently:
            return subscription
        subscription.language = language
        subscription.save(update_fields=["language"])
    if unanswered_today(subscription.email, now) >= CONFIRMATIONS_PER_ADDRESS_PER_DAY:
        logger.warning(
            "Confirmation of subscription %s not sent: too many unanswered ones to its address", subscription.pk
        )
        return subscription
    send_confirmation(subscription, base_url, now)
    return subscription


def unanswered_today(email, now):
    since = now - dt.timedelta(days=1)
    return Subscription.objects.unconfirmed().filter(email=email, confirmation_sent_at__gt=since).count()


def send_confirmation(subscription, base_url, now):
    with translation.override(subscription.language):
        search = search_of(subscription)
        title = heading(search, subscription.listing)
        context = {
            "language": subscription.language,
            "title": title,
            "conditions": conditions(search),
            "confirm_url": base_url + reverse("events:subscription_confirm", args=[subscription.confirm_token]),
            "days": conf.get("EVENTS_SUBSCRIPTION_CONFIRM_DAYS"),
        }
        context["subject"] = _("Confirm your email updates: %(title)s") % {"title": title}
        message = build_message("events/subscriptions/email/confirm", context, subscription.email)
    try:
        message.send()
    except Exception:  # the visitor is told the same; asking again later sends it again
        logger.exception("Could not email the confirmation of subscription %s", subscription.pk)
        return False
    Subscription.objects.filter(pk=subscription.pk).update(confirmation_sent_at=now)
    return True


def pending_confirmation(token, now=None):
    """The unconfirmed subscription whose confirmation link carries `token` and has not expired, or None."""
    now = now or timezone.now()
    subscription = (
        Subscription.objects.unconfirmed()
        .select_related("listing", "organizer")
        .filter(confirm_token=token, confirmation_sent_at__isnull=False)
        .first()
    )
    if subscription is None or confirmation_expires(subscription) < now:
        return None
    return subscription


def confirm(subscription, now=None):
    """From now on `subscription` gets digests of the events published from now on; its link is used up."""
    now = now or timezone.now()
    updated = Subscription.objects.filter(pk=subscription.pk, confirmed_at__isnull=True).update(
        confirmed_at=now, sent_until=now, confirm_token=None
    )
    return bool(updated)


def by_token(token):
    return Subscription.objects.select_related("listing", "organizer").filter(token=token).first()


def unsubscribe(subscription):
    """The address is forgotten with the subscription: nothing is kept of it."""
    subscription.delete()


def purge_unconfirmed(now=None):
    """Delete subscriptions never confirmed whose link has expired (or was never sent); returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=conf.get("EVENTS_SUBSCRIPTION_CONFIRM_DAYS"))
    stale = Subscription.objects.unconfirmed().filter(
        Q(confirmation_sent_at__lt=cutoff) | Q(confirmation_sent_at__isnull=True, created_at__lt=cutoff)
    )
    deleted, _by_model = stale.delete()
    return deleted


def unsubscribe_url(subscription, base_url):
    return base_url + reverse("events:subscription_unsubscribe", args=[subscription.token])
