"""The one place that turns a query string into a filtered, searched, sorted list of events.

The listing page, the JSON API and the calendar feed all call `search_events`. They read
`ListingEntry`, one row per live event page kept by read_model.py, with its own indexes: filters,
order and text search (search.py) run on that one table, and only the page of events shown is then
fetched from Wagtail's tables, by primary key (`PageEvents`), so a listing costs the same whether
the site has a thousand events or a million.

What the three callers cache is keyed by `EventSearch.params`: the validated parameters, canonical (unknown
ones dropped, values written one way, in one order), so `?junk=1` or the same filters in another
order are the same entry, and a client cannot make a new entry by changing nothing.

Formats: an event's format says how it can be attended, so `format=online` lists hybrid events too
(they can be attended online), and so does `format=in_person`; `format=hybrid` lists only hybrid
ones.

Counts: exact up to EVENTS_COUNT_LIMIT, "1,000+" beyond (`CappedPaginator`); page numbers go as
far as that, and the JSON API's `after` cursor past it.

Near a place (`near=<lat>,<lng>&radius=<km>`, nearby.py): only events within the radius (default
EVENTS_NEAR_RADIUS_KM, at most EVENTS_NEAR_MAX_RADIUS_KM), each with its `distance_km`; `sort=distance`
lists the nearest first and needs `near`. Results by distance are walked by page number only, as
far as EVENTS_COUNT_LIMIT: there is no `after` cursor for them (a radius bounds them anyway).
"""

import copy
import datetime as dt
import hashlib
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache, reduce
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from . import conf, nearby
from .caching import content_version, may_cache
from .fields import language_choices
from .inputs import parse_int
from .lookups import OneOf
from .models import EARLIEST, ENDED_AFTER, EventPage, ListingEntry, Organizer, Topic
from .routing import converted, held
from .search import correction, matching, title_first, words
from .widgets import (
    QuickCheckboxes,
    QuickCheckboxInput,
    QuickDateInput,
    QuickNumberInput,
    QuickSelect,
    QuickTextInput,
)

SORTS = {
    "soonest": ("sort_start", "page_id"),
    "newest": ("-first_published_at", "-page_id"),
    "relevance": ("sort_start", "page_id"),  # without a query
    "distance": ("distance_km", "sort_start", "page_id"),  # with `near`
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


# What a cursor (`after`, from the JSON API's `next` link) walks on, by the order it was made for.
CURSOR_ORDERS = {"soonest": "s", "newest": "n"}


def make_cursor(sort, row):
    """The `after` value that lists what comes after an event in `sort` order (None: no cursor),
    from its listing row's `page_id`, `sort_start` and `first_published_at`."""
    kind = CURSOR_ORDERS.get(sort)
    if kind is None:
        return None
    value = row["sort_start"] if kind == "s" else (row["first_published_at"] or EARLIEST)
    return f"{kind}:{value.isoformat()}~{row['page_id']}"


def parse_cursor(token):
    """(kind, moment, page id) of an `after` value; ValueError when it is not one."""
    kind, _, rest = token.partition(":")
    moment, _, pk = rest.rpartition("~")
    moment, pk = dt.datetime.fromisoformat(moment), parse_int(pk, minimum=1, maximum=2**63 - 1)
    if kind not in CURSOR_ORDERS.values() or moment.tzinfo is None or pk is None or not 1900 < moment.year < 2200:
        raise ValueError(token)
    return kind, moment, pk


class PointField(forms.CharField):
    """A place as "latitude,longitude" in decimal degrees (what "Use my location" fills in)."""

    def clean(self, value):
        value = super().clean(value)  # text, of at most max_length characters
        if value in self.empty_values:
            return None
        try:
            return nearby.parse_point(value)
        except ValueError as error:
            reason = error.args[0]
        if reason == "latitude":
            message = _("The latitude (the first number) must be from -90 to 90.")
        elif reason == "longitude":
            message = _("The longitude (the second number) must be from -180 to 180.")
        else:
            message = _("Give a place as latitude,longitude in degrees, such as 51.5074,-0.1278.")
        raise forms.ValidationError(message, code="invalid")


class PointFilter(django_filters.CharFilter):
    field_class = PointField


class KnownChoiceField(django_filters.fields.ChoiceField):
    """A choice among many made by a function (countries, languages), named in the active language:
    a value is checked against the set of their values, made once a process per language. Django
    checks it against each choice in turn, asking the function for them again: for a country, a
    tenth of a filtered listing's time."""

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, choices=choices, **kwargs)
        self.make_choices = choices

    def valid_value(self, value):
        return str(value) in choice_values(self.make_choices, get_language())


@lru_cache(maxsize=256)
def choice_values(make_choices, language):
    return frozenset(str(value) for value, _label in make_choices())


class KnownChoiceFilter(django_filters.ChoiceFilter):
    field_class = KnownChoiceField


def country_choices():
    return list(countries)


class EventFilterForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The topics and organizers offered, from memory under the content version (any edit of
        # one makes a new list); what is chosen is still looked up in the database.
        for name, model in (("topic", Topic), ("organizer", Organizer)):
            field = self.fields[name]
            options = held(f"choices:{name}", lambda model=model: tuple((o.slug, str(o)) for o in model.objects.all()))
            field.widget.choices = [*([("", field.empty_label)] if field.empty_label is not None else []), *options]
        # The radius a search near a place gets when it gives none, and the largest it may ask for.
        self.fields["radius"].widget.attrs.update(
            placeholder=str(conf.get("EVENTS_NEAR_RADIUS_KM")), max=str(conf.get("EVENTS_NEAR_MAX_RADIUS_KM"))
        )
        # Each list's options and boxes written once per language, under the content version, too.
        for field in self.fields.values():
            if isinstance(field.widget, (QuickSelect, QuickCheckboxes)):
                field.widget.remember = held

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        self.clean_nearness(data)
        if data.get("after"):
            sort = data.get("sort") or default_sort(data.get("q"))
            try:
                kind, _moment, _pk = parse_cursor(data["after"])
            except ValueError:
                self.add_error("after", _("This is not a cursor from a “next” link."))
            else:
                order = "soonest" if sort == "relevance" and not data.get("q") else sort
                if sort == "distance":
                    self.add_error("after", _("Results by distance have no cursor: ask for them by page number."))
                elif CURSOR_ORDERS.get(order) != kind:
                    self.add_error("after", _("This cursor is for another order: follow the “next” links as given."))
        return data

    def clean_nearness(self, data):
        """`radius` and `sort=distance` mean something only near a place; a radius is a positive
        number of km up to EVENTS_NEAR_MAX_RADIUS_KM."""
        has_place = data.get("near") is not None or "near" in self.errors  # (a wrong one: said once)
        radius, largest = data.get("radius"), conf.get("EVENTS_NEAR_MAX_RADIUS_KM")
        if radius is not None:
            if not has_place:
                self.add_error("radius", _("A radius needs a place to measure from (near)."))
            elif not 0 < radius <= largest:
                self.add_error(
                    "radius", _("Give a distance in km above 0 and up to %(largest)s.") % {"largest": largest}
                )
        if data.get("sort") == "distance" and not has_place:
            self.add_error("sort", _("Sorting by distance needs a place (near, or “Use my location”)."))


# The most any time zone is ahead of UTC (Kiribati, UTC+14), and behind it (Baker Island, UTC-12).
MOST_AHEAD_OF_UTC = dt.timedelta(hours=14)
MOST_BEHIND_UTC = dt.timedelta(hours=12)


def day_began(day):
    """When `day` began in the zone most ahead of UTC: no event ending on that day or later, in
    its own time zone, ends before."""
    return (
        dt.datetime.combine(max(day, dt.date.min + dt.timedelta(days=1)), dt.time(), tzinfo=dt.UTC) - MOST_AHEAD_OF_UTC
    )


def ending_on_or_after(queryset, day):
    """The events that end on `day` or later, in their own time zone; and so, said as well in UTC,
    not before `day` began in the zone most ahead: the listing's index, in start order, holds `end`
    and skips the events over by then within it, where the local date alone had the scan read every
    earlier event's row; and starts where the longest event would have to start to end then
    (ListingEntryQuerySet.ending_at_or_after)."""
    return queryset.ending_at_or_after(day_began(day)).filter(local_end_date__gte=day)


def starting_on_or_before(queryset, day):
    """The events that start on `day` or earlier, in their own time zone; and so, said as well in
    UTC, before `day` ended in the zone most behind: where the listing's index, in start order, ends."""
    end = dt.datetime.combine(min(day, dt.date.max - dt.timedelta(days=1)) + dt.timedelta(days=1), dt.time(), dt.UTC)
    return queryset.filter(local_start_date__lte=day, sort_start__lt=end + MOST_BEHIND_UTC)


class FieldsSharingChoices(dict):
    """A form's fields, whose copies for each form share their choices: Django deep-copies every
    choice (each label a translation to copy) for every form it makes, two thirds of the time it
    took to make the listing's. A field's choices are only ever replaced, never changed in place."""

    def __deepcopy__(self, memo):
        fields = {}
        for name, field in self.items():
            if type(field).__deepcopy__ is forms.ChoiceField.__deepcopy__:
                fields[name] = forms.Field.__deepcopy__(field, memo)  # (the same _choices)
            else:
                fields[name] = copy.deepcopy(field, memo)
        return fields


class EventFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="keep", max_length=200, widget=QuickTextInput)
    start = django_filters.DateFilter(
        label=_("From"), method="filter_start", widget=QuickDateInput(attrs={"type": "date"})
    )
    end = django_filters.DateFilter(
        label=_("Until"), method="filter_end", widget=QuickDateInput(attrs={"type": "date"})
    )
    when = django_filters.ChoiceFilter(
        label=_("When"), choices=PRESETS, method="filter_when", empty_label=_("Any time"), widget=QuickSelect
    )
    country = KnownChoiceFilter(
        label=_("Country"), choices=country_choices, empty_label=_("Any country"), widget=QuickSelect
    )
    city = django_filters.CharFilter(label=_("City"), method="filter_city", max_length=100, widget=QuickTextInput)
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
    language = KnownChoiceFilter(
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
        label=_("Maximum price"),
        field_name="price_min",
        lookup_expr="lte",
        min_value=0,
        max_value=10**8,
        widget=QuickNumberInput,
    )
    ce = django_filters.BooleanFilter(label=_("Offers CE credits"), method="filter_ce", widget=QuickCheckboxInput)
    # Near a place (nearby.py; applied in `filter_queryset`, with the radius).
    near = PointFilter(
        label=_("Near (latitude, longitude)"),
        method="keep",
        max_length=100,
        widget=QuickTextInput(attrs={"placeholder": "51.5074,-0.1278", "inputmode": "decimal", "autocomplete": "off"}),
    )
    radius = django_filters.NumberFilter(
        label=_("Within (km)"),
        method="keep",
        max_digits=12,
        decimal_places=6,
        widget=QuickNumberInput(attrs={"min": "0.1", "step": "any"}),
    )
    past = django_filters.BooleanFilter(label=_("Include past events"), method="keep", widget=QuickCheckboxInput)
    # Where a walk through the results goes on (the JSON API's `next` link past EVENTS_COUNT_LIMIT).
    after = django_filters.CharFilter(method="keep", max_length=100, widget=forms.HiddenInput)
    # The words exactly as typed: no correction of misspelt ones (the "Search instead for" link;
    # not shown in the form, so that the next search typed is corrected again).
    exact = django_filters.BooleanFilter(method="keep", widget=forms.HiddenInput)
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[
            ("soonest", _("Soonest")),
            ("newest", _("Newest")),
            ("relevance", _("Relevance")),
            ("distance", _("Nearest")),
        ],
        method="keep",
        empty_label=None,
        widget=QuickSelect,
    )

    class Meta:
        model = ListingEntry
        fields = []
        form = EventFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        """django-filter's, but each filter copied shallowly rather than deeply: what a filter holds
        (its field's arguments, choices, querysets) is never changed by a search, and deep-copying
        the nineteen filters was a tenth of a listing page's time on a search nobody asked for."""
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound, self.data = data is not None, data or QueryDict()
        self.queryset, self.request, self.form_prefix = queryset, request, prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = self.filters[name] = copy.copy(base)
            filter_.model, filter_.parent = queryset.model, self
            if filter_.method:  # (its FilterMethod calls the method of this copy's parent, not the class's)
                filter_.method = filter_.method

    @classmethod
    def form_class(cls):
        """The form, with a field per filter: the same for every search, so made once (django-filter
        makes the class and its fields again at every search). Each form deep-copies its fields."""
        if "_form_class" not in cls.__dict__:
            filters = copy.deepcopy(cls.base_filters)  # (a filter keeps its field: not the class's own)
            form = type(f"{cls.__name__}Form", (cls._meta.form,), {n: f.field for n, f in filters.items()})
            form.base_fields = FieldsSharingChoices(form.base_fields)
            cls._form_class = form
        return cls._form_class

    def get_form_class(self):
        return self.form_class()

    def keep(self, queryset, name, value):
        """Parameters that are not filters (applied in `search_events`)."""
        return queryset

    # The moment every event found ends at or after (None: any), set as the filters apply.
    ends_after = None

    def ending_from(self, queryset, day):
        """ending_on_or_after(queryset, day), remembered in `ends_after`."""
        moment = day_began(day)
        self.ends_after = max(self.ends_after or moment, moment)
        return ending_on_or_after(queryset, day)

    def filter_start(self, queryset, name, value):
        return self.ending_from(queryset, value)

    def filter_end(self, queryset, name, value):
        return starting_on_or_before(queryset, value)

    def filter_when(self, queryset, name, value):
        first, last = preset_range(value, timezone.now().date())
        return starting_on_or_before(self.ending_from(queryset, first), last)

    def filter_city(self, queryset, name, value):
        return queryset.filter(city_key=value.strip().casefold())

    def filter_format(self, queryset, name, value):
        return queryset.filter(format__in=ATTENDED_AS[value])

    def filter_topic(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(reduce(operator.or_, (Q(topic_ids__contains=f" {topic.pk} ") for topic in value)))

    def filter_price(self, queryset, name, value):
        return queryset.filter(price_min=0) if value == "free" else queryset.filter(price_max__gt=0)

    def filter_ce(self, queryset, name, value):
        return queryset.filter(ce_hours__gt=0) if value else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if not (data.get("past") or data.get("start") or data.get("when")):
            # To the minute, so the same listing asked twice in a minute is the same query (see
            # CappedPaginator); an event stays listed for at most a minute after it ends.
            self.ends_after = timezone.now().replace(second=0, microsecond=0)
            queryset = queryset.upcoming(now=self.ends_after)
        if words(data.get("q") or "") and self.ends_after and self.ends_after >= timezone.now() - ENDED_AFTER:
            # None of the rows marked ended can be found (they ended before): leaving them out
            # changes nothing, and lets the text search read the indexes of the events not over,
            # which stay the same size as past events pile up (ListingEntry.ended). Only then: the
            # planner takes the mark for a filter of its own, and reads plain filters in a worse order.
            queryset = queryset.filter(ended=False)
        if data.get("near") is not None:
            radius = data.get("radius") or Decimal(conf.get("EVENTS_NEAR_RADIUS_KM"))
            queryset = nearby.within(queryset, data["near"], float(radius))
        if data.get("after"):
            kind, moment, pk = parse_cursor(data["after"])
            if kind == "s":
                queryset = queryset.filter(Q(sort_start__gt=moment) | Q(sort_start=moment, page_id__gt=pk))
            else:
                queryset = queryset.filter(
                    Q(first_published_at__lt=moment) | Q(first_published_at=moment, page_id__lt=pk)
                )
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
    query: str
    sort: str

    @cached_property
    def matches(self):
        """The events that match (of ListingEntry), unordered: what is counted. Built when first
        read: a broad search by relevance is counted and read in two parts instead (TitleFirst)."""
        return matching(self.filterset.qs, self.query, by_relevance=False).order_by()

    @cached_property
    def results(self):
        """The matches in order. By relevance, every match is ranked (search.py): built only when a
        page reads them so, as a broad search's pages are read in two parts instead (TitleFirst)."""
        if self.query and self.sort == "relevance":
            return matching(self.filterset.qs, self.query, by_relevance=True)
        return self.matches.order_by(*SORTS[self.sort])

    def corrected(self):
        """This search with its misspelt words corrected ("aliance": "alliance"), or None when it
        has none or asks for its words as typed. For a search that found nothing."""
        if not self.query or self.filterset.form.cleaned_data.get("exact"):
            return None
        query = correction(self.query)
        if query is None:
            return None
        params = self.filterset.data.copy()
        params["q"] = query
        return search_events(params, self.filterset.queryset)

    @property
    def order(self):
        """The order the results are in: relevance without a query is soonest first."""
        return "soonest" if self.sort == "relevance" and not self.query else self.sort

    @property
    def exact_query_string(self):
        """The query string of this search with its words as typed (never corrected)."""
        return urlencode([*self.params, ("exact", "1")])

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


def search_events(params, queryset):
    """Filter, search and sort `queryset` by the listing's query parameters.

    Invalid parameters are reported in `errors` and left out; the valid ones still apply. The form
    shows the order actually used (relevance when there is a query and no sort was chosen).
    """
    filterset = EventFilterSet(params, queryset=queryset)
    filterset.is_valid()
    form = filterset.form
    cleaned = form.cleaned_data
    query = " ".join((cleaned.get("q") or "").split())
    sort = cleaned.get("sort") or default_sort(query)
    if sort == "distance" and cleaned.get("near") is None:  # a place that was not understood
        sort = default_sort(query)
    if form.data.get("sort") != sort:
        form.data = form.data.copy()
        form.data["sort"] = sort
    return EventSearch(filterset=filterset, query=query, sort=sort)


def page_number(raw):
    """The page a `?page=` asks for (1 when it is absent), or None when it names no page."""
    if raw is None or raw == "":
        return 1
    return parse_int(raw, minimum=1, maximum=10**9 - 1)


class CappedPaginator(Paginator):
    """Pages of a search's matches (an EventSearch) whose count is exact up to EVENTS_COUNT_LIMIT: a
    broad search is not counted to the end ("1,000+"), and its pages go as far as the limit. The
    count is remembered for EVENTS_LISTING_CACHE_SECONDS (0: never), under the content version and
    the query. A search by relevance in two parts (`title_first`, a TitleFirst) is counted by its
    parts' heads, which its pages read anyway. Its pages come without their events: `paginate`
    gives each the events it shows, read in the search's order (PageEvents)."""

    def __init__(self, search, per_page, title_first=None):
        super().__init__((), per_page, allow_empty_first_page=True)
        self.search, self.title_first = search, title_first
        self.limit = conf.get("EVENTS_COUNT_LIMIT")

    def page(self, number):
        return self._get_page((), self.validate_number(number), self)

    @cached_property
    def found(self):
        """How many match, up to one more than the limit."""
        # (A search in two parts never builds its unordered matches: only their count's key does.)
        count = self.title_first.found if self.title_first is not None else self.counted().count
        seconds = conf.get("EVENTS_LISTING_CACHE_SECONDS")
        if not seconds or not may_cache():
            return count()
        try:
            source = str(self.counted().query)
        except EmptyResultSet:
            return 0
        key = f"events:count:{content_version()}:" + hashlib.sha256(source.encode()).hexdigest()
        return cache.get_or_set(key, count, seconds)

    def counted(self):
        return self.search.matches[: self.limit + 1]

    @property
    def exact(self):
        return self.found <= self.limit

    @cached_property
    def count(self):
        return min(self.found, self.limit)

    @cached_property
    def num_pages(self):
        return max(1, math.ceil(self.count / self.per_page)) if self.count else 1


# What a listing's card and the JSON API show of an event, with its organizer and topics: the
# page's other columns (its description above all) are not read.
LISTED = (
    EventPage.objects.only(
        *("title", "url_path", "path", "depth", "locale", "content_type", "first_published_at"),
        *("summary", "status", "sold_out", "start", "end", "time_zone", "format", "city", "country", "language"),
        *("price_min", "price_max", "currency", "ce_hours", "organizer__name", "organizer__slug"),
    )
    .select_related("organizer")
    .prefetch_related("topics")
)


# What a card shows of an event, as its listing row has it (read_model.py copies the few columns of
# the page and venue it needs, so no other table is joined): the facts a kept card is found by
# (cards.py), and the listing map's pins (maps.py), read with the page's ids in one query.
CARD_FACTS = (
    *("page_id", "listing_id", "title", "summary", "start", "end", "city", "country", "format", "language"),
    *("status", "featured", "organizer_id", "organizer_name", "topics_text", "price_min", "price_max", "ce_hours"),
    *("place_text", "facets_text", "latitude", "longitude", "slug", "time_zone", "currency", "sold_out"),
    *("last_published_at", "venue_name"),
)


class PageEvents(Sequence):
    """A page's events: their rows of the read model (`rows`, the facts of CARD_FACTS), then the
    pages themselves by primary key from `events` (a queryset of EventPage saying what to fetch
    with them), each when first used, so that a listing page served from the cache never asks the
    database for them, and one whose cards were all kept (cards.py) never fetches the pages.

    `ranked`: `results` are in an order computed for every match (relevance). `title_first`: a
    broad search by relevance, read instead from its two parts (a TitleFirst, which knows the
    page's positions), for the page's `limit` events (and no `results`)."""

    def __init__(self, results, events, ranked=False, title_first=None, limit=0):
        self.results, self.queryset, self.ranked = results, events, ranked
        self.title_first, self.limit = title_first, limit

    @cached_property
    def near(self):
        """Whether each event comes with its distance in km from a place (`distance_km`, which the
        card and the API show)."""
        results = self.results if self.title_first is None else self.title_first.parts[0]
        return "distance_km" in results.query.annotations

    @cached_property
    def rows(self):
        """The facts of CARD_FACTS of each event, by name (and its `distance_km` near a place)."""
        return self.read(*CARD_FACTS)

    def read(self, *fields):
        fields = [*fields, *(["distance_km"] if self.near else [])]
        if self.title_first is not None:
            return self.read_title_first(fields)
        # The page's ids first (in the listing index's order, or ranked), then their rows by these
        # ids alone: ranking every match with its facts took 3x as long at 100,000 events (spilling
        # to disk), and the ORM wrote the query of every fact in as long as the database answered it.
        return read_by_ids(self.results, list(self.results.values_list("page_id", flat=True)), fields)

    def read_title_first(self, fields):
        """The page's rows of the title matches, then of the other matches, each soonest first."""
        parts, limit = self.title_first, self.limit
        rows = parts.read(0, fields)[:limit]
        if len(rows) < limit and parts.count(0) <= parts.limit:  # (more titles than are counted fill every page)
            rows += parts.read(1, fields)[: limit - len(rows)]
        return rows

    @cached_property
    def ids(self):
        """[(page id, distance in km or None)], in order: from the rows if the cards read them."""
        rows = self.rows if "rows" in self.__dict__ else self.read("page_id")
        return [(row["page_id"], row.get("distance_km")) for row in rows]

    @cached_property
    def events(self):
        return self.fetch([pk for pk, _distance in self.ids])

    def fetch(self, pks):
        """The pages of `pks`, in that order (those deleted since are left out), with their distance."""
        distances = dict(self.ids)
        pages = {page.pk: page for page in self.queryset.filter(OneOf("pk", pks))}
        for page in pages.values():
            page.distance_km = distances.get(page.pk)
        return [pages[pk] for pk in pks if pk in pages]

    def __getitem__(self, index):
        return self.events[index]

    def __len__(self):
        return len(self.rows)


class TitleFirst:
    """A search by relevance in two parts (search.title_first): the events with every word in their
    title, then its other matches, each soonest first; of them, a page's positions start:stop.

    Each part's head, its first EVENTS_COUNT_LIMIT + 1 rows in no order, is read once, when first
    needed, in one query that counts it and gives the page ids of the part's positions on the page
    (`window`) in order: the heads count the search (`found`: the title matches, and the others
    only when those are counted whole), and a part no longer than the limit has its page's rows read
    by these ids alone. The database orders a head and sends the page's ids, not the thousand rows
    of a broad search (their transfer and conversion cost more client time than the rest of the
    search). A part longer than the limit is read in the listing's index order, up to the page.
    That order read alone finds a rare word's few matches only after passing over every event
    before them (at 1,000,000 events, "london" in no title: 670,000 rows read for nothing, 1.1 s),
    and the planner cannot know beforehand: it takes a word it has no statistics for as fairly
    common. When the page shows none of the others, their head stops at what the count needs."""

    def __init__(self, in_title, others, start=0, stop=0):
        self.parts, self.heads = (in_title, others), {}
        self.start, self.stop = start, stop
        self.limit = conf.get("EVENTS_COUNT_LIMIT")

    def window(self, index):
        """The positions of part `index` that the page shows (start, stop): the others' come right
        after the title matches."""
        if index == 0:
            return self.start, self.stop
        titles = self.count(0)
        return max(self.start - titles, 0), max(self.stop - titles, 0)

    def head(self, index):
        """(its rows, up to one more than the limit; the page ids of its window, in order)."""
        if index not in self.heads:
            start, stop = self.window(index)
            most = self.limit + 1 if index == 0 or stop > start else self.limit + 1 - self.count(0)
            part = self.parts[index].order_by().values_list("sort_start", "page_id")
            self.heads[index] = counted_window(part[:most], start, stop)
        return self.heads[index]

    def count(self, index):
        return self.head(index)[0]

    def found(self):
        """How many match, up to one more than the limit: the parts hold every match once."""
        titles = self.count(0)
        return titles if titles > self.limit else min(titles + self.count(1), self.limit + 1)

    def read(self, index, fields):
        """The `fields` of the rows of part `index` on the page, soonest first."""
        part, (count, ids) = self.parts[index], self.head(index)
        if count > self.limit:
            return read_slice(part.order_by(*SORTS["soonest"]), *self.window(index), fields)
        return read_by_ids(part, ids, fields)


def counted_window(head, start, stop):
    """(how many rows `head` has, the page ids of its rows start:stop soonest first), in one query:
    `head`, a sliced queryset of (sort_start, page_id), made a common table expression (which
    PostgreSQL reads once, as it is used twice)."""
    try:
        sql, params = head.query.sql_with_params()
    except EmptyResultSet:  # (a part that can hold nothing)
        return 0, []
    with connections[head.db].cursor() as cursor:
        if stop <= start:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) head", params)
            return cursor.fetchone()[0], []
        cursor.execute(
            f"WITH head (sort_start, page_id) AS ({sql}) "
            "SELECT counted.n, shown.page_id FROM (SELECT COUNT(*) AS n FROM head) counted LEFT JOIN "
            f"(SELECT sort_start, page_id FROM head ORDER BY sort_start, page_id LIMIT {stop - start} OFFSET {start}) "
            "shown ON 1 = 1 ORDER BY shown.sort_start, shown.page_id",
            params,
        )
        rows = cursor.fetchall()
    return rows[0][0], [pk for _n, pk in rows if pk is not None]


def read_by_ids(results, ids, fields):
    """The `fields` (page_id among them) of the rows of `results` whose page ids are `ids`, in
    that order. From the table alone, by a query written once a process (RowsByIds): the search's
    conditions again would find the same rows at twice the cost of planning, and the ORM took as
    long to write the query as the database to answer it. From `results` itself when a field is
    one of its annotations (the distance from a place)."""
    if not ids:
        return []
    if not results.query.annotations.keys().isdisjoint(fields):
        results = results.all()
        results.query.clear_limits()
        found = results.filter(OneOf("page_id", ids)).values(*fields)
    else:
        found = RowsByIds.of(results.db, tuple(fields), len(ids)).read(ids)
    rows = {row["page_id"]: row for row in found}
    return [rows[pk] for pk in ids if pk in rows]


class RowsByIds:
    """`ListingEntry.objects.filter(OneOf("page_id", ids)).values(*fields)`, compiled once (per
    database, fields and, where ids are not sent as one array, their number), as routing.ChildQuery
    is; each value converted as `values()` converts it."""

    @classmethod
    @lru_cache(maxsize=64)
    def of(cls, db, fields, count):
        return cls(db, fields, count if connections[db].vendor != "postgresql" else 1)

    def __init__(self, db, fields, count):
        query = ListingEntry.objects.using(db).filter(OneOf("page_id", [0] * count)).values(*fields).query
        compiler = query.get_compiler(db)
        self.sql, params = compiler.as_sql()
        self.array = list(params) != [0] * count  # (PostgreSQL: the ids as one parameter)
        self.names = [*query.extra_select, *query.values_select, *query.annotation_select]
        self.converters = list(compiler.get_converters([column for column, _sql, _alias in compiler.select]).items())
        self.db = db

    def read(self, ids):
        connection = connections[self.db]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [list(ids)] if self.array else list(ids))
            rows = cursor.fetchall()
        if self.converters:
            rows = [converted(row, self.converters, connection) for row in rows]
        return [dict(zip(self.names, row, strict=True)) for row in rows]


def read_slice(results, start, stop, fields):
    """The `fields` of rows start:stop of `results`: their ids in order first (from the listing's
    index, which holds every filtered column), then the facts of these alone, by these ids (read in
    the order, each row it passed over was read whole)."""
    return read_by_ids(results, list(results[start:stop].values_list("page_id", flat=True)), fields)


def paginate(search, number, per_page, events=LISTED):
    """Page `number` of a search's results, fetched from `events` (a queryset of EventPage: what is
    fetched with them, in one query per relation); an `InvalidPage` (EmptyPage) when there is no
    such page (page 1 always exists).

    By relevance, a search counted exactly (at most EVENTS_COUNT_LIMIT matches) is ranked exactly
    (search.py); a broader one lists its title matches first, then the others, each soonest first
    (search.title_first), which costs the same however many events match. Either is counted by
    the two parts (TitleFirst)."""
    ranked = search.order == "relevance"
    start = (number - 1) * per_page
    parts = title_first(search.filterset.qs, search.query) if ranked else None
    if parts is not None:
        parts = TitleFirst(*parts, start, start + per_page)
    paginator = CappedPaginator(search, per_page, parts)
    page = paginator.page(number)
    stop = min(start + per_page, paginator.count)
    if parts is None or paginator.exact:
        page.object_list = PageEvents(search.results[start:stop], events, ranked)
    else:
        page.object_list = PageEvents(None, events, title_first=parts, limit=stop - start)
    return page


def paginate_or_correct(search, number, per_page, events=LISTED):
    """(page, correction): page `number` of `search`, or, when it found nothing, of the same
    search with its misspelt words corrected if that finds something (then the corrected search,
    else None). Links and cache keys stay those of the search as asked."""
    page = paginate(search, number, per_page, events)
    if page.paginator.count == 0 and (corrected := search.corrected()) is not None:
        corrected_page = paginate(corrected, number, per_page, events)
        if corrected_page.paginator.count:
            return corrected_page, corrected
    return page, None
