"""Atom and RSS feeds of a listing's newest events, for feed readers: the listing's own filters
(`listing.search_events`, so `?organizer=`, `?topic=`, `?q=`... mean what they mean on the page),
newest published first, at most FEED_ITEMS. Written by django.contrib.syndication.

Readers poll as calendar apps do, so a feed is reused like the calendar feed (`views.reused`, for
EVENTS_FEED_CACHE_SECONDS, keyed by the canonical parameters and made stale by any edit). Each entry's
id is a tag: URI made of the page's id, so it survives a new title, slug or host.
"""

import re

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django_countries import countries

from . import conf
from .listing import paginate_or_correct, search_events
from .models import EventPage
from .views import invalid_parameters, reused

FEED_ITEMS = 50

# What an entry shows of its event: not its description, sessions or tickets.
FEED_EVENTS = (
    EventPage.objects.only(
        *("title", "url_path", "path", "depth", "locale", "content_type", "summary"),
        *("first_published_at", "last_published_at", "organizer__name"),
    )
    .select_related("organizer")
    .prefetch_related("topics")
)

# What XML 1.0 cannot carry (the feed writer refuses it): typed into a search, or pasted into a title.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def text(value):
    return CONTROL_CHARACTERS.sub("", str(value))


def entry_id(event):
    """An id that never changes for the event (RFC 4151 tag: URI), whatever its address becomes."""
    return f"tag:{conf.get('EVENTS_UID_DOMAIN')},2026:event-{event.pk}"


def filters_in_words(search):
    """The filters a reader is told of in the feed's title: who, which topics, where, what words."""
    data = search.filterset.form.cleaned_data
    words = [data["organizer"].name] if data.get("organizer") else []
    words += [topic.name for topic in data.get("topic") or []]
    if city := (data.get("city") or "").strip():
        words.append(city)
    if data.get("country"):
        words.append(str(countries.name(data["country"])))
    if query := text(search.query).strip():
        words.append(_("“%(words)s”") % {"words": query})
    if data.get("near") is not None:
        words.append(_("near you"))
    return words


class EventsFeed(Feed):
    """The newest events of one search of one listing, as the request asked for them."""

    feed_type = Atom1Feed

    def __init__(self, request, listing, search, events):
        self.request, self.listing, self.search, self.events = request, listing, search, events

    def title(self):
        """The listing's heading, then its filters in words: "Events — Institute of Trauma Studies"."""
        words = filters_in_words(self.search)
        heading = str(self.listing.heading)
        return text(f"{heading} — {', '.join(words)}" if words else heading)

    def description(self):
        return _("New events, newest first.")

    subtitle = description  # (Atom's name for it)

    def link(self):
        query = self.search.query_string
        return self.request.build_absolute_uri(self.listing.get_url(self.request) + (f"?{query}" if query else ""))

    def feed_url(self):
        query = self.search.query_string
        return self.request.build_absolute_uri(self.request.path + (f"?{query}" if query else ""))

    feed_guid = feed_url

    def items(self):
        return self.events

    def item_title(self, event):
        return text(event.title)

    def item_description(self, event):
        return escape(text(event.summary))  # HTML, as both formats read it

    def item_link(self, event):
        return event.absolute_url(self.request)

    def item_guid(self, event):
        return entry_id(event)

    item_guid_is_permalink = False

    def item_author_name(self, event):
        return text(event.organizer.name) if event.organizer_id else None

    def item_categories(self, event):
        return [text(topic.name) for topic in event.topics.all()]

    def item_pubdate(self, event):
        return event.first_published_at

    def item_updateddate(self, event):
        return event.last_published_at


class RssEventsFeed(EventsFeed):
    feed_type = Rss201rev2Feed


FEEDS = {"atom": EventsFeed, "rss": RssEventsFeed}


def listing_feed(request, listing, kind):
    """The `feed/` (Atom) or `rss/` route of `listing`: its events for the request's filters, the
    newest FEED_ITEMS (whatever `sort` was asked); 400 with the reasons for parameters it cannot apply."""
    params = request.GET.copy()
    params["sort"] = "newest"
    search = search_events(params, listing.events())
    if search.errors:
        return invalid_parameters(search)

    def build():
        page, _correction = paginate_or_correct(search, 1, FEED_ITEMS, FEED_EVENTS)
        return FEEDS[kind](request, listing, search, page.object_list)(request)

    return reused(request, kind, search.query_string, conf.get("EVENTS_FEED_CACHE_SECONDS"), build)
