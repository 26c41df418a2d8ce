"""Demo content: the alliance workshop and events around the world. Safe to run again."""

import datetime as dt
import html
import json
import zoneinfo
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Site

from events.models import (
    EvaluationTemplate,
    EventIndexPage,
    EventPage,
    EventQuestion,
    EventSession,
    Organizer,
    TicketType,
    Topic,
    Venue,
)  # fmt: skip
from home.demo import alliance
from home.models import ensure_home
from registrations.models import PromoCode

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "demo-admin-password"
DEMO_CODE = "ALLIANCE20"

TOPICS = [
    "Therapeutic alliance",
    "Trauma-informed care",
    "CBT",
    "Ethics",
    "Clinician wellbeing",
    "Supervision",
    "Child and adolescent",
    "Addiction",
]
ORGANIZERS = [
    ("Alliance Institute", "training@alliance-institute.example", "https://alliance-institute.example"),
    ("Northern Clinical Training", "hello@northern-clinical.example", ""),
    ("Pacific Therapy Network", "events@pacific-therapy.example", ""),
    ("Global Mental Health Forum", "info@gmhf.example", ""),
]
# What each organizer's invoices say, and its tax: CE workshops carry no sales tax in
# Massachusetts; UK VAT (20%) and Japan's consumption tax (10%) are included in the prices.
INVOICING = {
    "Alliance Institute": {
        "legal_name": "Alliance Institute, Inc.", "legal_address": "1 Seaport Lane\nBoston, MA 02210",
        "legal_country": "US", "tax_id": "12-3456789", "invoice_prefix": "AI",
    },
    "Northern Clinical Training": {
        "legal_name": "Northern Clinical Training Ltd", "legal_address": "10 King Street\nManchester M2 4LQ",
        "legal_country": "GB", "tax_id": "GB123456789", "tax_name": "VAT", "tax_rate": Decimal(20),
        "prices_include_tax": True, "invoice_prefix": "NCT",
    },
    "Pacific Therapy Network": {
        "legal_name": "Pacific Therapy Network K.K.", "legal_country": "JP", "tax_id": "T1234567890123",
        "tax_name": "Consumption tax", "tax_rate": Decimal(10), "prices_include_tax": True, "invoice_prefix": "PTN",
    },
}  # fmt: skip
VENUES = {
    "boston": (
        "Harborview Conference Center",
        "1 Seaport Lane",
        "Boston",
        "02210",
        "US",
        "42.351900",
        "-71.044800",
        "America/New_York",
    ),
    "london": (
        "Wellcome Hall",
        "183 Euston Road",
        "London",
        "NW1 2BE",
        "GB",
        "51.525900",
        "-0.134700",
        "Europe/London",
    ),
    "tokyo": (
        "Shibuya Learning Hub",
        "2-21-1 Shibuya",
        "Tokyo",
        "150-0002",
        "JP",
        "35.658000",
        "139.701600",
        "Asia/Tokyo",
    ),
    "sydney": (
        "Harbour Training Rooms",
        "10 Bridge Street",
        "Sydney",
        "2000",
        "AU",
        "-33.863900",
        "151.210600",
        "Australia/Sydney",
    ),
    "toronto": (
        "Lakeshore Institute",
        "100 Queens Quay W",
        "Toronto",
        "M5J 2Y3",
        "CA",
        "43.640100",
        "-79.380200",
        "America/Toronto",
    ),
    "berlin": (
        "Haus der Praxis",
        "Invalidenstraße 50",
        "Berlin",
        "10115",
        "DE",
        "52.530300",
        "13.380500",
        "Europe/Berlin",
    ),
    "madrid": (
        "Centro Clínico Retiro",
        "Calle de Alcalá 95",
        "Madrid",
        "28009",
        "ES",
        "40.421800",
        "-3.683400",
        "Europe/Madrid",
    ),
    "mexico": (
        "Foro Roma",
        "Colima 150",
        "Mexico City",
        "06700",
        "MX",
        "19.418300",
        "-99.160900",
        "America/Mexico_City",
    ),
    "mumbai": (
        "Bandra Wellness Centre",
        "Hill Road 24",
        "Mumbai",
        "400050",
        "IN",
        "19.054400",
        "72.834000",
        "Asia/Kolkata",
    ),
    "capetown": (
        "Waterfront Hall",
        "19 Dock Road",
        "Cape Town",
        "8001",
        "ZA",
        "-33.906000",
        "18.420000",
        "Africa/Johannesburg",
    ),
    "la": (
        "Westside Clinical Commons",
        "2000 Wilshire Blvd",
        "Los Angeles",
        "90057",
        "US",
        "34.057900",
        "-118.273000",
        "America/Los_Angeles",
    ),
    "auckland": (
        "Waitematā Rooms",
        "5 Quay Street",
        "Auckland",
        "1010",
        "NZ",
        "-36.843800",
        "174.767000",
        "Pacific/Auckland",
    ),
}
# The state or region, where the country's addresses name one ("Boston, MA 02210").
REGIONS = {"boston": "MA", "sydney": "NSW", "toronto": "ON", "mexico": "CDMX", "mumbai": "Maharashtra"}
# title, venue (None: online), zone, days from today (negative: past), sessions as (start, end), format,
# language, currency, tickets as (name, price), CE hours, topics, organizer index, featured
EVENTS = [
    (
        "Motivational Interviewing: Foundations",
        "london",
        "Europe/London",
        12,
        [("09:30", "16:30")],
        "in_person",
        "en",
        "GBP",
        [("Standard", "180"), ("NHS staff", "120")],
        "6",
        ["CBT", "Addiction"],
        1,
        True,
    ),
    (
        "Trauma-Informed Care in Primary Settings",
        "tokyo",
        "Asia/Tokyo",
        20,
        [("10:00", "17:00")],
        "in_person",
        "ja",
        "JPY",
        [("一般", "15000"), ("学生", "5000")],
        "6",
        ["Trauma-informed care"],
        3,
        False,
    ),
    (
        "Supervision That Sustains Clinicians",
        "sydney",
        "Australia/Sydney",
        33,
        [("09:00", "12:30"), ("13:30", "17:00")],
        "hybrid",
        "en",
        "AUD",
        [("In person", "240"), ("Online", "160")],
        "7",
        ["Supervision", "Clinician wellbeing"],
        2,
        False,
    ),
    (
        "Ethics and Boundaries in Telehealth",
        None,
        "America/Toronto",
        6,
        [("12:00", "15:00")],
        "online",
        "en",
        "CAD",
        [("Webinar", "60")],
        "3",
        ["Ethics"],
        1,
        False,
    ),
    (
        "Free Community Forum: Burnout and Recovery",
        "toronto",
        "America/Toronto",
        15,
        [("18:00", "20:30")],
        "in_person",
        "en",
        "CAD",
        [("Free", "0")],
        "0",
        ["Clinician wellbeing"],
        3,
        True,
    ),
    (
        "Kinder- und Jugendpsychotherapie heute",
        "berlin",
        "Europe/Berlin",
        41,
        [("09:00", "17:00"), ("09:00", "13:00")],
        "in_person",
        "de",
        "EUR",
        [("Regulär", "290")],
        "12",
        ["Child and adolescent"],
        3,
        False,
    ),
    (
        "La alianza terapéutica en la práctica clínica",
        "madrid",
        "Europe/Madrid",
        26,
        [("10:00", "14:00")],
        "hybrid",
        "es",
        "EUR",
        [("General", "90"), ("Estudiante", "45")],
        "4",
        ["Therapeutic alliance"],
        0,
        False,
    ),
    (
        "Intervención en crisis: taller intensivo",
        "mexico",
        "America/Mexico_City",
        48,
        [("09:00", "18:00")],
        "in_person",
        "es",
        "MXN",
        [("General", "2500")],
        "8",
        ["Trauma-informed care"],
        3,
        False,
    ),
    (
        "CBT for Anxiety: Skills Lab",
        "mumbai",
        "Asia/Kolkata",
        9,
        [("10:00", "16:00")],
        "in_person",
        "en",
        "INR",
        [("Standard", "4500"), ("Student", "1500")],
        "5",
        ["CBT"],
        2,
        False,
    ),
    (
        "Addiction Counselling Update",
        "capetown",
        "Africa/Johannesburg",
        37,
        [("08:30", "15:30")],
        "in_person",
        "en",
        "ZAR",
        [("Standard", "1800")],
        "6",
        ["Addiction"],
        3,
        False,
    ),
    (
        "Mindful Self-Care for Therapists",
        None,
        "America/Los_Angeles",
        3,
        [("17:00", "18:30")],
        "online",
        "en",
        "USD",
        [("Free", "0")],
        "1.5",
        ["Clinician wellbeing"],
        0,
        False,
    ),
    (
        "Group Therapy Intensive",
        "la",
        "America/Los_Angeles",
        55,
        [("09:00", "17:00"), ("09:00", "17:00"), ("09:00", "13:00")],
        "in_person",
        "en",
        "USD",
        [("Standard", "495"), ("Early bird", "395")],
        "18",
        ["Supervision"],
        2,
        False,
    ),
    (
        "Working with Families after Disaster",
        "auckland",
        "Pacific/Auckland",
        62,
        [("09:00", "16:00")],
        "hybrid",
        "en",
        "NZD",
        [("Standard", "320")],
        "6",
        ["Trauma-informed care", "Child and adolescent"],
        2,
        False,
    ),
    (
        "Research Roundtable: Alliance Ruptures and Repair",
        None,
        "Europe/London",
        18,
        [("15:00", "17:00")],
        "online",
        "en",
        "GBP",
        [("Free", "0")],
        "2",
        ["Therapeutic alliance"],
        0,
        True,
    ),
    (
        "Clinical Documentation without Burnout",
        None,
        "America/New_York",
        24,
        [("13:00", "14:30")],
        "online",
        "en",
        "USD",
        [("Webinar", "35")],
        "1.5",
        ["Clinician wellbeing", "Ethics"],
        1,
        False,
    ),
    (
        "Dialectical Behaviour Therapy Essentials",
        "london",
        "Europe/London",
        75,
        [("09:30", "16:30"), ("09:30", "16:30")],
        "in_person",
        "en",
        "GBP",
        [("Standard", "380")],
        "12",
        ["CBT"],
        1,
        False,
    ),
    (
        "Adolescent Substance Use: What Works",
        "boston",
        "America/New_York",
        44,
        [("09:00", "12:00")],
        "hybrid",
        "en",
        "USD",
        [("In person", "95"), ("Online", "65")],
        "3",
        ["Addiction", "Child and adolescent"],
        0,
        False,
    ),
    (
        "Introducción a la supervisión clínica",
        None,
        "America/Mexico_City",
        30,
        [("17:00", "19:00")],
        "online",
        "es",
        "MXN",
        [("Gratis", "0")],
        "2",
        ["Supervision"],
        3,
        False,
    ),
    # Past events, for "include past" and certificates later.
    (
        "Spring Symposium on Psychotherapy Outcomes",
        "boston",
        "America/New_York",
        -40,
        [("09:00", "17:00")],
        "in_person",
        "en",
        "USD",
        [("Standard", "220")],
        "7",
        ["Therapeutic alliance"],
        0,
        False,
    ),
    (
        "Trauma Recovery Retreat for Clinicians",
        "sydney",
        "Australia/Sydney",
        -21,
        [("10:00", "15:00")],
        "in_person",
        "en",
        "AUD",
        [("Standard", "150")],
        "5",
        ["Clinician wellbeing", "Trauma-informed care"],
        2,
        False,
    ),
    (
        "Ethics Hour: Confidentiality Online",
        None,
        "Europe/Berlin",
        -7,
        [("18:00", "19:00")],
        "online",
        "de",
        "EUR",
        [("Kostenlos", "0")],
        "1",
        ["Ethics"],
        3,
        False,
    ),
    (
        "Postponed: Play Therapy Masterclass",
        "madrid",
        "Europe/Madrid",
        90,
        [("10:00", "17:00")],
        "in_person",
        "en",
        "EUR",
        [("Standard", "210")],
        "6",
        ["Child and adolescent"],
        0,
        False,
        "postponed",
    ),
]


def local(zone, day, clock):
    hour, minute = map(int, clock.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(zone))


def sessions_for(zone, first_day, spans):
    return [
        EventSession(
            start=local(zone, first_day + dt.timedelta(days=i), start),
            end=local(zone, first_day + dt.timedelta(days=i), end),
        )
        for i, (start, end) in enumerate(spans)
    ]


class Command(BaseCommand):
    help = "Create the demo content (the alliance workshop and ~20 events worldwide). Running it again changes nothing."

    @transaction.atomic
    def handle(self, *args, **options):
        home = ensure_home()
        index = EventIndexPage.objects.child_of(home).first()
        if index is None:
            index = home.add_child(
                instance=EventIndexPage(
                    title="Events",
                    slug="events",
                    intro="<p>Workshops, courses and forums for clinicians, worldwide.</p>",
                )
            )
            index.save_revision().publish()
        topics = {name: Topic.objects.get_or_create(name=name, defaults={"slug": slugify(name)})[0] for name in TOPICS}
        organizers = [
            Organizer.objects.get_or_create(
                name=n, defaults={"slug": slugify(n), "email": e, "website": w, **INVOICING.get(n, {})}
            )[0]
            for n, e, w in ORGANIZERS
        ]
        venues = {}
        for key, (name, address, city, postal, country, lat, lon, zone) in VENUES.items():
            venues[key], _ = Venue.objects.get_or_create(
                name=name,
                city=city,
                defaults={
                    "address": address,
                    "postal_code": postal,
                    "region": REGIONS.get(key, ""),
                    "country": country,
                    "latitude": Decimal(lat),
                    "longitude": Decimal(lon),
                    "time_zone": zone,
                },
            )
        today = timezone.now().date()
        created = 0
        created += self.alliance_workshop(index, today, topics, organizers[0], venues["boston"])
        for row in EVENTS:
            (
                title,
                venue,
                zone,
                days,
                spans,
                fmt,
                language,
                currency,
                tickets,
                ce,
                topic_names,
                organizer,
                featured,
                *status,
            ) = row
            if EventPage.objects.filter(slug=slugify(title)).exists():
                continue
            page = EventPage(
                title=title,
                slug=slugify(title),
                summary=f"{title}: a {'workshop' if float(ce) >= 3 else 'session'} for mental health professionals.",
                body=json.dumps(
                    [
                        {
                            "type": "paragraph",
                            "value": f"<p>{html.escape(title)} brings clinicians together to learn, practise and discuss.</p>",
                        }
                    ]
                ),
                time_zone=zone,
                format=fmt,
                venue=venues[venue] if venue else None,
                online_url="https://meet.example/demo" if fmt != "in_person" else "",
                language=language,
                currency=currency,
                ce_hours=Decimal(ce),
                ce_accreditor="Demo Accreditation Board" if Decimal(ce) else "",
                organizer=organizers[organizer],
                featured=featured,
                status=status[0] if status else "scheduled",
                capacity=40,
            )
            page.sessions = sessions_for(zone, today + dt.timedelta(days=days), spans)
            page.ticket_types = [
                TicketType(name=name, price=Decimal(price), for_ce_credit=name != "Student") for name, price in tickets
            ]
            page.topics = [topics[name] for name in topic_names]
            index.add_child(instance=page)
            page.save_revision().publish()
            created += 1
        self.ensure_admin()
        self.ensure_site_address()
        self.stdout.write(
            self.style.SUCCESS(f"Demo content ready: {created} events created, {EventPage.objects.count()} in all.")
        )

    def alliance_workshop(self, index, today, topics, organizer, venue):
        slug = "therapeutic-alliance-workshop"
        if EventPage.objects.filter(slug=slug).exists():
            return 0
        body = [
            {"type": "questions", "value": {"heading": "Guiding questions", "questions": alliance.QUESTIONS}},
            {"type": "heading", "value": "Description"},
        ]
        body += [{"type": "paragraph", "value": f"<p>{html.escape(text)}</p>"} for text in alliance.DESCRIPTION]
        page = EventPage(
            title=alliance.TITLE,
            slug=slug,
            summary=alliance.SUMMARY,
            body=json.dumps(body),
            learning_objectives=json.dumps([{"type": "objective", "value": text} for text in alliance.OBJECTIVES]),
            presenters=json.dumps(
                [
                    {
                        "type": "presenter",
                        "value": {
                            "name": "Workshop presenter",
                            "credentials": "LCSW",
                            "bio": "A clinician and educator with many years in community mental health.",
                        },
                    }
                ]
            ),
            evaluation_template=self.standard_evaluation(organizer),
            evaluation=json.dumps(
                [
                    {
                        "type": "rating",
                        "value": {
                            "question": "How useful was this session for your practice?",
                            "asked_for": "session",
                            "required": True,
                            "scale": 5,
                            "lowest": "Not useful",
                            "highest": "Very useful",
                        },
                    },
                    {
                        "type": "rating",
                        "value": {
                            "question": "The presenter explained the material clearly",
                            "asked_for": "presenter",
                            "required": True,
                            "scale": 5,
                            "lowest": "Disagree",
                            "highest": "Agree",
                        },
                    },
                    {
                        "type": "text",
                        "value": {
                            "question": "What will you do differently with your clients?",
                            "asked_for": "event",
                            "required": False,
                        },
                    },
                ]
            ),  # fmt: skip
            evaluation_required=True,
            time_zone="America/New_York",
            format="hybrid",
            venue=venue,
            online_url="https://meet.example/alliance",
            language="en",
            currency="USD",
            ce_hours=Decimal(6),
            ce_accreditor="Demo Accreditation Board",
            organizer=organizer,
            featured=True,
            capacity=60,
            cancellation_policy="<p>Full refund up to 7 days before the workshop.</p>",
            terms=(
                "Sessions are not recorded. A certificate states the hours of the sessions you attended; "
                "your answers below are seen only by the organizer's team."
            ),
        )
        day, zone = today + dt.timedelta(days=14), "America/New_York"
        page.sessions = [
            EventSession(title="Morning", start=local(zone, day, "09:00"), end=local(zone, day, "12:00")),
            EventSession(title="Afternoon", start=local(zone, day, "13:00"), end=local(zone, day, "16:00")),
        ]
        page.ticket_types = [
            TicketType(name="Clinician", price=Decimal("149.00")),
            TicketType(
                name="Student",
                price=Decimal("79.00"),
                description="For students in a clinical programme",
                for_ce_credit=False,  # not licensed yet: no profession or licence asked
            ),
        ]
        page.questions = [
            EventQuestion(
                label="Licensing board", kind=EventQuestion.Kind.CHOICE,
                choices="State board of social work\nState board of psychology\nOther", required=False,
            ),
            EventQuestion(
                label="Access needs", kind=EventQuestion.Kind.SHORT_TEXT, at_check_in=True,
                help_text="Anything that would make the day easier for you: step-free access, a hearing loop, dietary needs.",
            ),
        ]  # fmt: skip
        page.topics = [topics["Therapeutic alliance"], topics["Clinician wellbeing"]]
        index.add_child(instance=page)
        page.save_revision().publish()
        PromoCode.objects.get_or_create(
            organizer=organizer, code=DEMO_CODE,
            defaults={"event": page, "value": Decimal(20), "note": "Demo: 20% off the alliance workshop"},
        )  # fmt: skip
        self.stdout.write(f"Demo code: {DEMO_CODE} (20% off the alliance workshop)")
        return 1

    def standard_evaluation(self, organizer):
        """The organizer's standard form, as an accrediting body asks for it at every event."""
        questions = [
            {"type": "rating", "value": {
                "question": "The learning objectives were met", "asked_for": "event", "required": True,
                "scale": 5, "lowest": "Not at all", "highest": "Fully",
            }},
            {"type": "choice", "value": {
                "question": "Was the content free of commercial bias?", "asked_for": "event", "required": True,
                "choices": ["Yes", "No"], "several": False,
            }},
            {"type": "choice", "value": {
                "question": "How will you use what you learned?", "asked_for": "event", "required": False,
                "choices": ["In my clinical work", "In supervision", "In teaching", "Not yet sure"], "several": True,
            }},
        ]  # fmt: skip
        template, _created = EvaluationTemplate.objects.get_or_create(
            name="Standard CE evaluation", organizer=organizer, defaults={"questions": json.dumps(questions)}
        )
        return template

    def ensure_admin(self):
        User = get_user_model()
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            User.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)
        admin_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/admin/"
        self.stdout.write(f"Admin login: {admin_url}  user {ADMIN_USERNAME}  password {ADMIN_PASSWORD}")

    def ensure_site_address(self):
        """The default Site on the address the demo is served at (BASE_URL), so that the links
        Wagtail builds from the Site (sitemap, admin "view live") lead to it."""
        address = urlsplit(settings.WAGTAILADMIN_BASE_URL)
        if not address.hostname:
            return
        port = address.port or (443 if address.scheme == "https" else 80)
        site = Site.objects.filter(is_default_site=True).first()
        if site and (site.hostname, site.port) != (address.hostname, port):
            site.hostname, site.port = address.hostname, port
            site.save()
