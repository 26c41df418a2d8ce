"""Purging a front-end cache (CDN, Varnish) of exactly what an edit changes, through Wagtail's
front-end cache invalidation (`wagtail.contrib.frontend_cache`: the WAGTAILFRONTENDCACHE setting,
its backends and its purge task).

What shows an event (`event_urls`): its page and calendar (`EventPage.get_cached_paths`), in each
translation; the listing it is under with the listing's feeds (`EventIndexPage.get_cached_paths`);
the JSON API and autocomplete, on each Site concerned; the site's pages that show events from every
listing (http_cache.ShowsEvents: a home page's next events). A listing or API address with a query
string cannot be listed: each address is purged without one, and the edge treats the PURGE of a
path as a ban of that path with any query string (deploy/varnish.vcl; a CDN by its own means).

When: publishing, unpublishing, moving (old and new addresses) or deleting an event or listing; a
view restriction added or removed; a venue, organizer or topic saved or deleted (its events, and
every listing: their filters name them); an event selling out or no longer sold out (its card's
badge, its JSON-LD; `purge_event`, called by the app that sells seats). A seat sold purges nothing:
the page shows no seats, its Register box comes live (http_cache.py).

Addresses are worked out while the rows are as they were (before a move or a deletion), and sent
once the transaction commits, so that no request can put the old version back in the cache in
between; a purge that fails is logged and never fails the editor's publish (`robust`, and
`HTTPBackend` below). With no WAGTAILFRONTENDCACHE nothing is worked out or sent. Leave
`wagtail.contrib.frontend_cache` out of INSTALLED_APPS: its own handlers purge a published page's
paths at once, inside the transaction (harmless, as this module purges again after commit).
"""

import http.client
import logging
from urllib.parse import urlsplit, urlunsplit
from urllib.request import ProxyHandler, Request, build_opener

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse
from wagtail import __version__ as wagtail_version
from wagtail.contrib.frontend_cache.backends import HTTPBackend as WagtailHTTPBackend
from wagtail.contrib.frontend_cache.utils import get_backends, purge_urls_from_cache
from wagtail.models import Page, PageViewRestriction, get_page_models
from wagtail.signals import page_published, page_unpublished, post_page_move, pre_page_move

from . import conf
from .http_cache import ShowsEvents
from .models import EventIndexPage, EventPage, Organizer, Topic, Venue

log = logging.getLogger(__name__)

API_ROUTES = ("api_events", "api_events_suggest")


def configured():
    return bool(get_backends())


def pages_of(page):
    """The page in each of its translations (one, without Wagtail's internationalisation)."""
    if getattr(settings, "WAGTAIL_I18N_ENABLED", False):
        return list(page.get_translations(inclusive=True).live().specific())
    return [page]


def paths_of(page):
    url = page.get_full_url()
    return {url + path.lstrip("/") for path in page.get_cached_paths()} if url else set()


def api_urls(page):
    """The API's addresses on the Site that serves `page`."""
    url = page.get_full_url()
    if not url:
        return set()
    scheme, netloc, *_ = urlsplit(url)
    found = set()
    for name in API_ROUTES:
        try:
            found.add(urlunsplit((scheme, netloc, reverse(name), "", "")))
        except NoReverseMatch:  # a site without the API
            continue
    return found


def listing_urls(listing):
    return {url for page in pages_of(listing) for url in paths_of(page) | api_urls(page)}


def showing_events():
    """The addresses of the live pages that show events from every listing (http_cache.ShowsEvents)."""
    models = [model for model in get_page_models() if issubclass(model, ShowsEvents)]
    return {url for model in models for page in model.objects.live() for url in paths_of(page)}


def event_urls(event):
    urls = showing_events()
    for page in pages_of(event):
        urls |= paths_of(page)
        parent = page.get_parent().specific
        urls |= listing_urls(parent) if isinstance(parent, EventIndexPage) else api_urls(page)
    return urls


def urls_under(page):
    """What shows `page` and the events and listings below it."""
    page = page.specific
    urls = event_urls(page) if isinstance(page, EventPage) else set()
    for listing in EventIndexPage.objects.descendant_of(page, inclusive=True).live():
        urls |= listing_urls(listing)
    for event in EventPage.objects.descendant_of(page, inclusive=True).live():
        urls |= paths_of(event)
    if urls or isinstance(page, ShowsEvents):
        urls |= showing_events()
    return urls


def purge_on_commit(urls):
    """Send the purge of `urls` once the transaction commits (at once outside one)."""
    if urls:
        transaction.on_commit(lambda: purge_urls_from_cache(sorted(urls)), robust=True)


def purge_event(event):
    """Purge what shows `event` (for another app's change of what it shows, such as sold out)."""
    if configured():
        purge_on_commit(event_urls(event))


def purge_page(page):
    if not configured():
        return
    page = page.specific
    if isinstance(page, EventPage):
        purge_on_commit(event_urls(page))
    elif isinstance(page, EventIndexPage):
        purge_on_commit(listing_urls(page))
    elif isinstance(page, ShowsEvents):
        purge_on_commit({url for translation in pages_of(page) for url in paths_of(translation)})


def every_listing():
    """What shows the events of every listing: the listings, and the pages that show events."""
    return {url for listing in EventIndexPage.objects.live() for url in listing_urls(listing)} | showing_events()


# -- when -----------------------------------------------------------------------------------------


@receiver(page_published)
@receiver(page_unpublished)
def purge_published_page(sender, instance, **kwargs):
    purge_page(instance)


@receiver(pre_page_move)
@receiver(post_page_move)
def purge_moved_page(sender, instance, **kwargs):
    """Before the move, what showed the page where it was; after it, where it is now."""
    if configured():
        purge_on_commit(urls_under(Page.objects.get(pk=instance.pk)))


@receiver(pre_delete)
def purge_deleted_page(sender, instance, **kwargs):
    if isinstance(instance, EventPage | EventIndexPage | ShowsEvents) and instance.live:
        purge_page(instance)


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
def purge_restricted_pages(sender, instance, raw=False, **kwargs):
    if configured() and not raw:
        page = Page.objects.filter(pk=instance.page_id).first()
        if page is not None:
            purge_on_commit(urls_under(page))


@receiver(post_save, sender=Venue)
@receiver(post_save, sender=Organizer)
@receiver(post_save, sender=Topic)
@receiver(pre_delete, sender=Topic)
def purge_events_naming(sender, instance, raw=False, **kwargs):
    """A venue's, organizer's or topic's events show its name (their pages, cards); every listing
    offers it in its filters. (Venues and organizers with events cannot be deleted.)"""
    if not configured() or raw:
        return
    urls = set()
    for event in instance.events.live():
        urls |= paths_of(event)
    purge_on_commit(urls | every_listing())


# -- how ------------------------------------------------------------------------------------------


class HTTPBackend(WagtailHTTPBackend):
    """Wagtail's HTTP backend (a PURGE request per address, to LOCATION with the address's Host),
    with a time limit (TIMEOUT, else EVENTS_PURGE_TIMEOUT seconds) and no proxy, and never an
    error: a cache that fails is logged, and the rest of the batch is not sent (each would wait
    as long). Wagtail's own waits without limit for a cache that does not answer."""

    def __init__(self, params):
        params = dict(params)
        self.timeout = params.pop("TIMEOUT", None) or conf.get("EVENTS_PURGE_TIMEOUT")
        super().__init__(params)
        self.opener = build_opener(ProxyHandler({}))

    def purge_batch(self, urls):
        urls = list(urls)
        for sent, url in enumerate(urls):
            if not self.purge(url):
                if len(urls) > sent + 1:
                    log.error("Front-end cache purge stopped: %d addresses not purged", len(urls) - sent - 1)
                return

    def purge(self, url):
        parts = urlsplit(url)
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        request = Request(
            urlunsplit((self.cache_scheme, self.cache_netloc, parts.path, parts.query, "")),
            headers={"Host": host, "User-Agent": "Wagtail-frontendcache/" + wagtail_version},
            method="PURGE",
        )
        try:
            with self.opener.open(request, timeout=self.timeout):  # noqa: S310 (LOCATION is the deployer's)
                return True
        except (OSError, http.client.HTTPException, ValueError) as error:
            log.error("Could not purge %s from the front-end cache: %s", url, error)
            return False
