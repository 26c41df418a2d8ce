from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from events.models import EventIndexPage, EventPage


class HomePage(Page):
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
