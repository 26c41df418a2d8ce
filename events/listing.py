"""The one place that turns a query string into a filtered, searched, sorted list of events.

The listing page, the JSON API and the calendar feed all call `search_events`. Filters run in the
database first (each filtered column is also a FilterField, so a search backend such as OpenSearch
can apply them too); the text query then searches within what the filters kept.
"""

import datetime as dt
from dataclasses import dataclass

import django_filters
from django import forms
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .fields import language_choices
from .models import EventPage, Organizer, Topic

SORTS = {
    "soonest": ("start", "id"),
    "newest": ("-first_published_at", "-id"),
    "relevance": ("start", "id"),  # the order within equal relevance, and without a query
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
        label=_("When"), choices=PRESETS, method="filter_when", empty_label=_("Any time")
    )
    country = django_filters.ChoiceFilter(
        label=_("Country"), choices=lambda: list(countries), empty_label=_("Any country")
    )
    city = django_filters.CharFilter(label=_("City"), lookup_expr="iexact", max_length=100)
    format = django_filters.ChoiceFilter(
        label=_("Format"), choices=EventPage.Format.choices, empty_label=_("Any format")
    )
    topic = django_filters.ModelMultipleChoiceFilter(
        label=_("Topics"),
        queryset=Topic.objects.all(),
        to_field_name="slug",
        method="filter_topic",
        widget=forms.CheckboxSelectMultiple,
    )
    language = django_filters.ChoiceFilter(label=_("Language"), choices=language_choices, empty_label=_("Any language"))
    organizer = django_filters.ModelChoiceFilter(
        label=_("Organizer"), queryset=Organizer.objects.all(), to_field_name="slug", empty_label=_("Any organizer")
    )
    price = django_filters.ChoiceFilter(
        label=_("Price"),
        choices=[("free", _("Free")), ("paid", _("Paid"))],
        method="filter_price",
        empty_label=_("Any price"),
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
    )

    class Meta:
        model = EventPage
        fields = []

    def keep(self, queryset, name, value):
        """Parameters that are not filters (applied in `search_events`)."""
        return queryset

    def filter_when(self, queryset, name, value):
        first, last = preset_range(value, timezone.now().date())
        return queryset.filter(local_end_date__gte=first, local_start_date__lte=last)

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
            queryset = queryset.upcoming()
        return queryset


@dataclass
class EventSearch:
    filterset: EventFilterSet
    results: object  # a QuerySet, or SearchResults when there is a text query
    query: str
    sort: str

    @property
    def errors(self):
        return self.filterset.errors


def search_events(params, queryset):
    """Filter, search and sort `queryset` by the listing's query parameters.

    Invalid parameters are reported in `errors` and left out; the valid ones still apply.
    """
    filterset = EventFilterSet(params, queryset=queryset)
    filterset.is_valid()
    cleaned = filterset.form.cleaned_data
    query = (cleaned.get("q") or "").strip()
    sort = cleaned.get("sort") or ("relevance" if query else "soonest")
    results = filterset.qs.order_by(*SORTS[sort])
    if query:
        results = results.search(query, order_by_relevance=sort == "relevance")
    return EventSearch(filterset=filterset, results=results, query=query, sort=sort)


def paginate(results, number, per_page, related=("organizer", "topics")):
    """A page of results, with what a card shows fetched in one query per relation.

    A page number out of range gives the nearest page.
    """
    page = Paginator(results, per_page).get_page(number)
    page.object_list = list(page.object_list)
    prefetch_related_objects(page.object_list, *related)
    return page
