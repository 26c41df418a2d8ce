"""The one place that turns a query string into a filtered, searched, sorted list of events.

The listing page, the JSON API and the calendar feed all call `search_events`. Filters run in the
database first (each filtered column is also a FilterField, so a search backend such as OpenSearch
can apply them too); the text query then searches within what the filters kept.

What the three callers cache is keyed by `EventSearch.params`: the validated parameters, canonical (unknown
ones dropped, values written one way, in one order), so `?junk=1` or the same filters in another
order are the same entry, and a client cannot make a new entry by changing nothing.

Formats: an event's format says how it can be attended, so `format=online` lists hybrid events too
(they can be attended online), and so does `format=in_person`; `format=hybrid` lists only hybrid
ones.

Relevance: title matches come first (most query words in the title first), then soonest. The
database search backends rank by their own scores, and SQLite's ignores field boosts, so an event
whose organizer's name matched could outrank the one titled with the words; the order is therefore
set in the query itself, the same on SQLite and PostgreSQL. A backend that cannot order by an
expression (OpenSearch) ranks by its scores, which honour the title's boost.
"""

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Model, QuerySet, Value, When, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from . import conf
from .caching import content_version, may_cache
from .fields import language_choices
from .inputs import parse_int
from .models import EventPage, Organizer, Topic
from .widgets import QuickCheckboxes, QuickSelect

SORTS = {
    "soonest": ("start", "id"),
    "newest": ("-first_published_at", "-id"),
    "relevance": ("start", "id"),  # the order within equal relevance, and without a query
}
FORMATS = [
    ("in_person", _("In person (includes hybrid)")),
    ("online", _("Online (includes hybrid)")),
    ("hybrid", _("Hybrid")),
]
ATTENDED_AS = {
    "in_person": (EventPage.Format.IN_PERSON, EventPage.Format.HYBRID),
    "online": (EventPage.Format.ONLINE, EventPage.Format.HYBRID),
    "hybrid": (EventPage.Format.HYBRID,),
}
MAX_TITLE_TERMS = 8
PRESETS = [
    ("today", _("Today")),
    ("this_week", _("This week")),
    ("this_weekend", _("This weekend")),
    ("this_month", _("This month")),
    ("next_month", _("Next month")),
]


def preset_range(preset, today):
    """First and last local date of a preset, counted from `today`."""
    if preset == "today":
        return today, today
    if preset == "this_week":
        return today, today + dt.timedelta(days=6 - today.weekday())
    if preset == "this_weekend":
        saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7) if today.weekday() < 5 else today
        return saturday, today + dt.timedelta(days=6 - today.weekday())
    first_of_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    if preset == "this_month":
        return today, first_of_next - dt.timedelta(days=1)
    return first_of_next, (first_of_next + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


class EventFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        return data


class EventFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="keep", max_length=200)
    start = django_filters.DateFilter(
        label=_("From"), field_name="local_end_date", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = django_filters.DateFilter(
        label=_("Until"),
        field_name="local_start_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    when = django_filters.ChoiceFilter(
        label=_("When"), choices=PRESETS, method="filter_when", empty_label=_("Any time"), widget=QuickSelect
    )
    country = django_filters.ChoiceFilter(
        label=_("Country"), choices=lambda: list(countries), empty_label=_("Any country"), widget=QuickSelect
    )
    city = django_filters.CharFilter(label=_("City"), lookup_expr="iexact", max_length=100)
    format = django_filters.ChoiceFilter(
        label=_("Format"), choices=FORMATS, method="filter_format", empty_label=_("Any format"), widget=QuickSelect
    )
    topic = django_filters.ModelMultipleChoiceFilter(
        label=_("Topics"),
        queryset=Topic.objects.all(),
        to_field_name="slug",
        method="filter_topic",
        widget=QuickCheckboxes,
    )
    language = django_filters.ChoiceFilter(
        label=_("Language"), choices=language_choices, empty_label=_("Any language"), widget=QuickSelect
    )
    organizer = django_filters.ModelChoiceFilter(
        label=_("Organizer"),
        queryset=Organizer.objects.all(),
        to_field_name="slug",
        empty_label=_("Any organizer"),
        widget=QuickSelect,
    )
    price = django_filters.ChoiceFilter(
        label=_("Price"),
        choices=[("free", _("Free")), ("paid", _("Paid"))],
        method="filter_price",
        empty_label=_("Any price"),
        widget=QuickSelect,
    )
    max_price = django_filters.NumberFilter(
        label=_("Maximum price"), field_name="price_min", lookup_expr="lte", min_value=0, max_value=10**8
    )
    ce = django_filters.BooleanFilter(label=_("Offers CE credits"), method="filter_ce", widget=forms.CheckboxInput)
    past = django_filters.BooleanFilter(label=_("Include past events"), method="keep", widget=forms.CheckboxInput)
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[("soonest", _("Soonest")), ("newest", _("Newest")), ("relevance", _("Relevance"))],
        method="keep",
        empty_label=None,
        widget=QuickSelect,
    )

    class Meta:
        model = EventPage
        fields = []
        form = EventFilterForm

    def keep(self, queryset, name, value):
        """Parameters that are not filters (applied in `search_events`)."""
        return queryset

    def filter_when(self, queryset, name, value):
        first, last = preset_range(value, timezone.now().date())
        return queryset.filter(local_end_date__gte=first, local_start_date__lte=last)

    def filter_format(self, queryset, name, value):
        return queryset.filter(format__in=ATTENDED_AS[value])

    def filter_topic(self, queryset, name, value):
        if not value:
            return queryset
        tagged = EventPage.topics.through.objects.filter(topic__in=value).values("eventpage_id")
        return queryset.filter(pk__in=tagged)

    def filter_price(self, queryset, name, value):
        return queryset.filter(price_min=0) if value == "free" else queryset.filter(price_max__gt=0)

    def filter_ce(self, queryset, name, value):
        return queryset.filter(ce_hours__gt=0) if value else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if not (data.get("past") or data.get("start") or data.get("when")):
            # To the minute, so the same listing asked twice in a minute is the same query (see
            # CountCachingPaginator); an event stays listed for at most a minute after it ends.
            queryset = queryset.upcoming(now=timezone.now().replace(second=0, microsecond=0))
        return queryset


def canonical(value):
    """A cleaned filter value written one way: dates ISO, numbers without trailing zeros, topics
    and organizers by slug, several values sorted."""
    if isinstance(value, (list, tuple, set, QuerySet)):
        return sorted(canonical(item) for item in value)
    if isinstance(value, Model):
        return value.slug
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if value is True:
        return "1"
    return str(value)


@dataclass
class EventSearch:
    filterset: EventFilterSet
    results: object  # a QuerySet, or SearchResults when there is a text query
    query: str
    sort: str

    @property
    def errors(self):
        return self.filterset.errors

    @cached_property
    def params(self):
        """The parameters that applied, canonical: what caches are keyed by and links carry."""
        form, pairs = self.filterset.form, []
        for name in form.fields:
            if name in form.errors:
                continue
            value = self.query if name == "q" else form.cleaned_data.get(name)
            if name == "sort":
                value = None if value == default_sort(self.query) else value
            if value is None or value is False or value == "" or (isinstance(value, (list, QuerySet)) and not value):
                continue
            value = canonical(value)
            pairs.extend((name, item) for item in (value if isinstance(value, list) else [value]))
        return pairs

    @property
    def query_string(self):
        return urlencode(self.params)

    def page_query(self, number):
        """The query string of page `number` of these results."""
        return urlencode([*self.params, *([("page", number)] if number != 1 else [])])


def default_sort(query):
    return "relevance" if query else "soonest"


def title_first(queryset, query):
    """`queryset` ordered by how many of the query's words its titles hold, then soonest."""
    terms = query.split()[:MAX_TITLE_TERMS]
    hits = sum(
        (Case(When(title__icontains=term, then=Value(1)), default=Value(0)) for term in terms),
        Value(0, output_field=IntegerField()),
    )
    return queryset.order_by(hits.desc(), *SORTS["relevance"])


def search_events(params, queryset):
    """Filter, search and sort `queryset` by the listing's query parameters.

    Invalid parameters are reported in `errors` and left out; the valid ones still apply. The form
    shows the order actually used (relevance when there is a query and no sort was chosen).
    """
    filterset = EventFilterSet(params, queryset=queryset)
    filterset.is_valid()
    form = filterset.form
    cleaned = form.cleaned_data
    # Double quotes mean nothing to a plain-text search, but SQLite's full-text syntax chokes on an
    # unpaired one ("unterminated string", a 500): they are dropped.
    query = " ".join((cleaned.get("q") or "").replace('"', " ").split())
    sort = cleaned.get("sort") or default_sort(query)
    if form.data.get("sort") != sort:
        form.data = form.data.copy()
        form.data["sort"] = sort
    results = filterset.qs.order_by(*SORTS[sort])
    if query:
        by_title = sort == "relevance" and search_orders_by_expressions()
        if by_title:
            results = title_first(results, query)
        results = results.search(query, order_by_relevance=sort == "relevance" and not by_title)
    return EventSearch(filterset=filterset, results=results, query=query, sort=sort)


def search_orders_by_expressions():
    """Whether the search backend can order results by an expression (the database ones can)."""
    from wagtail.search.backends import get_search_backend

    compiler = get_search_backend().query_compiler_class
    return getattr(compiler, "HANDLES_ORDER_BY_EXPRESSIONS", False)


def page_number(raw):
    """The page a `?page=` asks for (1 when it is absent), or None when it names no page."""
    if raw is None or raw == "":
        return 1
    return parse_int(raw, minimum=1, maximum=10**9 - 1)


class CountCachingPaginator(Paginator):
    """A paginator that remembers each query's count for EVENTS_LISTING_CACHE_SECONDS (0: never).

    Counting tens of thousands of upcoming events costs more than fetching and rendering a page of
    them; a count up to a minute old is good enough for "N events" and the page links.
    """

    @cached_property
    def count(self):
        seconds = conf.get("EVENTS_LISTING_CACHE_SECONDS")
        if not seconds or not may_cache():
            return super().count
        compiler = getattr(self.object_list, "query_compiler", None)  # search results
        try:
            source = f"{compiler.queryset.query}|{compiler.query!r}" if compiler else str(self.object_list.query)
        except (AttributeError, EmptyResultSet):
            return super().count
        key = f"events:count:{content_version()}:" + hashlib.sha256(source.encode()).hexdigest()
        return cache.get_or_set(key, self.object_list.count, seconds)


class PageEvents(Sequence):
    """A page's events, fetched with `related` (one query per relation) when first used, so that
    a listing page served from the cache never asks the database for them."""

    def __init__(self, results, related):
        self.results, self.related = results, related

    @cached_property
    def events(self):
        events = list(self.results)
        prefetch_related_objects(events, *self.related)
        return events

    def __getitem__(self, index):
        return self.events[index]

    def __len__(self):
        return len(self.events)


def paginate(results, number, per_page, related=("organizer", "topics")):
    """Page `number` of results, with what a card shows fetched in one query per relation; an
    `InvalidPage` (EmptyPage) when there is no such page (page 1 always exists, even empty)."""
    page = CountCachingPaginator(results, per_page, allow_empty_first_page=True).page(number)
    page.object_list = PageEvents(page.object_list, related)
    return page
