"""Bulk synthetic events for benchmarks: thousands a second, straight into the page tree.

Pages are inserted in batches rather than one `add_child` at a time (which costs several queries
and a revision each); the tree paths are computed the way treebeard does, so the tree stays valid.
"""

import datetime as dt
import random
import uuid
import zoneinfo
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from events import read_model
from events.caching import content_changed
from events.models import EventIndexPage, EventPage, EventSession, Organizer, TicketType, Topic, Venue

PLACES = [
    ("London", "GB", "Europe/London"), ("Manchester", "GB", "Europe/London"), ("Paris", "FR", "Europe/Paris"),
    ("Berlin", "DE", "Europe/Berlin"), ("Madrid", "ES", "Europe/Madrid"), ("New York", "US", "America/New_York"),
    ("Chicago", "US", "America/Chicago"), ("Los Angeles", "US", "America/Los_Angeles"), ("Toronto", "CA", "America/Toronto"),
    ("Mexico City", "MX", "America/Mexico_City"), ("São Paulo", "BR", "America/Sao_Paulo"), ("Tokyo", "JP", "Asia/Tokyo"),
    ("Mumbai", "IN", "Asia/Kolkata"), ("Sydney", "AU", "Australia/Sydney"), ("Auckland", "NZ", "Pacific/Auckland"),
    ("Cape Town", "ZA", "Africa/Johannesburg"), ("Nairobi", "KE", "Africa/Nairobi"), ("Singapore", "SG", "Asia/Singapore"),
]  # fmt: skip
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


class Command(BaseCommand):
    help = "Create N synthetic published events under the first event listing (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--no-index",
            action="store_true",
            help="Skip Wagtail's search index (the admin's search will not find them).",
        )

    def handle(self, count, batch, seed, no_index, **options):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        index = EventIndexPage.objects.order_by("path").first()
        if index is None:
            raise CommandError("No event listing page: run `manage.py seed_demo` (or create one in the admin) first.")
        rng = random.Random(seed)
        pools = self.pools()
        made = 0
        while made < count:
            size = min(batch, count - made)
            with transaction.atomic():
                index = EventIndexPage.objects.select_for_update().get(pk=index.pk)
                pages = self.insert_batch(index, size, rng, pools)
                read_model.sync(pages)  # what the listings read
            if not no_index:
                self.index(pages)
            made += size
            self.stdout.write(f"{made}/{count} events")
        content_changed()  # bulk inserts send no signals
        self.stdout.write(self.style.SUCCESS(f"Created {count} events."))

    def pools(self):
        topics = [Topic.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0] for name in TOPICS]
        organizers = [
            Organizer.objects.get_or_create(
                slug=f"generated-organizer-{n}", defaults={"name": f"Clinical Training Group {n}"}
            )[0]
            for n in range(1, 41)
        ]
        venues = [
            Venue.objects.get_or_create(
                name=f"{city} Training Centre",
                city=city,
                defaults={"country": country, "time_zone": zone, "address": "1 Main Street"},
            )[0]
            for city, country, zone in PLACES
        ]
        return topics, organizers, venues

    def insert_batch(self, index, size, rng, pools):
        topics, organizers, venues = pools
        content_type = ContentType.objects.get_for_model(EventPage)
        last = index.get_last_child()
        step = int(last.path[-Page.steplen :], 36) + 1 if last else 1
        now = timezone.now()
        pages, sessions, tickets, tags = [], [], [], []
        for i in range(size):
            venue = rng.choice(venues)
            fmt = rng.choices(["in_person", "online", "hybrid"], weights=[6, 3, 2])[0]
            zone = zoneinfo.ZoneInfo(venue.time_zone)
            day = (now + dt.timedelta(days=rng.randint(-180, 365))).astimezone(zone).date()
            start = dt.datetime.combine(day, dt.time(rng.choice([8, 9, 10, 13, 17]), rng.choice([0, 30])), tzinfo=zone)
            spans = [
                (start + dt.timedelta(days=d), start + dt.timedelta(days=d, hours=rng.choice([1.5, 3, 6])))
                for d in range(rng.choice([1, 1, 1, 2, 3]))
            ]
            topic = rng.choice(topics)
            title = f"{rng.choice(LEVELS)} {topic.name}: {rng.choice(KINDS)} #{step + i}"
            slug = f"{slugify(title)}-{uuid.uuid4().hex[:6]}"
            prices = (
                [Decimal(0)]
                if rng.random() < 0.25
                else sorted(Decimal(rng.randrange(20, 600, 5)) for _ in range(rng.choice([1, 2])))
            )
            page = EventPage(
                title=title, draft_title=title, slug=slug, content_type=content_type, locale_id=index.locale_id,
                path=Page._get_path(index.path, index.depth + 1, step + i), depth=index.depth + 1, numchild=0,
                url_path=f"{index.url_path}{slug}/", live=True, has_unpublished_changes=False, translation_key=uuid.uuid4(),
                first_published_at=now, last_published_at=now,
                summary=f"A {topic.name.lower()} {rng.choice(KINDS).lower()} for clinicians in {venue.city}.",
                organizer=rng.choice(organizers), format=fmt, venue=None if fmt == "online" else venue, time_zone=venue.time_zone,
                language=rng.choice(LANGUAGES), currency=CURRENCIES[venue.country.code], ce_hours=Decimal(rng.choice([0, 0, 1.5, 3, 6])),
                capacity=rng.choice([None, 20, 50, 100, 1000]),
            )  # fmt: skip
            page.sessions = [EventSession(start=s, end=e, sort_order=n) for n, (s, e) in enumerate(spans)]
            page.ticket_types = [
                TicketType(name=f"Ticket {n + 1}", price=p, sort_order=n) for n, p in enumerate(prices)
            ]
            page.refresh_summary_fields()
            pages.append(page)
        # Page rows first (bulk_create gives their ids), then each page's own table, then children.
        base_rows = Page.objects.bulk_create(
            [
                Page(**{f.attname: getattr(p, f.attname) for f in Page._meta.concrete_fields if f.attname != "id"})
                for p in pages
            ]
        )
        for page, row in zip(pages, base_rows, strict=True):
            page.pk = page.page_ptr_id = row.pk
        EventPage.objects._insert(
            pages, fields=EventPage._meta.local_concrete_fields
        )  # bulk_create refuses child tables
        for page in pages:
            sessions += [
                EventSession(page_id=page.pk, start=s.start, end=s.end, sort_order=s.sort_order)
                for s in page.sessions.all()
            ]
            tickets += [
                TicketType(page_id=page.pk, name=t.name, price=t.price, sort_order=t.sort_order)
                for t in page.ticket_types.all()
            ]
            tags += [
                EventPage.topics.through(eventpage_id=page.pk, topic_id=t.pk)
                for t in rng.sample(topics, rng.choice([1, 2]))
            ]
        EventSession.objects.bulk_create(sessions)
        TicketType.objects.bulk_create(tickets)
        EventPage.topics.through.objects.bulk_create(tags)
        Page.objects.filter(pk=index.pk).update(numchild=index.numchild + size)
        return [page.pk for page in pages]

    def index(self, pks):
        backend = get_search_backend()
        pages = EventPage.objects.filter(pk__in=pks).select_related("organizer", "venue").prefetch_related("topics")
        backend.add_bulk(EventPage, list(pages))
