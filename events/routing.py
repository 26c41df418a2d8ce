"""Finding the page of an address in as few queries as Wagtail allows.

Wagtail finds a page by looking up the request's Site, then at each level of the address the child
page and then its specific type: two queries a level, half of a cached event page's time. Here the
Site, each page as its own type, and which view restrictions apply to a page are kept in the
EVENTS_ROUTING_CACHE (best: each process's own memory) under the content version (caching.py) that
the shared cache holds: the Site and the pages above the events (home, listings) for
EVENTS_ROUTING_CACHE_SECONDS, an event page with what it shows for EVENTS_PAGE_CACHE_SECONDS. The
first are the same for every search of a listing; an event is one of a long tail, so it is kept as
long as the rest of its page. Every save or deletion of a page, a site
or a view restriction changes that version (signals.py), so no process serves what another one has
changed. What Wagtail checks at each request stays live: a page's `live` flag and the restrictions
themselves.
"""

import hashlib
import time

from django.core.cache import caches
from django.db import connections
from django.utils.translation import get_language
from wagtail.models import PageViewRestriction, Site

from . import conf
from .caching import content_version, may_cache


def cached(name, fetch, setting="EVENTS_ROUTING_CACHE_SECONDS"):
    """`fetch()`, kept for the seconds of `setting` under this content version (None is not kept);
    a preview neither reads nor keeps anything (caching.may_cache)."""
    seconds = conf.get(setting)
    if not seconds or not may_cache():
        return fetch()
    key = f"events:route:{content_version()}:{hashlib.sha256(name.encode()).hexdigest()}"
    cache = caches[conf.get("EVENTS_ROUTING_CACHE")]
    value = cache.get(key)
    if value is None:
        value = fetch()
        if value is not None:
            cache.set(key, value, seconds)
    return value


# What `held` keeps: (content version, {name: (expiry, value)}), this process's own. One tuple, so
# a thread never puts a value of one version among another's.
_held = [(None, {})]


def held(name, fetch, setting="EVENTS_ROUTING_CACHE_SECONDS"):
    """As `cached`, for values nobody changes once made (tuples of strings, say): kept as they are
    in this process's memory, so a use costs a dictionary lookup, not a copy out of a cache. Only
    the current content version's are kept: the next version starts afresh."""
    seconds = conf.get(setting)
    if not seconds or not may_cache():
        return fetch()
    version, now = content_version(), time.monotonic()
    kept_version, values = _held[0]
    if kept_version != version:
        values = {}
        _held[0] = (version, values)
    kept = values.get(name)
    if kept is not None and kept[0] > now:
        return kept[1]
    value = fetch()
    if value is not None:
        values[name] = (now + seconds, value)
    return value


def kept_row(model, pk):
    """The row of `model` of `pk` (a venue or an organizer, which many events share), kept as
    `cached` keeps pages: each use gets its own copy; None when there is none."""
    return cached(f"row:{model._meta.label}:{pk}", lambda: model.objects.filter(pk=pk).first())


class CachedRouting:
    """For a page type: its child of an address (when `subpage_types` names one type) and which
    view restrictions apply to it, from the cache or, for the child, from one query as its own type.
    Anything else (no such child, say) goes through Wagtail's own routing."""

    # How long this page's children, and this page's own view restrictions, are kept (a setting).
    children_cache_setting = "EVENTS_ROUTING_CACHE_SECONDS"
    cache_setting = "EVENTS_ROUTING_CACHE_SECONDS"

    def route(self, request, path_components):
        if path_components and len(child_models := self.clean_subpage_models()) == 1:
            model, slug = child_models[0], path_components[0]
            child = cached(f"page:{self.pk}:{slug}", lambda: self.child(model, slug), self.children_cache_setting)
            if child is not None:
                child._cached_parent_obj = self  # as Wagtail does: get_parent() needs no query
                return child.route(request, path_components[1:])
        return super().route(request, path_components)

    def child(self, model, slug):
        """The child of `slug`, or None, by a query written once a process (ChildQuery)."""
        key = (type(self), self.pk, self.path, model)  # (a moved page asks anew)
        if key not in _child_queries:
            _child_queries[key] = ChildQuery(self.children(model))
        return _child_queries[key].fetch(slug)

    def children(self, model):
        """The children to route to, with what serving them needs (kept in the cache with them):
        as `child_of`, without its redundant conditions and ordering."""
        return model.objects.filter(path__startswith=self.path, depth=self.depth + 1).order_by()

    def get_url_parts(self, request=None):
        """Wagtail's, worked out once per request for each page and language: an event page asks
        for its own address a few times (its links, JSON-LD, calendar links, the Register box), and
        each answer reverses a URL. It depends only on the page's url_path, the request's Site and
        the language."""
        if request is None:
            return super().get_url_parts(request)
        known = getattr(request, "_events_url_parts", None)
        if known is None:
            known = request._events_url_parts = {}
        key = (self.url_path, get_language())
        if key not in known:
            known[key] = super().get_url_parts(request)
        return known[key]

    def _get_site_root_paths(self, cache_object=None, **kwargs):
        """Wagtail's, for an address asked for without a request (`page.url` in a template): from
        this process's memory, as for a request (remember_site), not from the shared cache."""
        if cache_object is None and not kwargs:
            return held("site-root-paths", Site.get_site_root_paths)
        return super()._get_site_root_paths(cache_object, **kwargs)

    def get_view_restrictions(self):
        """Wagtail's (this page's and its ancestors'), without a query when there are none: on most
        sites there are none at all, and that is known once for every page."""
        restrictions = super().get_view_restrictions
        if cached("any-restrictions", PageViewRestriction.objects.exists):
            ids = cached(
                f"restrictions:{self.pk}",
                lambda: list(restrictions().values_list("pk", flat=True)),
                self.cache_setting,
            )
            if ids:
                return PageViewRestriction.objects.filter(pk__in=ids)
        return PageViewRestriction.objects.none()


# {(page type, pk, path, child type): ChildQuery}, this process's own.
_child_queries = {}


class ChildQuery:
    """The query of a page's child by its slug (`children` filtered by slug; no ORDER BY: a slug is
    unique among siblings), compiled once: compiling it anew at each visit to an event cost as much
    as the query itself, and only the slug changes from one visit to the next. Its row is made an
    instance as Django's ModelIterable makes one (the model's columns, then the annotations), each
    value through its field's conversions, worked out once here too (Django's `raw` worked them out
    at each visit, by name: a millisecond for a page's 70-odd columns)."""

    SLUG = "events:routing:slug"  # stands for the slug while the query is written

    def __init__(self, children):
        queryset = children.filter(slug=self.SLUG)[:1]
        compiler = queryset.query.get_compiler(queryset.db)
        self.sql, self.params = compiler.as_sql()
        self.at = self.params.index(self.SLUG)
        self.model, self.db = queryset.model, queryset.db
        fields = compiler.klass_info["select_fields"]
        self.model_columns = slice(fields[0], fields[-1] + 1)
        self.names = [column.target.attname for column, _sql, _alias in compiler.select[self.model_columns]]
        self.annotations = list(compiler.annotation_col_map.items())
        self.converters = list(compiler.get_converters([column for column, _sql, _alias in compiler.select]).items())

    def fetch(self, slug):
        """The child of `slug`, or None."""
        connection = connections[self.db]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [*self.params[: self.at], slug, *self.params[self.at + 1 :]])
            row = cursor.fetchone()
        if row is None:
            return None
        row = converted(row, self.converters, connection)
        child = self.model.from_db(self.db, self.names, row[self.model_columns])
        for name, position in self.annotations:
            setattr(child, name, row[position])
        return child


def converted(row, converters, connection):
    """A row of a compiled query as a list, each value through its field's conversions
    (`converters`: the items of the compiler's `get_converters`), as Django's iterables convert them."""
    row = list(row)
    for position, (functions, expression) in converters:
        for function in functions:
            row[position] = function(row[position], expression, connection)
    return row


def site_with_root(request):
    site = Site.find_for_request(request)
    if site is not None:
        site.root_page.specific  # noqa: B018 (fetched now, so it is kept in the cache with the site)
    return site


def remember_site(request):
    """Set the request's Wagtail Site (`Site.find_for_request` takes `request._wagtail_site`) from
    the cache, and the sites' root paths that every page address is worked out from (Wagtail keeps
    them in the shared cache, read once a request: here from this process's memory). get_host()
    refuses (400) a host that ALLOWED_HOSTS does not accept."""
    key = f"site:{request.get_host()}:{request.get_port()}"
    request._wagtail_site = cached(key, lambda: site_with_root(request))
    request._wagtail_cached_site_root_paths = held("site-root-paths", Site.get_site_root_paths)


class CachedSiteMiddleware:
    """For a request that Wagtail serves, its Site, with the root page as its own type, from the
    cache (Wagtail's `Site.find_for_request` takes `request._wagtail_site` when it is set). Only for
    a host that ALLOWED_HOSTS accepts, so a stranger's Host header adds nothing to the cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from wagtail.views import serve  # (not at import: this module is imported by models)

        if view_func is serve:
            remember_site(request)
        return None
