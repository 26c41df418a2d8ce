"""Bulk synthetic events for benchmarks: a million in about 15 minutes on 2 cores, straight into the page tree.

Pages are written in batches rather than one `add_child` at a time (which costs several queries
and a revision each); the tree paths are computed the way treebeard does, so the tree stays valid
after every batch. Each batch's listing rows, with their search documents, title words and search
words, are made by the functions publishing uses (read_model.entry, suggest.title_word_rows,
read_model.terms_of) from the pages in memory rather than read back.

On PostgreSQL rows go in by COPY, a large load sets the tables' secondary indexes aside until the
end (events/bulk.py), and `--processes` share the events, each its own range of paths under the
listing. Not for a site in use: its listing's paths are taken when the command starts, and the
tables have no secondary index until it ends.
"""

import datetime as dt
import functools
import multiprocessing
import random
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from events import bulk, read_model, suggest
from events.caching import content_changed
from events.models import (
    EntryTitleWord,
    EventIndexPage,
    EventPage,
    EventSession,
    ListingEntry,
    Organizer,
    TicketType,
    Topic,
    Venue,
)
from events.search import COLUMNS, document_sql, title_sql, weighted_texts
from events.timestamps import time_zone

PLACES = [
    ("London", "GB", "Europe/London", 51.5074, -0.1278), ("Manchester", "GB", "Europe/London", 53.4808, -2.2426),
    ("Paris", "FR", "Europe/Paris", 48.8566, 2.3522), ("Berlin", "DE", "Europe/Berlin", 52.5200, 13.4050),
    ("Madrid", "ES", "Europe/Madrid", 40.4168, -3.7038), ("New York", "US", "America/New_York", 40.7128, -74.0060),
    ("Chicago", "US", "America/Chicago", 41.8781, -87.6298), ("Los Angeles", "US", "America/Los_Angeles", 34.0522, -118.2437),
    ("Toronto", "CA", "America/Toronto", 43.6532, -79.3832), ("Mexico City", "MX", "America/Mexico_City", 19.4326, -99.1332),
    ("São Paulo", "BR", "America/Sao_Paulo", -23.5505, -46.6333), ("Tokyo", "JP", "Asia/Tokyo", 35.6762, 139.6503),
    ("Mumbai", "IN", "Asia/Kolkata", 19.0760, 72.8777), ("Sydney", "AU", "Australia/Sydney", -33.8688, 151.2093),
    ("Auckland", "NZ", "Pacific/Auckland", -36.8485, 174.7633), ("Cape Town", "ZA", "Africa/Johannesburg", -33.9249, 18.4241),
    ("Nairobi", "KE", "Africa/Nairobi", -1.2921, 36.8219), ("Singapore", "SG", "Asia/Singapore", 1.3521, 103.8198),
]  # fmt: skip
# Venues per city, spread up to about 30 km around its centre: `near=` searches find some events
# a few km away and some tens of km away.
VENUES_PER_CITY = 5
CURRENCIES = {
    "GB": "GBP",
    "FR": "EUR",
    "DE": "EUR",
    "ES": "EUR",
    "US": "USD",
    "CA": "CAD",
    "MX": "MXN",
    "BR": "BRL",
    "JP": "JPY",
    "IN": "INR",
    "AU": "AUD",
    "NZ": "NZD",
    "ZA": "ZAR",
    "KE": "KES",
    "SG": "SGD",
}
TOPICS = [
    "Therapeutic alliance",
    "Trauma-informed care",
    "CBT",
    "DBT",
    "EMDR",
    "Ethics",
    "Clinician wellbeing",
    "Supervision",
    "Child and adolescent",
    "Addiction",
    "Couples therapy",
    "Grief",
    "Psychopharmacology",
    "Telehealth",
]
KINDS = ["Workshop", "Masterclass", "Seminar", "Webinar", "Intensive", "Forum", "Course", "Symposium"]
LEVELS = ["Introduction to", "Advanced", "Practical", "Essentials of", "Updates in", "Foundations of"]
LANGUAGES = ["en"] * 6 + ["es", "fr", "de", "ja", "pt"]


# The tables a run fills (their secondary indexes are set aside during a large one).
TABLES = [Page, EventPage, EventSession, TicketType, EventPage.topics.through, ListingEntry, EntryTitleWord]


class Command(BaseCommand):
    help = "Create N synthetic published events under the first event listing (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="Processes sharing the work (PostgreSQL; elsewhere one). Each writes its own range of paths.",
        )
        parser.add_argument(
            "--no-index",
            action="store_true",
            help="Skip Wagtail's search index (the admin's search will not find them).",
        )

    def handle(self, count, batch, seed, processes, no_index, **options):
        if count < 1 or processes < 1:
            raise CommandError("--count and --processes must be at least 1.")
        index = EventIndexPage.objects.order_by("path").first()
        if index is None:
            raise CommandError("No event listing page: run `manage.py seed_demo` (or create one in the admin) first.")
        # Each process commits its own batches, on a connection of its own: PostgreSQL, and not
        # inside a transaction (a test's).
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            processes = 1
        last = index.get_last_child()
        first = int(last.path[-Page.steplen :], 36) + 1 if last else 1
        sizes = [count // processes + (n < count % processes) for n in range(processes)]
        # (first step, number of events, seed) of each process: consecutive ranges of paths.
        parts = [(first + sum(sizes[:n]), size, f"{seed}-{n}") for n, size in enumerate(sizes) if size]
        work = dict(index_pk=index.pk, batch=batch, pools=pools(), no_index=no_index)
        started = time.monotonic()
        with bulk.indexes_set_aside(TABLES) if count >= EventPage.objects.count() else nullcontext():
            if len(parts) == 1:
                generate(*parts[0], **work, say=self.stdout.write)
            else:
                in_processes(parts, work)
            written = time.monotonic()
        self.stdout.write(
            f"Written in {written - started:.0f} s, secondary indexes made in {time.monotonic() - written:.0f} s."
        )
        content_changed()  # bulk inserts send no signals
        self.stdout.write(self.style.SUCCESS(f"Created {count} events."))


def in_processes(parts, work):
    """generate() each part in a process of its own."""
    connections.close_all()  # (each process opens its own)
    with ProcessPoolExecutor(len(parts), mp_context=multiprocessing.get_context("fork")) as executor:
        futures = [
            executor.submit(generate, *part, **work, say=functools.partial(print, f"[process {n + 1}]"))
            for n, part in enumerate(parts)
        ]
        for future in futures:
            future.result()


def pools():
    """(topics, organizers, venues) the events are made with, created the first time."""
    topics = [Topic.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0] for name in TOPICS]
    organizers = [
        Organizer.objects.get_or_create(
            slug=f"generated-organizer-{n}", defaults={"name": f"Clinical Training Group {n}"}
        )[0]
        for n in range(1, 41)
    ]
    spread = random.Random(0)  # the same venues, wherever they are made
    venues = []
    for city, country, zone, latitude, longitude in PLACES:
        for n in range(VENUES_PER_CITY):
            # (the first keeps the name it had before venues had coordinates, and gets them)
            position = {
                "latitude": Decimal(f"{latitude + (spread.uniform(-0.25, 0.25) if n else 0):.6f}"),
                "longitude": Decimal(f"{longitude + (spread.uniform(-0.3, 0.3) if n else 0):.6f}"),
            }
            venue, created = Venue.objects.get_or_create(
                name=f"{city} Training Centre" + (f" {n + 1}" if n else ""),
                city=city,
                defaults={"country": country, "time_zone": zone, "address": f"{n + 1} Main Street", **position},
            )
            if venue.latitude is None:  # saved, so that its events get them too (signals.py)
                venue.latitude, venue.longitude = position["latitude"], position["longitude"]
                venue.save(update_fields=["latitude", "longitude"])
            venues.append(venue)
    return topics, organizers, venues


def generate(first, count, seed, *, index_pk, batch, pools, no_index, say):
    """`count` events under the listing `index_pk`, at the steps from `first` on, a batch per transaction."""
    rng = random.Random(seed)
    restricted = read_model.restricted_paths()
    made = 0
    while made < count:
        size = min(batch, count - made)
        with transaction.atomic():
            index = EventIndexPage.objects.get(pk=index_pk)
            pages = make_pages(index, first + made, size, rng, pools)
            write_pages(pages)
            entries = [read_model.entry(page, index.pk, read_model.is_public(page.path, restricted)) for page in pages]
            write_entries(entries)
            # The listing's count of children last: the other processes wait for it until commit.
            Page.objects.filter(pk=index.pk).update(numchild=F("numchild") + size)
        if not no_index:
            index_for_search([page.pk for page in pages])
        made += size
        say(f"{made}/{count} events")


def make_pages(index, first, size, rng, pools):
    """`size` new event pages under `index` (in memory), at the steps from `first` on, with their
    sessions, ticket types and topics."""
    topics, organizers, venues = pools
    content_type = ContentType.objects.get_for_model(EventPage)
    now = timezone.now()
    pages = []
    for step in range(first, first + size):
        venue = rng.choice(venues)
        fmt = rng.choices(["in_person", "online", "hybrid"], weights=[6, 3, 2])[0]
        zone = time_zone(venue.time_zone)
        day = (now + dt.timedelta(days=rng.randint(-180, 365))).astimezone(zone).date()
        start = dt.datetime.combine(day, dt.time(rng.choice([8, 9, 10, 13, 17]), rng.choice([0, 30])), tzinfo=zone)
        spans = [
            (start + dt.timedelta(days=d), start + dt.timedelta(days=d, hours=rng.choice([1.5, 3, 6])))
            for d in range(rng.choice([1, 1, 1, 2, 3]))
        ]
        topic = rng.choice(topics)
        title = f"{rng.choice(LEVELS)} {topic.name}: {rng.choice(KINDS)} #{step}"
        slug = f"{slugify(title)}-{uuid.uuid4().hex[:6]}"
        prices = (
            [Decimal(0)]
            if rng.random() < 0.25
            else sorted(Decimal(rng.randrange(20, 600, 5)) for _ in range(rng.choice([1, 2])))
        )
        page = EventPage(
            title=title, draft_title=title, slug=slug, content_type=content_type, locale_id=index.locale_id,
            path=Page._get_path(index.path, index.depth + 1, step), depth=index.depth + 1, numchild=0,
            url_path=f"{index.url_path}{slug}/", live=True, has_unpublished_changes=False, translation_key=uuid.uuid4(),
            first_published_at=now, last_published_at=now,
            summary=f"A {topic.name.lower()} {rng.choice(KINDS).lower()} for clinicians in {venue.city}.",
            organizer=rng.choice(organizers), format=fmt, venue=None if fmt == "online" else venue, time_zone=venue.time_zone,
            language=rng.choice(LANGUAGES), currency=CURRENCIES[venue.country.code], ce_hours=Decimal(rng.choice([0, 0, 1.5, 3, 6])),
            capacity=rng.choice([None, 20, 50, 100, 1000]),
        )  # fmt: skip
        page.sessions = [EventSession(start=s, end=e, sort_order=n) for n, (s, e) in enumerate(spans)]
        page.ticket_types = [TicketType(name=f"Ticket {n + 1}", price=p, sort_order=n) for n, p in enumerate(prices)]
        page.topics = rng.sample(topics, rng.choice([1, 2]))  # (kept in Topic's order, as when read)
        page.refresh_summary_fields()
        pages.append(page)
    return pages


def write_pages(pages):
    """Page rows, then each page's own table, then what belongs to it."""
    for page, pk in zip(pages, bulk.reserve_ids(Page, len(pages)), strict=True):
        page.id = page.page_ptr_id = pk
    bulk.insert(Page, pages, Page._meta.concrete_fields)
    bulk.insert(EventPage, pages, EventPage._meta.local_concrete_fields)
    sessions, tickets, tags = [], [], []
    for page in pages:
        for session in page.sessions.all():
            session.page_id = page.pk
            sessions.append(session)
        for ticket in page.ticket_types.all():
            ticket.page_id = page.pk
            tickets.append(ticket)
        tags += [(page.pk, topic.pk) for topic in page.topics.all()]
    bulk.insert(EventSession, sessions, bulk.own_fields(EventSession))
    bulk.insert(TicketType, tickets, bulk.own_fields(TicketType))
    bulk.insert_values(EventPage.topics.through, ["eventpage", "topic"], tags)


def write_entries(entries):
    """The listing rows, title words and search words of new events, as read_model.sync writes them."""
    fields = [ListingEntry._meta.pk] + [ListingEntry._meta.get_field(name) for name in read_model.COPIED]
    if connection.vendor == "postgresql":
        copy_entries(entries, fields)
    else:
        bulk.insert(ListingEntry, entries, fields)
    words = suggest.title_word_rows(entries)
    bulk.insert_values(EntryTitleWord, ["entry", "word", "end"], words)
    suggest.add_title_words({word for _pk, word, _end in words})
    read_model.add_terms(read_model.terms_of(entries))


def copy_entries(entries, fields):
    """Each row written once with its search documents, as sync writes it (PostgreSQL). COPY cannot
    compute the document: the rows go by COPY into a temporary table with the text of each weight,
    then into the listing's by one INSERT … SELECT that computes it."""
    quote = connection.ops.quote_name
    table = quote(ListingEntry._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    texts = [f"weight_{weight.lower()}" for weight in COLUMNS]
    values = ([getattr(entry, field.attname) for field in fields] for entry in entries)
    rows = (row + weighted_texts(entry) for row, entry in zip(bulk.prepared(fields, values), entries, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE new_entries AS SELECT {columns} FROM {table} WITH NO DATA")
        cursor.execute(f"ALTER TABLE new_entries {', '.join(f'ADD COLUMN {text} text' for text in texts)}")
        bulk.copy("new_entries", [field.column for field in fields] + texts, rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}, search_document, title_document) "
            f"SELECT {columns}, {document_sql('search_config', texts)}, {title_sql('search_config', 'title')} "
            "FROM new_entries"
        )
        cursor.execute("DROP TABLE new_entries")


def index_for_search(pks):
    """Into Wagtail's search index (the admin's search)."""
    backend = get_search_backend()
    pages = EventPage.objects.filter(pk__in=pks).select_related("organizer", "venue").prefetch_related("topics")
    backend.add_bulk(EventPage, list(pages))
