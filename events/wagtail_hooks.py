from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Organizer, Topic, Venue


class VenueViewSet(SnippetViewSet):
    model = Venue
    icon = "site"
    list_display = ["name", "city", "country", "time_zone"]
    list_filter = ["country"]
    search_fields = ["name", "city"]


class OrganizerViewSet(SnippetViewSet):
    model = Organizer
    icon = "group"
    list_display = ["name", "slug", "email"]
    search_fields = ["name"]


class TopicViewSet(SnippetViewSet):
    model = Topic
    icon = "tag"
    list_display = ["name", "slug"]
    search_fields = ["name"]


class EventSnippets(SnippetViewSetGroup):
    menu_label = _("Event settings")
    menu_icon = "date"
    menu_order = 300
    items = (VenueViewSet, OrganizerViewSet, TopicViewSet)


register_snippet(EventSnippets)
