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
