"""A listing's result cards, each rendered once per event and language and then reused by every
listing that shows it, as calendar entries are by every feed (ical.py).

Twenty cards were most of the cost of a listing that is not in the cache: the long tail of searches
each asks for a new combination of the same events. A card is kept under the digest of what it is
made of, read with the page's ids from the listing rows (listing.CARD_FACTS): the event's listed
facts (title, times, place, prices, organizer and topic names; near a place, its distance), whether
it is sold out, when it was last published, its address (its slug under the listing's), the language
and its words, and the card template's own source (a site may override it). Any change gives another key, so a kept card is
never stale and nothing needs invalidating; `EVENTS_CARD_CACHE_SECONDS` only bounds how long unused
cards take up room. A card that shows more than those facts (an override showing the venue's
street, say) changes with them when the event is published again; set the setting to 0 if that is
not enough. Only the cards not kept fetch their pages. A preview renders every card afresh and
keeps none (caching.may_cache).
"""

import functools
import hashlib
import json

from django.core.cache import cache
from django.template.loader import get_template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from events import conf
from events.caching import may_cache

TEMPLATE = "events/includes/event_card.html"
# The words the stock card translates: a new catalogue gives other cards.
WORDS = ("Sold out", "Online", "and online", "Free", "From", "%(hours)s CE hours", "your time:")


@functools.cache
def template_digest(name):
    """The digest of the card template in use (the site's override, if any); read once a process,
    as Django's cached template loader does."""
    return hashlib.sha256(get_template(name).template.source.encode()).hexdigest()


def render_cards(context, events):
    """The HTML of `events`' cards, in order, rendered in `context` (the listing's). `events` is a
    listing's PageEvents, whose rows say what each card shows, or any list of events (rendered)."""
    template = get_template(TEMPLATE).template
    request, listing = context.get("request"), context.get("page")
    seconds = conf.get("EVENTS_CARD_CACHE_SECONDS")
    rows = getattr(events, "rows", None)
    if rows is None or request is None or not seconds or not may_cache(request):
        return mark_safe("".join(render(template, context, event) for event in events))
    # What is the same for every card: the template, the language and its words, the address the
    # cards' links are relative to, and the listing's own address (each card's is its slug under
    # it), hashed once.
    common = hashlib.sha256(json.dumps([
        template_digest(TEMPLATE), get_language(), [gettext(word) for word in WORDS], request.get_host(),
        listing.url if listing is not None else "",
    ]).encode())  # fmt: skip
    keys = [card_key(common, row) for row in rows]
    kept = cache.get_many(keys)
    missing = [row["page_id"] for row, key in zip(rows, keys, strict=True) if key not in kept]
    made = {}
    if missing:
        fetched = {event.pk: event for event in events.fetch(missing)}
        made = {
            key: render(template, context, fetched[row["page_id"]])
            for row, key in zip(rows, keys, strict=True)
            if row["page_id"] in fetched
        }
        cache.set_many(made, seconds)
    return mark_safe("".join(kept.get(key) or made.get(key, "") for key in keys))


def card_key(common, row):
    """The key of the card of `row` (its facts by name: strings, numbers, None and moments) after
    what is `common` to every card (a sha256 of it, hashed once for a page), as ical.entry_digest
    writes an entry's: with `repr`, in half the time of `json.dumps` with a default for moments."""
    digest = common.copy()
    digest.update(repr(row).encode())
    return "events:card:" + digest.hexdigest()


def render(template, context, event):
    with context.push(event=event):
        return template.render(context)
