"""What is published: events, their sessions and ticket types, and the snippets they point to.

Times are aware datetimes stored in UTC beside the event's IANA zone; an event's start and end,
place and prices are copied from its sessions, venue and ticket types when it is saved, so that
listings filter and sort in the database and in the search index (see `EventPage.refresh_summary_fields`).
"""

import datetime as dt
import html
import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.html import strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page, PageManager, PagePermissionTester, PageQuerySet
from wagtail.search import index

from . import conf, money
from .admin_widgets import VenuePinInput
from .blocks import BodyBlock, EvaluationBlock, PresenterBlock
from .children import keep, rows_of
from .evaluation import questions_of
from .fields import CurrencyField, LanguageField, TimeZoneField, language_name, tax_rate_field
from .forms import EventPageForm, QuestionsPanel
from .http_cache import shared_route
from .protection import check_removals, publish_refusal, unschedule
from .routing import CachedRouting, cached, held, kept_row
from .timestamps import time_zone

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
LONGEST_SESSION = dt.timedelta(hours=24)


class SluggedSnippet(models.Model):
    """A snippet with a name and a unique slug made from it when left blank."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        blank=True,
        help_text=_("Used in addresses and filters; made from the name when left blank."),
    )

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            base = slugify(self.name)[:190] or "item"
            slug, n = base, 1
            while type(self).objects.filter(slug=slug).exclude(pk=self.pk).exists():
                n += 1
                slug = f"{base}-{n}"
            self.slug = slug
        super().save(*args, **kwargs)


class Topic(index.Indexed, SluggedSnippet):
    panels = [FieldPanel("name"), FieldPanel("slug")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta(SluggedSnippet.Meta):
        verbose_name = _("topic")
        verbose_name_plural = _("topics")


class Organizer(index.Indexed, SluggedSnippet):
    email = models.EmailField(_("contact email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "auth.Group",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organizers",
        help_text=_("Members of this group manage the organizer's events, registrations and check-in."),
    )
    certificate_signatory = models.CharField(_("certificate signatory"), max_length=200, blank=True)
    certificate_signatory_title = models.CharField(_("signatory's title"), max_length=200, blank=True)
    # Who sells: what receipts and invoices name as the seller, and the tax on its tickets.
    legal_name = models.CharField(
        _("legal name"), max_length=200, blank=True, help_text=_("On receipts and invoices; blank: the name above.")
    )
    legal_address = models.TextField(_("address"), max_length=500, blank=True)
    legal_country = CountryField(_("country"), blank=True)
    tax_id = models.CharField(_("tax id"), max_length=50, blank=True, help_text=_("VAT number, EIN, or the like."))
    tax_name = models.CharField(
        _("tax name"), max_length=30, blank=True, help_text=_("As buyers know it: VAT, IVA, sales tax, GST.")
    )
    tax_rate = tax_rate_field(
        _("tax rate (percent)"),
        help_text=_("The rate of its tickets unless a ticket type sets its own; blank: no tax."),
    )
    prices_include_tax = models.BooleanField(
        _("prices include tax"), default=True,
        help_text=_("Ticked: a ticket's price is what buyers pay (as in Europe). Unticked: the tax is added (as in the US)."),
    )  # fmt: skip
    automatic_tax = models.BooleanField(
        _("Stripe calculates the tax"), default=False,
        help_text=_(
            "Stripe Tax works out the tax from the buyer's country and the tax registrations at Stripe (for "
            "online events sold to consumers in many countries); the rates here are then unused."
        ),
    )  # fmt: skip
    invoice_prefix = models.CharField(
        _("invoice number prefix"), max_length=12, blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$", _("Use only letters, digits and -."))],
        help_text=_("Invoices are numbered PREFIX-00001, credit notes PREFIX-CN-00001; blank: from the slug."),
    )  # fmt: skip

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("email"),
        FieldPanel("website"),
        FieldPanel("description"),
        FieldPanel("team"),
        MultiFieldPanel(
            [FieldPanel("logo"), FieldPanel("certificate_signatory"), FieldPanel("certificate_signatory_title")],
            heading=_("Certificates"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("legal_name"),
                FieldPanel("legal_address"),
                FieldRowPanel([FieldPanel("legal_country"), FieldPanel("tax_id")]),
                FieldRowPanel([FieldPanel("tax_name"), FieldPanel("tax_rate"), FieldPanel("prices_include_tax")]),
                FieldPanel("automatic_tax"),
                FieldPanel("invoice_prefix"),
            ],
            heading=_("Invoices and tax"),
        ),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta(SluggedSnippet.Meta):
        verbose_name = _("organizer")
        verbose_name_plural = _("organizers")


class EvaluationTemplate(models.Model):
    """Evaluation questions an organizer asks at many events (an accrediting body's standard form):
    an event that uses it asks these first, then its own."""

    name = models.CharField(_("name"), max_length=200)
    organizer = models.ForeignKey(
        Organizer, verbose_name=_("organizer"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="evaluation_templates", help_text=_("Whose events may use it; blank: every organizer's."),
    )  # fmt: skip
    questions = StreamField(EvaluationBlock(), verbose_name=_("questions"))

    panels = [FieldPanel("name"), FieldPanel("organizer"), FieldPanel("questions")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("evaluation template")
        verbose_name_plural = _("evaluation templates")

    def __str__(self):
        return f"{self.name} ({self.organizer})" if self.organizer_id else self.name


class Venue(index.Indexed, models.Model):
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("street address"), blank=True)
    city = models.CharField(_("city"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    region = models.CharField(
        _("state or region"),
        max_length=100,
        blank=True,
        help_text=_("Where the country's addresses name one, such as MA in “Boston, MA 02210”."),
    )
    country = CountryField(_("country"))
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    time_zone = TimeZoneField(
        _("time zone"), help_text=_("The IANA zone of the venue, such as Europe/London; new events here default to it.")
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("address"),
        FieldRowPanel([FieldPanel("city"), FieldPanel("region"), FieldPanel("postal_code")]),
        FieldRowPanel([FieldPanel("country"), FieldPanel("time_zone")]),
        # The longitude's widget draws the map whose pin fills in both (venue_editor.py).
        FieldRowPanel(
            [FieldPanel("latitude"), FieldPanel("longitude", widget=VenuePinInput())], heading=_("Map position")
        ),
    ]
    search_fields = [index.SearchField("name"), index.SearchField("city"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")

    def __str__(self):
        return f"{self.name}, {self.city}"

    def clean(self):
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))


class EventIndexPage(RoutablePageMixin, CachedRouting, Page):
    """The listing: /events/ with filters and search, its JSON twin lives at /api/events/."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["events.EventPage"]

    class Meta:
        verbose_name = _("event listing")

    # The title a new listing gets. Left as it is, it is shown in the visitor's language; an
    # editor's own title is content, shown as typed (the site has one page tree for both languages).
    DEFAULT_TITLE = "Events"

    @property
    def heading(self):
        return _("Events") if self.title == self.DEFAULT_TITLE else self.title

    @property
    def summary(self):
        """What search results show under the listing's title when the editor wrote no search
        description: its introduction as plain text, as an event's summary is. A layout that asks
        every page for `summary` then finds one here too (a template's lookup of a missing
        attribute costs it a `dir()` of the page)."""
        return html.unescape(strip_tags(self.intro)).strip()

    def events(self):
        """What this listing shows: its live, public events (the read model's rows; read_model.py)."""
        return ListingEntry.objects.filter(listing_id=self.pk, public=True)

    children_cache_setting = "EVENTS_PAGE_CACHE_SECONDS"  # events: kept as long as their content

    def children(self, model):
        # An event page shows these, and its registration box the ticket types, at every request:
        # its sessions and ticket types come in the same query as JSON (children.py), its topics'
        # ids from its listing row (EventPage.shown_topics), its venue and organizer by id from the
        # routing cache (`child`: joined here, they made this query a third slower).
        listed_topic_ids = ListingEntry.objects.filter(page=models.OuterRef("pk")).values("topic_ids")
        children = super().children(model)
        shown = {f"shown_{name}": rows_of(model._meta.get_field(name), model) for name in model.SHOWN_WITH}
        if None in shown.values():  # a database without JSON_ROWS: `details` fetches them
            shown = {}
        return children.annotate(listed_topic_ids=models.Subquery(listed_topic_ids), **shown)

    def child(self, model, slug):
        page = super().child(model, slug)
        if page is None:
            return None
        for name in model.SHOWN_WITH:
            if f"shown_{name}" in page.__dict__:
                keep(page, name, page.__dict__.pop(f"shown_{name}"))
        for name in ("venue", "organizer"):
            related = model._meta.get_field(name).related_model
            pk = getattr(page, f"{name}_id")
            if pk is not None and (row := kept_row(related, pk)) is not None:
                setattr(page, name, row)
        return page

    @path("")
    @shared_route
    def listing(self, request):
        from django.core.paginator import InvalidPage

        from .caching import content_version
        from .listing import page_number, paginate_or_correct, search_events

        # Validating the parameters is cheap and gives the cache's key; the events are fetched only
        # when the template needs them: a listing served from the cache does not.
        search = search_events(request.GET, self.events())
        number = page_number(request.GET.get("page"))
        context = {
            "search": search,
            "page_number": number,
            "cache_seconds": conf.get("EVENTS_LISTING_CACHE_SECONDS"),
            "form_cache_seconds": 0 if search.errors else conf.get("EVENTS_LISTING_CACHE_SECONDS"),
            "content_version": content_version(),
        }
        try:
            if number is None:
                raise InvalidPage
            page, correction = paginate_or_correct(search, number, conf.get("EVENTS_PAGE_SIZE"))
        except InvalidPage:
            # (not kept: the message repeats what was asked, and it costs nothing to write)
            context.update(missing_page=request.GET.get("page"), cache_seconds=0)
            response = self.render(request, context_overrides=context)
            response.status_code = 404
            return response
        context.update(events_page=page, correction=correction)
        return self.render(request, context_overrides=context)

    def get_cached_paths(self):
        """What a front-end cache keeps of the listing, each purged with any query (purge.py)."""
        return ["/", "ical/", "feed/", "rss/"]

    @path("ical/")
    @shared_route
    def ical_feed(self, request):
        from .views import listing_calendar

        return listing_calendar(request, self.events(), name=str(self.heading))

    @path("feed/")
    @shared_route
    def atom_feed(self, request):
        from .syndication import listing_feed

        return listing_feed(request, self, "atom")

    @path("rss/")
    @shared_route
    def rss_feed(self, request):
        from .syndication import listing_feed

        return listing_feed(request, self, "rss")

    @path("subscribe/")
    def subscribe(self, request):
        """New events of this listing's filters (or of one organizer) by email: the form (subscription_views.py)."""
        from .subscription_views import subscribe

        return subscribe(request, self)


class EventPageQuerySet(PageQuerySet):
    def upcoming(self, now=None):
        """Events not yet over."""
        return self.filter(end__gte=now or timezone.now())

    def soonest_first(self, now=None):
        """Events not yet over, soonest first, then past ones, most recent first (undated last):
        the order an organizer looks for their events in."""
        return self.order_by(*soonest_first(now=now))


def soonest_first(prefix="", now=None):
    """The ordering of `EventPageQuerySet.soonest_first`, for a query that reaches events through
    `prefix` (such as "page__" from a ticket type)."""
    now = now or timezone.now()
    start, past = models.F(f"{prefix}start"), models.Q(**{f"{prefix}end__lt": now})
    return (
        models.Case(models.When(**{f"{prefix}start__isnull": True}, then=2), models.When(past, then=1), default=0),
        models.Case(models.When(past, then=None), default=start).asc(),
        start.desc(nulls_last=True),
        f"{prefix}title",
        f"{prefix}pk",
    )


EventPageManager = PageManager.from_queryset(EventPageQuerySet)


class EventPermissionTester(PagePermissionTester):
    """Wagtail grants page permissions on the events listing, so they reach every event under it.
    On another organizer's event a team member has none of them: no edit, preview, draft view,
    revisions or history, whatever the address."""

    def __init__(self, user, page):
        super().__init__(user, page)
        from .applications import may_edit_event

        if user.is_active and not user.is_superuser and not may_edit_event(user, page):
            self.permissions = set()


class EventPage(RoutablePageMixin, CachedRouting, Page):
    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        POSTPONED = "postponed", _("Postponed")
        CANCELLED = "cancelled", _("Cancelled")

    summary = models.TextField(
        _("summary"), max_length=500, help_text=_("One or two sentences for listings and search results.")
    )
    body = StreamField(BodyBlock(), verbose_name=_("description"), blank=True)
    learning_objectives = StreamField(
        [("objective", blocks.CharBlock(max_length=300, label=_("Objective")))],
        verbose_name=_("learning objectives"),
        blank=True,
    )
    presenters = StreamField([("presenter", PresenterBlock())], verbose_name=_("presenters"), blank=True)
    organizer = models.ForeignKey(
        Organizer, verbose_name=_("organizer"), on_delete=models.PROTECT, related_name="events", null=True
    )
    topics = ParentalManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="events")
    featured = models.BooleanField(_("featured on the home page"), default=False)
    featured_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("featured image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.IN_PERSON)
    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    online_url = models.URLField(_("online join link"), blank=True, help_text=_("Shown only to confirmed registrants."))
    time_zone = TimeZoneField(
        _("time zone"), blank=True, help_text=_("Times are entered and shown in this zone. Blank: the venue's.")
    )
    language = LanguageField(_("language"), default="en")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)

    ce_hours = models.DecimalField(
        _("CE credit hours"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0), MaxValueValidator(500)],
    )
    ce_accreditor = models.CharField(_("accrediting body"), max_length=200, blank=True)

    class Credit(models.TextChoices):
        SESSION = "session", _("Whole sessions")
        MINUTE = "minute", _("Minutes attended")

    attendance_credit = models.CharField(
        _("attendance counts by"), max_length=10, choices=Credit.choices, default=Credit.SESSION,
        help_text=_(
            "Whole sessions: each session attended counts in full. Minutes attended: from arrival (the door's "
            "scan, or joining online) to leaving (a check-out scan) or the session's end."
        ),
    )  # fmt: skip
    attendance_codes = models.BooleanField(
        _("online attendees confirm with a code"), default=False,
        help_text=_(
            "Each session has a short code (on the check-in page) that presenters show during it; online "
            "attendees enter it on their ticket. Joining online then counts only with the code."
        ),
    )  # fmt: skip
    minimum_attendance = models.PositiveSmallIntegerField(
        _("minimum share of a session (%)"), default=0, validators=[MaxValueValidator(100)],
        help_text=_("A session counts only when at least this share of it was attended; 0: any attendance counts."),
    )  # fmt: skip

    evaluation_template = models.ForeignKey(
        EvaluationTemplate, verbose_name=_("evaluation template"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="events",
        help_text=_("Its questions are asked first, then this event's own below."),
    )  # fmt: skip
    evaluation = StreamField(EvaluationBlock(), verbose_name=_("evaluation questions"), blank=True)
    evaluation_required = models.BooleanField(
        _("certificate only after the evaluation"), default=False,
        help_text=_("Attendees receive their certificate of attendance once they have submitted the evaluation."),
    )  # fmt: skip
    evaluation_anonymous = models.BooleanField(
        _("anonymous answers"), default=True,
        help_text=_("The results and their export never say who answered what."),
    )  # fmt: skip

    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Seats in all; leave blank for no limit.")
    )
    currency = CurrencyField(_("currency"), default="USD", help_text=_("One currency for all of this event's tickets."))
    registration_opens = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes = models.DateTimeField(
        _("registration closes"), null=True, blank=True, help_text=_("Blank: when the event starts.")
    )
    cancellation_policy = RichTextField(_("cancellation policy"), blank=True, features=["bold", "italic", "link", "ul"])
    transfer_deadline_days = models.PositiveSmallIntegerField(
        _("attendees may hand their ticket on until (days before)"), null=True, blank=True,
        help_text=_(
            "Attendees can correct the name on their ticket or hand it to a colleague up to this many days "
            "before the event (0: until it starts). Blank: only organizers can."
        ),
    )  # fmt: skip
    terms = models.TextField(
        _("terms of registration"), blank=True,
        help_text=_("Buyers must accept these to register; what each accepted is kept with their order."),
    )  # fmt: skip
    cancellation_deadline_days = models.PositiveSmallIntegerField(
        _("attendees may cancel until (days before)"), null=True, blank=True, default=7,
        help_text=_("Attendees can cancel themselves, with a full refund, up to this many days before the event. Blank: only organizers can cancel."),
    )  # fmt: skip

    # Summary fields, copied on save from sessions, venue and ticket types (not edited by hand).
    start = models.DateTimeField(_("starts"), null=True, editable=False)  # indexed with end, in Meta
    end = models.DateTimeField(_("ends"), null=True, editable=False, db_index=True)
    local_start_date = models.DateField(null=True, editable=False, db_index=True)
    local_end_date = models.DateField(null=True, editable=False, db_index=True)
    city = models.CharField(max_length=100, blank=True, editable=False, db_index=True)
    country = models.CharField(max_length=2, blank=True, editable=False, db_index=True)
    price_min = models.DecimalField(max_digits=10, decimal_places=2, null=True, editable=False, db_index=True)
    price_max = models.DecimalField(max_digits=10, decimal_places=2, null=True, editable=False)
    # The public calendars' SEQUENCE, raised on publish when what they say changes (ical.py).
    calendar_sequence = models.PositiveIntegerField(default=0, editable=False)
    calendar_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # Every ticket taken: kept by the app that sells them (under its lock), never by an editor, and
    # shown by listings. A revision never carries it (with_content_json).
    sold_out = models.BooleanField(_("sold out"), default=False, editable=False)

    objects = EventPageManager()
    base_form_class = EventPageForm
    # What the page shows of its children, fetched with it when routed to (routing.py); its topics
    # come by their ids in its listing row (shown_topics)
    SHOWN_WITH = ("ticket_types", "sessions")

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        MultiFieldPanel(
            [InlinePanel("sessions", min_num=1, label=_("Session")), FieldPanel("time_zone")], heading=_("When")
        ),
        MultiFieldPanel([FieldPanel("format"), FieldPanel("venue"), FieldPanel("online_url")], heading=_("Where")),
        FieldPanel("body"),
        FieldPanel("learning_objectives"),
        FieldPanel("presenters"),
        MultiFieldPanel(
            [
                FieldPanel("organizer"),
                FieldPanel("topics"),
                FieldPanel("language"),
                FieldPanel("featured_image"),
                FieldPanel("featured"),
            ],
            heading=_("About"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("ce_hours"), FieldPanel("ce_accreditor")]),
                FieldRowPanel([FieldPanel("attendance_credit"), FieldPanel("minimum_attendance")]),
                FieldPanel("attendance_codes"),
            ],
            heading=_("Continuing education"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("capacity"), FieldPanel("currency")]),
                FieldRowPanel([FieldPanel("registration_opens"), FieldPanel("registration_closes")]),
                InlinePanel("ticket_types", label=_("Ticket type")),
                FieldPanel("cancellation_deadline_days"),
                FieldPanel("cancellation_policy"),
                FieldPanel("transfer_deadline_days"),
                FieldPanel("terms"),
            ],
            heading=_("Registration"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("evaluation_template"),
                FieldPanel("evaluation"),
                FieldRowPanel([FieldPanel("evaluation_required"), FieldPanel("evaluation_anonymous")]),
            ],
            heading=_("Evaluation"),
            classname="collapsed",
        ),
        QuestionsPanel(
            "questions",
            heading=_("Questions for each attendee"),
            label=_("Question"),
            help_text=_("Asked on the register form, for each attendee."),
        ),  # fmt: skip
        FieldPanel("status"),
    ]

    search_fields = Page.search_fields + [
        index.SearchField("summary", boost=1.5),
        index.SearchField("body"),
        index.SearchField("learning_objectives"),
        index.SearchField("presenters"),
        index.SearchField("city"),
        index.RelatedFields("organizer", [index.SearchField("name")]),
        index.RelatedFields("topics", [index.SearchField("name")]),
        index.RelatedFields("venue", [index.SearchField("name")]),
        index.FilterField("start"),
        index.FilterField("end"),
        index.FilterField("local_start_date"),
        index.FilterField("local_end_date"),
        index.FilterField("country"),
        index.FilterField("city"),
        index.FilterField("format"),
        index.FilterField("language"),
        index.FilterField("organizer"),
        index.FilterField("price_min"),
        index.FilterField("price_max"),
        index.FilterField("ce_hours"),
        index.FilterField("status"),
    ]

    parent_page_types = ["events.EventIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            # The listing asks for events not yet over (end) in start order: with both in one index
            # PostgreSQL skips past events inside the index instead of fetching each row.
            models.Index(fields=["start", "end"], name="events_event_start_end_idx"),
        ]

    # Rules
    def permissions_for_user(self, user):
        return EventPermissionTester(user, self)

    def clean(self):
        super().clean()
        errors = {}
        if not self.time_zone and self.venue_id:
            self.time_zone = self.venue.time_zone
        if not self.time_zone:
            errors["time_zone"] = _(
                "Choose the time zone the event's times are in (an online event has no venue to take it from)."
            )
        if self.format in (self.Format.IN_PERSON, self.Format.HYBRID) and not self.venue_id:
            errors["venue"] = _("An in-person or hybrid event needs a venue.")
        if self.registration_opens and self.registration_closes and self.registration_closes <= self.registration_opens:
            errors["registration_closes"] = _("Registration must close after it opens.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Before anything is written: a ticket type or session others depend on is never deleted.
        update_fields = kwargs.get("update_fields")
        check_removals(self, relation_names=None if update_fields is None else set(update_fields))
        self.refresh_summary_fields()
        result = super().save(*args, **kwargs)  # with its sessions, topics and ticket types (modelcluster)
        from .read_model import sync_after_save

        sync_after_save(self, update_fields)
        return result

    def publish(self, revision, *args, user=None, **kwargs):
        """Publishing (the editor, a moderator's approval, bulk publish, a schedule) refuses a
        revision that removes what others now depend on, before it writes anything; and it is
        all or nothing. A refused scheduled publish (`publish_scheduled`, no user) leaves the
        schedule rather than stop the command at it on every run."""
        refusal = publish_refusal(self, revision)
        if refusal is not None:
            if user is None and revision.approved_go_live_at is not None:
                return unschedule(self, revision, refusal)
            raise refusal
        with transaction.atomic():
            return super().publish(revision, *args, user=user, **kwargs)

    # Kept by the live row, never by an editor: a revision's copy of them is out of date (publishing
    # an older draft must not bring back a stale sold-out flag or lower the calendars' SEQUENCE).
    cache_setting = "EVENTS_PAGE_CACHE_SECONDS"  # its view restrictions: one of a long tail (routing.py)
    LIVE_ROW_FIELDS = ("sold_out", "calendar_sequence", "calendar_fingerprint")

    def with_content_json(self, content):
        """A revision as a page, with the live row's LIVE_ROW_FIELDS."""
        page = super().with_content_json(content)
        for name in self.LIVE_ROW_FIELDS:
            setattr(page, name, getattr(self, name))
        return page

    def refresh_summary_fields(self):
        sessions = [s for s in self.sessions.all() if s.start and s.end]
        self.start = min((s.start for s in sessions), default=None)
        self.end = max((s.end for s in sessions), default=None)
        self.local_start_date = self.start.astimezone(self.zone).date() if self.start else None
        self.local_end_date = self.end.astimezone(self.zone).date() if self.end else None
        venue = self.venue if self.venue_id else None
        self.city = venue.city if venue else ""
        self.country = venue.country.code if venue else ""
        prices = [t.price for t in self.public_ticket_types if t.price is not None]
        self.price_min = min(prices, default=None)
        self.price_max = max(prices, default=None)

    # Questions a template or another app asks
    @property
    def public_ticket_types(self):
        """The ticket types anyone may buy: not those sold only with a code."""
        return [ticket for ticket in self.ticket_types.all() if not ticket.code_only]

    def tax_on(self, ticket_type):
        """The tax on `ticket_type` (`money.Tax`), as its organizer charges it, or None for none:
        the ticket type's own rate, else the organizer's; or Stripe's, worked out at payment."""
        organizer = self.organizer if self.organizer_id else None
        if organizer is not None and organizer.automatic_tax:
            return money.Tax(organizer.tax_name or str(_("Tax")), None, organizer.prices_include_tax, automatic=True)
        rate = ticket_type.tax_rate if ticket_type.tax_rate is not None else getattr(organizer, "tax_rate", None)
        if organizer is None or not rate:
            return None
        return money.Tax(organizer.tax_name or str(_("Tax")), rate, organizer.prices_include_tax)

    @cached_property
    def evaluation_questions(self):
        """The questions its evaluation asks (events/evaluation.py): its template's, then its own."""
        template = self.evaluation_template if self.evaluation_template_id else None
        return [*questions_of(template.questions if template else ()), *questions_of(self.evaluation)]

    @property
    def zone(self):
        return time_zone(self.time_zone)

    @cached_property
    def ordered_sessions(self):
        return sorted(self.sessions.all(), key=lambda s: s.start)

    @property
    def country_name(self):
        return countries.name(self.country) if self.country else ""

    @property
    def is_online(self):
        return self.format in (self.Format.ONLINE, self.Format.HYBRID)

    @property
    def is_free(self):
        return self.price_max is not None and self.price_max == 0

    @property
    def ce_hours_display(self):
        return self.ce_hours.normalize() if self.ce_hours else None

    def site_root_url(self):
        """The root URL of the Wagtail Site this event is published on (`http://host:port`, no final
        slash): emails, calendars and tasks have no request to take an address from. Each Site of
        the install gives its own events' links; EVENTS_BASE_URL for a page under no Site."""
        site = self.get_site()
        return site.root_url if site is not None else conf.fallback_root_url()

    def public_url(self, path=None):
        """An absolute address on this event's own Site: the page itself, or `path` (from
        `reverse()`, such as a ticket's address)."""
        if path is None:
            return self.get_full_url() or conf.fallback_root_url() + "/"
        return self.site_root_url() + path

    def absolute_url(self, request):
        """The page's address on the host the request came to (the Site's may be a placeholder)."""
        return request.build_absolute_uri(self.get_url(request))

    def registration_is_open(self, now=None):
        now = now or timezone.now()
        closes = self.registration_closes or self.start
        return (
            self.status == self.Status.SCHEDULED
            and (self.registration_opens is None or self.registration_opens <= now)
            and (closes is None or now < closes)
        )

    @path("")
    @shared_route
    def index_route(self, request, *args, **kwargs):
        """The page itself: the same for every visitor (its Register box is filled in live)."""
        return super().index_route(request, *args, **kwargs)

    def get_cached_paths(self):
        """What a front-end cache keeps of the event (purge.py): not its live Register box."""
        return ["/", "ical/"]

    @path("ical/")
    @shared_route
    def ical(self, request):
        from .views import event_calendar

        return event_calendar(request, self.canonical)

    @classmethod
    def get_subpage_urls(cls):
        """The page's own addresses (its page, `ical/`) and those other apps add below it through
        the `register_event_page_routes` Wagtail hook (registrations: `register/`, `waitlist/`): a
        function returning `django.urls.path()`s whose views take the event page, then the request.
        So they follow the page wherever it lives, on any Site, whatever its slug shares."""
        from wagtail import hooks

        contributed = [route for routes in hooks.get_hooks("register_event_page_routes") for route in routes()]
        return (*super().get_subpage_urls(), *contributed)

    @cached_property
    def canonical(self):
        """The event itself, whichever translation of its page this is (Wagtail's internationalisation:
        a translated page is a copy in another locale, with the same `translation_key`). The
        translations of an event are one event: its seats, ticket types, registrations, check-in and
        calendar UIDs are those of the first page made, the one the others were translated from;
        each translation shows its own text."""
        if not getattr(settings, "WAGTAIL_I18N_ENABLED", False):
            return self
        first = EventPage.objects.filter(translation_key=self.translation_key).order_by("pk").first()
        return self if first is None or first.pk == self.pk else first

    def route_url(self, name, request=None, *args):
        """The address of one of the page's routes (`register`, `ical`…), as `get_url` gives the
        page's own: relative on the request's Site, absolute on another."""
        url = self.get_url(request)
        return url and url + self.reverse_subpage(name, args=args).lstrip("/")

    def get_context(self, request, *args, **kwargs):
        from .caching import content_version

        context = super().get_context(request, *args, **kwargs)
        # All but the registration box is the same for every visitor until an edit: the template
        # caches it (EVENTS_PAGE_CACHE_SECONDS, made stale by any edit like the listings), so
        # `details` is only worked out when the cache does not have it. A preview neither reads nor
        # writes the cache (the `public_cache` tag, caching.may_cache).
        context["details"] = SimpleLazyObject(lambda: self.details(request))
        context["cache_seconds"] = conf.get("EVENTS_PAGE_CACHE_SECONDS")
        context["content_version"] = content_version()
        return context

    def shown_topics(self):
        """Its topics, by name. Routed to, the page came with its listing row's topic ids
        (`listed_topic_ids`, EventIndexPage.children; read_model.py keeps them), and each topic is
        held in the process's memory (routing.held): no query of their own. Otherwise (a preview
        and its unsaved topics, a page not listed yet) its own."""
        ids = getattr(self, "listed_topic_ids", None)
        if ids is None:
            return list(self.topics.all())
        wanted = {int(pk) for pk in ids.split()}
        every = held("topics", lambda: tuple(Topic.objects.values_list("pk", "name", "slug")))
        return [Topic(pk=pk, name=name, slug=slug) for pk, name, slug in every if pk in wanted]

    def details(self, request):
        from .addresses import address_lines
        from .calendar_links import calendar_links
        from .structured_data import event_json_ld
        from .templatetags.event_tags import price

        # Once for the page and its JSON-LD, if routing has not fetched them with the page (a preview
        # keeps the editor's unsaved ones: modelcluster's in-memory children win over the prefetch).
        prefetch_related_objects([self], *self.SHOWN_WITH)
        return {
            "json_ld": event_json_ld(self, request),
            "calendar_links": calendar_links(self, request),
            "address_lines": address_lines(self.venue) if self.venue_id else [],
            "lowest_price": price(self.price_min, self.currency) if self.price_min is not None else "",
            "index_url": self.get_parent().get_url(request),
            "topics": self.shown_topics(),
            "ticket_types": self.public_ticket_types,
            "language_name": language_name(self.language),
        }


def new_question_key():
    return uuid.uuid4().hex[:12]


class EventQuestion(Orderable):
    """A question the event asks each attendee. Answers are stored in `Registration.answers` under
    the question's `key`, which a translation of the page keeps: the answers of every language meet."""

    class Kind(models.TextChoices):
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        CHOICE = "choice", _("One choice")
        CHOICES = "choices", _("Several choices")
        YES_NO = "yes_no", _("Yes or no")
        DATE = "date", _("Date")
        COUNTRY = "country", _("Country")

    WITH_CHOICES = (Kind.CHOICE, Kind.CHOICES)

    page = ParentalKey(EventPage, on_delete=models.CASCADE, related_name="questions")
    key = models.CharField(max_length=12, default=new_question_key, editable=False)
    label = models.CharField(_("question"), max_length=200)
    kind = models.CharField(_("answer"), max_length=12, choices=Kind.choices, default=Kind.SHORT_TEXT)
    choices = models.TextField(_("choices"), blank=True, help_text=_("One per line, for one or several choices."))
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    at_check_in = models.BooleanField(
        _("shown at check-in"), default=False, help_text=_("Door staff see the answer when they check the attendee in.")
    )
    for_ticket_types = models.JSONField(
        _("asked with"), default=list, blank=True,
        help_text="Ids of the event's ticket types it is asked with; empty: with every ticket (forms.QuestionForm).",
    )  # fmt: skip

    panels = [
        FieldRowPanel([FieldPanel("label"), FieldPanel("kind")]),
        FieldPanel("choices"),
        FieldPanel("help_text"),
        FieldRowPanel([FieldPanel("required"), FieldPanel("at_check_in")]),
        FieldPanel("for_ticket_types"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.label

    @property
    def choice_list(self):
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def asked_with(self, ticket_type_id):
        """Whether the question is asked of an attendee with this ticket type."""
        return not self.for_ticket_types or ticket_type_id in self.for_ticket_types

    def clean(self):
        if self.kind in self.WITH_CHOICES and len(self.choice_list) < 2:
            raise ValidationError({"choices": _("Give at least two choices, one per line.")})
        if len(set(self.choice_list)) != len(self.choice_list):
            raise ValidationError({"choices": _("Each choice must be different.")})


class EventSession(Orderable):
    """One part of an event; a one-day workshop has one. Attendance is recorded per session."""

    page = ParentalKey(EventPage, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(
        _("title"), max_length=200, blank=True, help_text=_("Optional, such as “Day 1” or “Morning”.")
    )
    start = models.DateTimeField(_("starts"))
    end = models.DateTimeField(_("ends"))

    panels = [FieldPanel("title"), FieldRowPanel([FieldPanel("start"), FieldPanel("end")])]

    class Meta(Orderable.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self):
        return self.title or date_format(timezone.localtime(self.start, self.page.zone), "SHORT_DATETIME_FORMAT")

    def clean(self):
        errors = {}
        if self.start and not EARLIEST <= self.start < LATEST:
            errors["start"] = _("Choose a date between 2000 and 2099.")
        if self.start and self.end:
            if self.end <= self.start:
                errors["end"] = _("A session must end after it starts.")
            elif self.end - self.start > LONGEST_SESSION:
                errors["end"] = _("A session lasts at most 24 hours; add one session per day for longer events.")
        if errors:
            raise ValidationError(errors)

    @property
    def hours(self):
        return Decimal((self.end - self.start).total_seconds()) / 3600


class TicketType(Orderable):
    page = ParentalKey(EventPage, on_delete=models.CASCADE, related_name="ticket_types")
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    price = models.DecimalField(
        _("price"), max_digits=10, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        help_text=_("Seats of this type; blank: only the event's capacity applies."),
    )
    sales_start = models.DateTimeField(_("on sale from"), null=True, blank=True)
    sales_end = models.DateTimeField(_("on sale until"), null=True, blank=True)
    for_ce_credit = models.BooleanField(
        _("for CE credit: asks profession and licence"),
        default=True,
        help_text=_(
            "Untick for tickets not meant for licensed clinicians (students, guests) on an event with CE credit."
        ),
    )

    group_size = models.PositiveSmallIntegerField(
        _("group price from"), null=True, blank=True, validators=[MinValueValidator(2)],
        help_text=_("Attendees registered together who get the group price each."),
    )  # fmt: skip
    group_price = models.DecimalField(
        _("group price"), max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)],
        help_text=_("The price per attendee for a group of at least that size."),
    )  # fmt: skip
    tax_rate = tax_rate_field(_("tax rate (percent)"), help_text=_("Blank: the organizer's rate."))
    code_only = models.BooleanField(
        _("sold only with a code"),
        default=False,
        help_text=_(
            "Hidden from the page and listings; offered to buyers whose code names it (member, staff, partner prices)."
        ),
    )

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("price"), FieldPanel("capacity")]),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("group_size"), FieldPanel("group_price"), FieldPanel("tax_rate")]),
        FieldRowPanel([FieldPanel("for_ce_credit"), FieldPanel("code_only")]),
        FieldRowPanel([FieldPanel("sales_start"), FieldPanel("sales_end")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")

    def __str__(self):
        return self.name

    def clean(self):
        if self.sales_start and self.sales_end and self.sales_end <= self.sales_start:
            raise ValidationError({"sales_end": _("Sales must end after they start.")})
        if (self.group_size is None) != (self.group_price is None):
            raise ValidationError({"group_price": _("Give both the group size and the group price, or neither.")})
        if self.group_price is not None and self.price is not None and self.group_price >= self.price:
            raise ValidationError({"group_price": _("A group price is less than the ticket's price.")})

    def price_for(self, quantity):
        """The price of each of `quantity` tickets bought together (the group price from its size)."""
        if self.group_size is not None and self.group_price is not None and quantity >= self.group_size:
            return self.group_price
        return self.price

    @property
    def is_free(self):
        return self.price == 0

    def on_sale(self, now=None):
        now = now or timezone.now()
        return (self.sales_start is None or self.sales_start <= now) and (
            self.sales_end is None or now < self.sales_end
        )


class OrganizerApplication(models.Model):
    """Someone asking to publish events here; an editor approves it into an Organizer and team."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    name = models.CharField(_("your name"), max_length=200)
    email = models.EmailField(_("email"))
    organization = models.CharField(_("organization"), max_length=200)
    website = models.URLField(_("website"), blank=True)
    message = models.TextField(_("what events will you publish?"), max_length=2000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    organizer = models.ForeignKey(
        Organizer, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("organizer application")
        verbose_name_plural = _("organizer applications")

    def __str__(self):
        return f"{self.organization} ({self.get_status_display()})"


class SearchDocumentField(SearchVectorField):
    """PostgreSQL's `tsvector` (weighted words, searched through a GIN index: search.py); a text
    column left empty elsewhere, where search.py reads the text columns instead."""

    def db_type(self, connection):
        return super().db_type(connection) if connection.vendor == "postgresql" else "text"


class ListingEntryQuerySet(models.QuerySet):
    def upcoming(self, now=None):
        """Events not yet over."""
        return self.ending_at_or_after(now or timezone.now())

    def ending_at_or_after(self, moment):
        """Events that end at `moment` or later; and so, said as well by their start, that start no
        earlier than the longest event lasts before it: the listing's index, in start order, then
        begins there instead of passing over every event already over (a third of 1,000,000)."""
        longest = cached("events:longest", longest_event) or dt.timedelta(0)
        try:
            return self.filter(end__gte=moment, sort_start__gte=moment - longest)
        except OverflowError:  # (before year 1)
            return self.filter(end__gte=moment)


def longest_event():
    """How long the longest listed event lasts (None: none has an end): an index on that duration
    answers at once on PostgreSQL (migration 0021), a scan elsewhere. Kept under the content
    version (routing.cached), which every event saved changes."""
    duration = models.ExpressionWrapper(models.F("end") - models.F("sort_start"), output_field=models.DurationField())
    return ListingEntry.objects.aggregate(longest=models.Max(duration))["longest"]


# The columns the listing's filters read (listing.EventFilterSet), beside the start-order indexes' own.
FILTERED = [
    *("local_start_date", "local_end_date", "country", "city_key", "format", "language", "organizer"),
    *("price_min", "price_max", "ce_hours", "topic_ids"),
]

# How long after its end an event's listing row is marked `ended`: by then it is over on every
# time zone's "today", and no clock a little behind the one that marked it lists it again.
ENDED_AFTER = dt.timedelta(days=3)


class ListingEntry(models.Model):
    """What the listings, the JSON API and the feeds filter, sort and search: one row per live event
    page, copied from it when it is saved (read_model.py), so that a listing reads one table with
    its own indexes instead of joining Wagtail's page tree for every row. Cards are then fetched by
    primary key, at most a page of them, with everything live (seats, sold out)."""

    page = models.OneToOneField(EventPage, primary_key=True, on_delete=models.CASCADE, related_name="listing_entry")
    # The event's parent: the listing it is shown in (a translated listing has its own events).
    listing = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    # Neither the event nor a page above it is private (PageViewRestriction).
    public = models.BooleanField(default=True)
    # `start`, or LATEST for an event without sessions: the sort key, never null.
    sort_start = models.DateTimeField()
    start = models.DateTimeField(null=True)
    end = models.DateTimeField(null=True)
    local_start_date = models.DateField(null=True)
    local_end_date = models.DateField(null=True)
    first_published_at = models.DateTimeField(null=True)
    country = models.CharField(max_length=2, blank=True)
    city = models.CharField(max_length=100, blank=True)
    city_key = models.CharField(max_length=100, blank=True)  # casefolded: `city=` is an indexed equality
    format = models.CharField(max_length=10)
    language = models.CharField(max_length=10)
    status = models.CharField(max_length=10)
    featured = models.BooleanField(default=False)
    organizer = models.ForeignKey(Organizer, null=True, on_delete=models.SET_NULL, related_name="+")
    price_min = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    price_max = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    ce_hours = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    # The searched text, by weight (search.py): A the title; B topics, summary and what the event
    # offers (CE credits); C the description, learning objectives, presenters and place; D the organizer.
    title = models.TextField()
    topics_text = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    facets_text = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    place_text = models.TextField(blank=True)
    organizer_name = models.TextField(blank=True)
    search_config = models.CharField(max_length=20, default="simple")
    search_document = SearchDocumentField(null=True, editable=False)
    # The title's words alone (search.title_document), with an index of their own: how a broad search
    # finds the events with every word in their title without reading all its matches.
    title_document = SearchDocumentField(null=True, editable=False)
    # Where the event takes place, in degrees (its venue's, as floats for the distance's
    # arithmetic): null for an online-only event and for a venue without coordinates, neither of
    # which a `near=` search lists (nearby.py).
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    # The ids of its topics, each with a space either side (" 3 17 "; " " for none): a `topic=`
    # filter is then a column of the listing's index, like every other filter (FILTERED).
    topic_ids = models.TextField(default=" ", db_default=" ")  # (and for rows written by older code)
    # What a card, a map pin and the API show besides the filtered facts, so that a page of results
    # reads this table alone, not the event's, Wagtail's and the venue's tables joined to each row.
    slug = models.CharField(max_length=255, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    sold_out = models.BooleanField(default=False)  # (written with EventPage.sold_out: read_model.mark_sold_out)
    last_published_at = models.DateTimeField(null=True)
    venue_name = models.CharField(max_length=200, blank=True)
    # Over for more than ENDED_AFTER when the row was written or last swept (read_model.mark_ended,
    # `manage.py mark_ended_events`). The text search's indexes of events not yet over leave these
    # rows out (PostgreSQL, migration 0026), so a search of upcoming events reads no more rows as
    # past events pile up over the years. Only a hint: what is listed is decided by `end`, and a
    # past event not yet marked is read for nothing, never shown.
    ended = models.BooleanField(default=False, db_default=False)

    objects = ListingEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("listing entry")
        verbose_name_plural = _("listing entries")
        indexes = [
            # A listing's upcoming events, soonest first: the order is the index's, `end` is in it so
            # that events already over are skipped inside the index, and so is every column a filter
            # reads (PostgreSQL): a count or a page with any filters reads the index alone, never the
            # wide rows (at 1,000,000 events, `when=next_month&language=es` counted in 3 ms, not 97).
            models.Index(
                fields=["listing", "sort_start", "page", "end"],
                include=FILTERED,
                condition=models.Q(public=True),
                name="events_entry_listing_idx",
            ),
            # The same for the free events alone: "Free" is the filter people pick most, and a search
            # combining it with another filter (a topic) walked the whole index above for a page of
            # matches and their capped count (at 100,000 events `topic=cbt&price=free` read 36,000
            # entries, 6 ms, for 1,001: a quarter of that here).
            models.Index(
                fields=["listing", "sort_start", "page", "end"],
                include=FILTERED,
                condition=models.Q(public=True, price_min=0),
                name="events_entry_free_idx",
            ),
            # The same across listings (the JSON API).
            models.Index(
                fields=["sort_start", "page", "end"],
                include=FILTERED,
                condition=models.Q(public=True),
                name="events_entry_start_idx",
            ),
            models.Index(fields=["listing", "-first_published_at", "-page"], name="events_entry_newest_idx"),
            models.Index(fields=["-first_published_at", "-page"], name="events_entry_all_newest_idx"),
            models.Index(fields=["local_start_date"], name="events_entry_local_start_idx"),
            models.Index(fields=["local_end_date"], name="events_entry_local_end_idx"),
            models.Index(fields=["country"], name="events_entry_country_idx"),
            models.Index(fields=["city_key"], name="events_entry_city_idx"),
            models.Index(fields=["language"], name="events_entry_language_idx"),
            models.Index(fields=["price_min"], name="events_entry_price_idx"),
            # A `near=` search's bounding box: a latitude range, then longitudes read from the index.
            models.Index(
                fields=["latitude", "longitude"],
                condition=models.Q(latitude__isnull=False),
                name="events_entry_place_idx",
            ),
        ]

    def __str__(self):
        return self.title


class SearchTerm(models.Model):
    """A word of the events' titles, topics, summaries, places and organizers: what a misspelt word
    of a search that found nothing is corrected to (search.py)."""

    term = models.CharField(max_length=100, unique=True)

    def __str__(self):
        return self.term


class CalendarEntry(models.Model):
    """An event's VEVENTs in one language, as a feed writes them (ical.feed_calendar): made once and
    reused by every feed that lists the event. `digest` is that of everything the text says, so an
    entry whose event changed in any way no longer matches and is made again: it needs no
    invalidation, and a feed built during an edit cannot keep a stale one."""

    page = models.ForeignKey(EventPage, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=15)
    digest = models.CharField(max_length=64)
    text = models.TextField()  # as the feed writes it (the address on the host it was asked on)

    class Meta:
        verbose_name = _("calendar entry")
        verbose_name_plural = _("calendar entries")
        constraints = [models.UniqueConstraint(fields=["page", "language"], name="events_calendar_entry_unique")]

    def __str__(self):
        return f"{self.page_id} ({self.language})"


class TitleWord(models.Model):
    """A word of the listed events' titles, without case or accents (suggest.fold): what the letters
    typed so far are completed to (suggest.py). Kept when its events go, as SearchTerm is."""

    word = models.CharField(max_length=100, unique=True)

    def __str__(self):
        return self.word


class EntryTitleWord(models.Model):
    """A word of one listed event's title, with when the event ends (both copied from its
    ListingEntry, read_model.py): the index on (word, end) gives the soonest upcoming events
    whose title has a word, at the cost of one index lookup (suggest.py)."""

    entry = models.ForeignKey(ListingEntry, on_delete=models.CASCADE, related_name="title_words")
    word = models.CharField(max_length=100)
    end = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["word", "end"], name="events_titleword_end_idx")]

    def __str__(self):
        return self.word


def new_token():
    return secrets.token_urlsafe(32)


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def unconfirmed(self):
        return self.filter(confirmed_at__isnull=True)


class Subscription(models.Model):
    """Someone who asked to be emailed, once a week, the new events of one organizer or of one saved
    search of one listing (subscriptions.py, digests.py). Nothing is sent before the address is
    confirmed through the link emailed to it; links carry tokens, never the address."""

    class Kind(models.TextChoices):
        ORGANIZER = "organizer", _("Organizer")
        SEARCH = "search", _("Saved search")

    email = models.EmailField(_("email"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The listing whose events are followed, and whose address the digest's links are on.
    listing = models.ForeignKey(EventIndexPage, verbose_name=_("listing"), on_delete=models.CASCADE, related_name="+")
    organizer = models.ForeignKey(
        Organizer, verbose_name=_("organizer"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A saved search: the listing's parameters, canonical (listing.EventSearch.params); "" for an organizer.
    query = models.CharField(_("search"), max_length=2000, blank=True)
    language = models.CharField(_("language"), max_length=15)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # The confirmation link's token (None once used); the unsubscribe link's, for as long as the row lives.
    confirm_token = models.CharField(max_length=64, null=True, blank=True, unique=True, default=new_token)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    # Events first published up to this moment were sent (or were there when the address was confirmed).
    sent_until = models.DateTimeField(_("events sent up to"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("email subscription")
        verbose_name_plural = _("email subscriptions")
        permissions = [("view_subscriber_addresses", "Can see the addresses of email subscribers")]
        constraints = [
            models.UniqueConstraint(
                fields=["email", "listing", "organizer"],
                condition=models.Q(kind="organizer"),
                name="events_subscription_organizer_unique",
            ),
            models.UniqueConstraint(
                fields=["email", "listing", "query"],
                condition=models.Q(kind="search"),
                name="events_subscription_search_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="organizer", organizer__isnull=False, query="")
                | models.Q(kind="search", organizer__isnull=True),
                name="events_subscription_target",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None
