"""The events app's settings, with their defaults: the one place it reads django.conf.settings."""

from django.conf import settings

DEFAULTS = {
    # Events per page on the listing and in the JSON API.
    "EVENTS_PAGE_SIZE": 20,
    # Largest page a client may ask the JSON API for (?page_size=).
    "EVENTS_API_MAX_PAGE_SIZE": 100,
    # Default currency of a new event.
    "EVENTS_DEFAULT_CURRENCY": "USD",
    # The domain in calendar UIDs; it must never change once invites are out.
    "EVENTS_UID_DOMAIN": "events.invalid",
    # Seconds a listing page may be reused (0: never): its count of results (listing.py) and its
    # rendered filter form and result cards (event_index_page.html). Saving or deleting a page,
    # organizer, topic or venue makes them stale at once (signals.py), so this bounds only how late
    # an event that just ended leaves the listing.
    "EVENTS_LISTING_CACHE_SECONDS": 60,
    # Seconds an event page's content (all but its registration box, which is always live), and the
    # event page an address leads to (routing.py), may be reused; edits make them stale at once, as
    # for listings. 0: never.
    "EVENTS_PAGE_CACHE_SECONDS": 300,
    # Seconds the site and the pages above the events (home page, listings) an address leads to, and
    # which view restrictions apply to them, may be reused (routing.py); edits make them stale at
    # once. The same for every search and every event: a listing nobody asked for before still
    # finds its page in memory. 0: never.
    "EVENTS_ROUTING_CACHE_SECONDS": 300,
    # The cache (an alias of CACHES) for the sites, pages and view restrictions found by address
    # (routing.py). Its keys hold the content version kept in the default cache, so a cache in each
    # process's own memory is safe, and the fastest.
    "EVENTS_ROUTING_CACHE": "default",
    # Seconds a calendar, Atom or RSS feed (/events/ical/?..., feed/, rss/) may be served from the
    # cache (0: never); edits make it stale at once too.
    "EVENTS_FEED_CACHE_SECONDS": 300,
    # Seconds a listing's rendered result card may be kept for the next listing that shows the same
    # event (cards.py). It is kept under the digest of all it shows, so it is never stale; this only
    # bounds how long unused cards take room in the cache. 0: rendered each time.
    "EVENTS_CARD_CACHE_SECONDS": 24 * 60 * 60,
    # HTTP caching of the public pages (http_cache.py): event pages, listings, their feeds, the JSON
    # API. Seconds a browser may reuse one (max-age; browsers are never purged, so keep it short),
    # and a shared cache, a CDN or Varnish, may (s-maxage; edits purge it, purge.py, so it only
    # bounds how late an event that just ended leaves a listing). 0 or None as EVENTS_HTTP_S_MAXAGE:
    # nothing is marked public (every response is `private, no-cache`).
    "EVENTS_HTTP_MAX_AGE": 60,
    "EVENTS_HTTP_S_MAXAGE": 600,
    # Seconds a PURGE request to the front-end cache may take (purge.HTTPBackend); a cache that does
    # not answer in time is logged, never an error for the editor who published.
    "EVENTS_PURGE_TIMEOUT": 2,
    # The database alias (of DATABASES) that events.routers.ListingReplicaRouter reads the listing
    # from, when DATABASES has it and DATABASE_ROUTERS names the router; and for how many seconds
    # after any change of published content the listing is read from the primary instead (more
    # than the replica's worst replay lag: a listing read from a lagging replica would be cached,
    # by the server and at the edge, as the new version).
    "EVENTS_REPLICA_DATABASE": "replica",
    "EVENTS_REPLICA_LAG_SECONDS": 10,
    # Dotted path of a function(event) -> {ticket type pk: seats left, None for no limit}, from the
    # app that sells seats; search engines are then told which tickets are sold out (structured_data.py).
    # None: the events app does not know.
    "EVENTS_SEATS_LEFT": None,
    # The public address (scheme, host, port) of links in emails and calendars for an event page
    # that is under no Wagtail Site; every other event's links use its own Site's root URL
    # (Settings > Sites). "": WAGTAILADMIN_BASE_URL, else http://localhost.
    "EVENTS_BASE_URL": "",
    # PostgreSQL's text search configuration for events in each language (stemming, stop words):
    # "seminars" finds "seminar". Another language is searched word for word ("simple"). After a
    # change, `manage.py rebuild_listing` indexes the events again.
    "EVENTS_SEARCH_CONFIGS": {
        "en": "english",
        "es": "spanish",
        "fr": "french",
        "de": "german",
        "pt": "portuguese",
        "it": "italian",
        "nl": "dutch",
    },
    # Results counted exactly up to this many; beyond, "1,000+" (counting every match of a broad
    # search costs more than the page itself). Page numbers go as far; the JSON API's `next` links
    # go on past it.
    "EVENTS_COUNT_LIMIT": 1000,
    # A search near a place (`near=<lat>,<lng>`, nearby.py) lists the events within this many km of
    # it when it gives no `radius`.
    "EVENTS_NEAR_RADIUS_KM": 50,
    # The largest `radius` (km) a search may ask for: the bounding box it reads grows with its square.
    "EVENTS_NEAR_MAX_RADIUS_KM": 500,
    # Days a subscription's confirmation link works (subscriptions.py); unconfirmed subscriptions
    # older than that are deleted by `manage.py send_event_digests`.
    "EVENTS_SUBSCRIPTION_CONFIRM_DAYS": 7,
    # Events listed in one digest email; more are summed up as "and N more", linking to the listing.
    "EVENTS_DIGEST_MAX_EVENTS": 20,
    # The maps (maps.py): the listing's map of its results, the event page's pin, the venue editor's.
    # A Leaflet tile URL template ({z}/{x}/{y}, optionally {s} and {r}); the visitor's browser
    # fetches the tiles from it, the only thing any page loads from elsewhere (the site's
    # Content-Security-Policy allows its host for images). Follow the tile server's usage policy:
    # OpenStreetMap's own tiles are for light use only. None: no maps anywhere.
    "EVENTS_MAP_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    # The tiles' attribution, HTML shown in the map's corner (the tile server's licence requires it).
    "EVENTS_MAP_ATTRIBUTION": '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    # A Nominatim-compatible search service (its address without /search, such as
    # "https://nominatim.openstreetmap.org") for the venue editor's "Look up from address" button;
    # the server asks it, never the editor's browser. None: no button.
    "EVENTS_GEOCODER_URL": None,
    # Seconds the server waits for the geocoder before telling the editor it did not answer.
    "EVENTS_GEOCODER_TIMEOUT": 5,
}


def get(name):
    return getattr(settings, name, DEFAULTS[name])


def fallback_root_url():
    """The public address of a page under no Wagtail Site (EVENTS_BASE_URL), without the final slash."""
    return (get("EVENTS_BASE_URL") or getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "http://localhost").rstrip("/")
