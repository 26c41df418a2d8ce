from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import RichTextField
from wagtail.models import Locale, Page, Site

from events.http_cache import ShowsEvents
from events.models import CachedRouting, EventIndexPage, EventPage


class HomePage(ShowsEvents, CachedRouting, Page):
    """The site's front page: a search box, the featured and next events. Shown alike to every
    visitor, so a CDN may keep it; it is purged whenever an event changes (events.http_cache.ShowsEvents)."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    upcoming_count = models.PositiveSmallIntegerField(_("upcoming events shown"), default=6)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("upcoming_count")]

    max_count = 1
    subpage_types = ["events.EventIndexPage"]

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        events = (
            EventPage.objects.live()
            .public()
            .upcoming()
            .order_by("start")
            .select_related("organizer")
            .prefetch_related("topics")
        )
        context["featured_events"] = list(events.filter(featured=True)[:3])
        context["upcoming_events"] = list(
            events.exclude(pk__in=[e.pk for e in context["featured_events"]])[: self.upcoming_count]
        )
        context["event_index"] = EventIndexPage.objects.live().first()
        return context


def ensure_home():
    """The home page and default site, made when missing (a fresh or emptied database)."""
    home = HomePage.objects.first()
    if home is None:
        language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
        locale = Locale.objects.first() or Locale.objects.create(language_code=language)
        root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
        home = root.add_child(instance=HomePage(title="Events for clinicians, worldwide", slug="home", locale=locale))
        home.save_revision().publish()
    if not Site.objects.filter(is_default_site=True).exists():
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="Events")
    return home
