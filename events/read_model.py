"""Keep `ListingEntry`, the listings' read model, equal to the live event pages.

One row per live event page, written when the page is saved (publish, unpublish, a plain save, a
copy: `EventPage.save`), moved (`post_page_move`), made private or public (a PageViewRestriction
on it or above it), and when the venue (its text and coordinates), organizer or topics it copies
from change (signals.py). A deleted page takes its row with it (CASCADE). `repair()` finds and fixes any
difference (after `migrate`, and `manage.py rebuild_listing --missing`); the system check
events.W008 (`check --database default`) reports one.

A row is always made from the database's rows, never from the instance being saved: a draft is
saved on the live page's instance with only its bookkeeping columns written.
"""

from functools import lru_cache

from django.db import connection
from django.utils import timezone, translation
from django_countries import countries
from wagtail.models import Page, PageViewRestriction

from . import conf
from .models import EARLIEST, ENDED_AFTER, LATEST, EventPage, ListingEntry, SearchTerm
from .search import document, lexicon_words, title_document
from .suggest import index_titles

BATCH = 1000
BODY_LIMIT = 20_000
# Words that make an event found by "CE", "CEU", "CME", "continuing education" or "CE credits".
CE_WORDS = "CE CEU CME continuing education credits credit hours"
ONLINE_WORDS = "online virtual webinar"
# Columns an EventPage.save may write without changing what listings show (a draft, a lock, the
# calendars' bookkeeping): such a save leaves the row alone.
BOOKKEEPING = frozenset(
    {
        "latest_revision",
        "latest_revision_created_at",
        "draft_title",
        "has_unpublished_changes",
        "locked",
        "locked_at",
        "locked_by",
        "calendar_sequence",
        "calendar_fingerprint",
    }
)
COPIED = [
    field.name
    for field in ListingEntry._meta.concrete_fields
    if field.name not in ("page", "search_document", "title_document")
]


def search_config(language):
    configs = conf.get("EVENTS_SEARCH_CONFIGS")
    return configs.get(language) or configs.get(language.split("-")[0].lower(), "simple")


def searchable(page, field):
    value = getattr(page, field)
    return " ".join(str(part) for part in EventPage._meta.get_field(field).get_searchable_content(value))


def place_text(venue):
    if venue is None:
        return ""
    country = english_name(venue.country.code) if venue.country else ""
    return " ".join(part for part in (venue.name, venue.city, venue.region, country) if part)


@lru_cache(maxsize=512)
def english_name(country_code):
    """A country's name in English, kept: switching the translation on and back and looking the
    country up cost half of making a listing row."""
    with translation.override("en"):
        return str(countries.name(country_code))


def coordinates(venue, format):
    """(latitude, longitude) of an event at `venue` as floats, or (None, None): an online-only
    event is near nowhere (a `near=` search does not list it), nor is one at a venue without them."""
    if venue is None or format == EventPage.Format.ONLINE or venue.latitude is None or venue.longitude is None:
        return None, None
    return float(venue.latitude), float(venue.longitude)


def entry(page, listing_id, public):
    facets = [ONLINE_WORDS] if page.format != EventPage.Format.IN_PERSON else []
    if page.ce_hours:
        facets += [CE_WORDS, page.ce_accreditor]
    body = " ".join(searchable(page, name) for name in ("body", "learning_objectives", "presenters"))
    latitude, longitude = coordinates(page.venue if page.venue_id else None, page.format)
    return ListingEntry(
        page_id=page.pk,
        listing_id=listing_id,
        public=public,
        sort_start=page.start or LATEST,
        start=page.start,
        end=page.end,
        local_start_date=page.local_start_date,
        local_end_date=page.local_end_date,
        first_published_at=page.first_published_at or EARLIEST,
        country=page.country,
        city=page.city,
        city_key=page.city.casefold(),
        format=page.format,
        language=page.language,
        status=page.status,
        featured=page.featured,
        organizer_id=page.organizer_id,
        price_min=page.price_min,
        price_max=page.price_max,
        ce_hours=page.ce_hours,
        title=page.title,
        topics_text=" ".join(topic.name for topic in page.topics.all()),
        topic_ids=topic_ids(topic.pk for topic in page.topics.all()),
        summary=page.summary,
        facets_text=" ".join(facets),
        body_text=body[:BODY_LIMIT],
        place_text=place_text(page.venue if page.venue_id else None),
        organizer_name=page.organizer.name if page.organizer_id else "",
        search_config=search_config(page.language),
        latitude=latitude,
        longitude=longitude,
        slug=page.slug,
        time_zone=page.time_zone,
        currency=page.currency,
        sold_out=page.sold_out,
        last_published_at=page.last_published_at,
        venue_name=page.venue.name if page.venue_id else "",
        ended=page.end is not None and page.end < timezone.now() - ENDED_AFTER,
    )


def topic_ids(pks):
    """ListingEntry.topic_ids of an event with the topics `pks`: " 3 17 "."""
    return " " + "".join(f"{pk} " for pk in sorted(pks))


def restricted_paths():
    return list(PageViewRestriction.objects.values_list("page__path", flat=True))


def is_public(path, restricted):
    return not any(path.startswith(prefix) for prefix in restricted)


def sync(pks):
    """Make the rows of the event pages `pks` what their live rows say (none for a page that is not live)."""
    pks = set(pks)
    for start in range(0, len(pks), BATCH):
        sync_batch(sorted(pks)[start : start + BATCH])


def sync_batch(pks):
    pages = list(
        EventPage.objects.filter(pk__in=pks, live=True)
        .select_related("organizer", "venue")
        .prefetch_related("topics")
        .order_by()
    )
    ListingEntry.objects.filter(page_id__in=set(pks) - {page.pk for page in pages}).delete()
    if not pages:
        return
    parent_paths = {page.path[: -Page.steplen] for page in pages}
    parents = dict(Page.objects.filter(path__in=parent_paths).values_list("path", "pk"))
    restricted = restricted_paths()
    entries = [entry(page, parents[page.path[: -Page.steplen]], is_public(page.path, restricted)) for page in pages]
    fields = COPIED
    if connection.vendor == "postgresql":
        fields = [*COPIED, "search_document", "title_document"]
        for row in entries:
            row.search_document, row.title_document = document(row), title_document(row)
    ListingEntry.objects.bulk_create(entries, update_conflicts=True, unique_fields=["page"], update_fields=fields)
    learn_words(entries)
    index_titles(entries)  # what autocomplete finds titles by


def learn_words(entries):
    """Add the entries' words to the lexicon that misspelt searches are corrected from."""
    add_terms(terms_of(entries))


def terms_of(entries):
    """The entries' words worth correcting a misspelt search to."""
    terms = set()
    for row in entries:
        text = " ".join((row.title, row.topics_text, row.summary, row.facets_text, row.place_text, row.organizer_name))
        terms.update(lexicon_words(text))
    return terms


def add_terms(terms):
    SearchTerm.objects.bulk_create([SearchTerm(term=term) for term in sorted(terms)], ignore_conflicts=True)


def index_text(entries):
    """Write the search documents of `entries` (PostgreSQL; elsewhere search.py reads the text columns)."""
    if connection.vendor == "postgresql":
        entries.update(search_document=document(), title_document=title_document())


def sync_after_save(page, update_fields):
    if update_fields is not None and set(update_fields) <= BOOKKEEPING:
        return
    sync([page.pk])


def sync_under(path):
    """Every event at or below `path` (a page moved there)."""
    sync(EventPage.objects.filter(path__startswith=path).values_list("pk", flat=True))


def sync_privacy(path):
    """Whether each event at or below `path` is public, after a view restriction there was added,
    changed or lifted."""
    under = ListingEntry.objects.filter(page__path__startswith=path)
    restricted = [prefix for prefix in restricted_paths() if prefix.startswith(path) or path.startswith(prefix)]
    under.update(public=True)
    for prefix in restricted:
        under.filter(page__path__startswith=prefix).update(public=False)


def mark_sold_out(event, sold_out):
    """Store whether `event` is sold out, on its page and listing row and those of its translations
    (for the app that sells its seats: a badge on each card, never a decision)."""
    EventPage.objects.filter(translation_key=event.translation_key).update(sold_out=sold_out)
    ListingEntry.objects.filter(page__translation_key=event.translation_key).update(sold_out=sold_out)


def sync_place(venue):
    """The events at `venue`, after it was edited: its name, city or position may have changed."""
    text = place_text(venue)
    latitude, longitude = coordinates(venue, None)
    stale = ListingEntry.objects.filter(page__venue=venue).exclude(place_text=text, city=venue.city)
    # Those whose coordinates are not the venue's (an online-only event has none, and stays so).
    moved = ListingEntry.objects.filter(page__venue=venue).exclude(format=EventPage.Format.ONLINE)
    moved = (
        moved.exclude(latitude=latitude, longitude=longitude) if latitude is not None else moved.exclude(latitude=None)
    )
    sync({*stale.values_list("page_id", flat=True), *moved.values_list("page_id", flat=True)})


def sync_organizer(organizer):
    stale = ListingEntry.objects.filter(organizer=organizer).exclude(organizer_name=organizer.name)
    if stale.update(organizer_name=organizer.name):
        index_text(ListingEntry.objects.filter(organizer=organizer))


def sync_topic(topic):
    """The events tagged with `topic`, after it was renamed (their text no longer holds its name)."""
    stale = ListingEntry.objects.filter(page__topics=topic).exclude(topics_text__contains=topic.name)
    sync(stale.values_list("page_id", flat=True))


def differences(using="default"):
    """(live event pages without a row, rows of pages that are not live)."""
    missing = EventPage.objects.using(using).live().filter(listing_entry__isnull=True).values_list("pk", flat=True)
    extra = ListingEntry.objects.using(using).exclude(page__live=True).values_list("page_id", flat=True)
    return list(missing), list(extra)


def repair():
    """Add the missing rows and remove the extra ones; the number of each."""
    missing, extra = differences()
    sync([*missing, *extra])
    return len(missing), len(extra)


def mark_ended(now=None):
    """Mark the rows of the events over for more than ENDED_AFTER (ListingEntry.ended): what
    `manage.py mark_ended_events` does, daily or more often. The number of rows marked."""
    moment = (now or timezone.now()) - ENDED_AFTER
    return ListingEntry.objects.filter(ended=False, end__lt=moment).update(ended=True)


def rebuild():
    """Every row made again (after a change of EVENTS_SEARCH_CONFIGS, or of this code)."""
    ListingEntry.objects.exclude(page__live=True).delete()
    sync(EventPage.objects.live().values_list("pk", flat=True))
    return ListingEntry.objects.count()
