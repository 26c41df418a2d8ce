"""The events app in the Wagtail admin: its snippets, organizer applications, and the page-tree
rules that keep an organizer's team to its own events.

Teams get Wagtail's add and change permissions on the events listing (see applications.py), which
would reach every event under it; the hooks below narrow that to the events of the user's own
organizers (`applications.may_edit_event`). Superusers and moderators are not narrowed."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import DateColumn, StatusTagColumn
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.pages.bulk_actions import (
    DeleteBulkAction,
    MoveBulkAction,
    PublishBulkAction,
    UnpublishBulkAction,
)
from wagtail.admin.widgets.button import HeaderButton
from wagtail.models import AbstractPage, Page
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import applications, venue_editor
from .admin_subscriptions import SubscriptionViewSet
from .admin_views import EventPageViewSet
from .inputs import IdConverter  # noqa: F401  (registers <id:…>)
from .models import EvaluationTemplate, EventIndexPage, EventPage, Organizer, OrganizerApplication, Topic, Venue
from .page_permissions import TeamPagePolicy, choosable_pages, explorable_pages
from .protection import deletion_refusal, publish_refusal, refusal_text

# Before anything asks for the page policy (Wagtail refuses a policy registered later).
register_permission_policy(AbstractPage, TeamPagePolicy())

APPLICATIONS = "wagtailsnippets_events_organizerapplication"


class VenueViewSet(SnippetViewSet):
    model = Venue
    icon = "site"
    list_display = ["name", "city", "country", "time_zone"]
    list_filter = ["country"]
    search_fields = ["name", "city"]

    def get_urlpatterns(self):
        # The editor's "Look up from address" (admin_widgets.VenuePinInput).
        return [*super().get_urlpatterns(), path("geocode/", venue_editor.geocode_venue, name="geocode")]


class OrganizerViewSet(SnippetViewSet):
    model = Organizer
    icon = "group"
    list_display = ["name", "slug", "email"]
    search_fields = ["name"]


class EvaluationTemplateViewSet(SnippetViewSet):
    model = EvaluationTemplate
    icon = "list-ul"
    list_display = ["name", "organizer"]
    list_filter = ["organizer"]


class TopicViewSet(SnippetViewSet):
    model = Topic
    icon = "tag"
    list_display = ["name", "slug"]
    search_fields = ["name"]


# Organizer applications: listed and filtered by status; approved or rejected with a confirmation.


def decision_buttons(view, application, button_class):
    if application.status != OrganizerApplication.Status.PENDING or not view.user_has_permission("change"):
        return []
    return [
        button_class(_("Approve"), url=reverse(f"{APPLICATIONS}:approve", args=[application.pk]), icon_name="success"),
        button_class(_("Reject"), url=reverse(f"{APPLICATIONS}:reject", args=[application.pk]), icon_name="cross"),
    ]


class ApplicationIndexView(snippet_views.IndexView):
    def get_list_more_buttons(self, instance):
        return [*decision_buttons(self, instance, MenuItem), *super().get_list_more_buttons(instance)]


class ApplicationInspectView(snippet_views.InspectView):
    @cached_property
    def header_buttons(self):
        return [*decision_buttons(self, self.object, HeaderButton), *super().header_buttons]


class OrganizerApplicationViewSet(SnippetViewSet):
    model = OrganizerApplication
    url_namespace = APPLICATIONS
    icon = "mail"
    menu_label = gettext_lazy("Organizer applications")
    index_view_class = ApplicationIndexView
    inspect_view_class = ApplicationInspectView
    inspect_view_enabled = True
    inspect_view_fields = [
        "organization",
        "name",
        "email",
        "website",
        "message",
        "status",
        "organizer",
        "created_at",
        "decided_at",
    ]
    list_display = [
        "organization",
        "name",
        "email",
        StatusTagColumn(
            "status",
            label=gettext_lazy("Status"),
            accessor="get_status_display",
            sort_key="status",
            primary=lambda a: a.status == OrganizerApplication.Status.PENDING,
        ),
        DateColumn("created_at", label=gettext_lazy("Received"), sort_key="created_at"),
    ]
    list_filter = ["status"]
    search_fields = ["organization", "name", "email"]
    # The status changes only through Approve / Reject, which also set up the organizer.
    panels = [FieldPanel("name"), FieldPanel("email"), FieldPanel("organization"), FieldPanel("website"), FieldPanel("message")]  # fmt: skip

    def get_urlpatterns(self):
        decision = {"index_url_name": self.get_url_name("list"), "inspect_url_name": self.get_url_name("inspect")}
        return [
            *super().get_urlpatterns(),
            path("approve/<id:pk>/", applications.ApproveView.as_view(**decision), name="approve"),
            path("reject/<id:pk>/", applications.RejectView.as_view(**decision), name="reject"),
        ]


class EventSnippets(SnippetViewSetGroup):
    menu_label = gettext_lazy("Event settings")
    menu_icon = "date"
    menu_order = 300
    items = (VenueViewSet, OrganizerViewSet, TopicViewSet, EvaluationTemplateViewSet, OrganizerApplicationViewSet)


register_snippet(EventSnippets)


@hooks.register("register_log_actions")
def register_application_log_actions(actions):
    actions.register_action(
        "events.application.approve", gettext_lazy("Approve application"), gettext_lazy("Application approved")
    )
    actions.register_action(
        "events.application.reject", gettext_lazy("Reject application"), gettext_lazy("Application rejected")
    )


# Organizer teams work on their own events only


def narrowed(user):
    """Users whose page permissions on the listing stop at their organizers' events."""
    return not applications.edits_every_event(user)


def refuse_other_organizers_events(request, page):
    """Editing, deleting, copying or moving an event needs it to be one of the user's own; a
    team member does not edit the listing page itself either."""
    user = request.user
    if not narrowed(user):
        return
    specific = page.specific_deferred if type(page) is Page else page
    if isinstance(specific, EventPage):
        stored = EventPage.objects.filter(pk=specific.pk).first() or specific
        if not (applications.may_edit_event(user, specific) and applications.may_edit_event(user, stored)):
            raise PermissionDenied
    elif isinstance(specific, EventIndexPage) and applications.organizers_for(user).exists():
        raise PermissionDenied


@hooks.register("before_edit_page")
def only_own_events_are_edited(request, page):
    """The organizer a team member may choose is limited by the form itself (`EventPageForm`)."""
    refuse_other_organizers_events(request, page)


@hooks.register("before_delete_page")
def only_own_events_are_deleted(request, page):
    refuse_other_organizers_events(request, page)


@hooks.register("before_copy_page")
def only_own_events_are_copied(request, page):
    refuse_other_organizers_events(request, page)


@hooks.register("before_move_page")
def only_own_events_are_moved(request, page, destination):
    refuse_other_organizers_events(request, page)


@hooks.register("before_bulk_action")
def only_own_events_in_bulk(request, action_type, objects, action_class_instance):
    for obj in objects:
        if isinstance(obj, Page):
            refuse_other_organizers_events(request, obj)


@hooks.register("construct_explorer_page_queryset")
def explore_only_visible_pages(parent_page, pages, request):
    """The explorer lists what the page policy lets the user explore; a page it does not (whose
    title heads the listing of its children) is not found."""
    if not explorable_pages(request.user, Page.objects.filter(pk=parent_page.pk)).exists():
        raise Http404
    return pages


@hooks.register("construct_page_chooser_queryset")
def choose_only_visible_pages(pages, request):
    """The chooser lists the children of the page browsed into, or search results; a page the
    user may not see is neither listed nor browsed into (its title heads the listing)."""
    parent_id = request.resolver_match and request.resolver_match.kwargs.get("parent_page_id")
    if parent_id is not None and not choosable_pages(request.user, Page.objects.filter(pk=parent_id)).exists():
        raise Http404
    return choosable_pages(request.user, pages)


class OnlyExplorablePages:
    """A page bulk action lists the pages it acts on and those the user may not act on, by title;
    pages the user may not see are in neither list."""

    def get_actionable_objects(self):
        objects, extra = super().get_actionable_objects()
        pks = [page.pk for page in [*objects, *extra["items_with_no_access"]]]
        visible = set(explorable_pages(self.request.user, Page.objects.filter(pk__in=pks)).values_list("pk", flat=True))
        extra["items_with_no_access"] = [page for page in extra["items_with_no_access"] if page.pk in visible]
        return [page for page in objects if page.pk in visible], extra


for page_action in (DeleteBulkAction, MoveBulkAction, PublishBulkAction, UnpublishBulkAction):
    # Registered after Wagtail's own (order 0) under the same name, so these replace them.
    hooks.register("register_bulk_action", type(page_action.__name__, (OnlyExplorablePages, page_action), {}), order=1)


@hooks.register("before_create_page")
def events_are_created_by_organizer_teams(request, parent_page, page_class):
    """Only a member of an organizer's team creates events, for one of their own organizers (the
    form offers and accepts no other: `EventPageForm`)."""
    if (
        issubclass(page_class, EventPage)
        and narrowed(request.user)
        and not applications.organizers_for(request.user).exists()
    ):
        raise PermissionDenied


# What others depend on is never removed: deleting or publishing is refused with the reason


@hooks.register("register_admin_viewset")
def register_event_page_viewset():
    return EventPageViewSet()


@hooks.register("register_admin_viewset")
def register_subscription_viewset():
    return SubscriptionViewSet()


def refused(request, refusal, back_url):
    messages.error(request, refusal_text(refusal))
    return redirect(back_url)


@hooks.register("before_delete_page")
def pages_others_depend_on_are_not_deleted(request, page):
    refusal = deletion_refusal([page])
    if refusal is not None:
        return refused(
            request,
            refusal,
            get_valid_next_url_from_request(request) or reverse("wagtailadmin_explore", args=[page.get_parent().pk]),
        )


def pages_to_publish(pages, include_descendants):
    for page in pages:
        yield page.specific
        if include_descendants:
            yield from page.get_descendants().not_live().specific()


@hooks.register("before_bulk_action")
def bulk_actions_keep_what_others_depend_on(request, action_type, objects, action_class_instance):
    pages = [obj for obj in objects if isinstance(obj, Page)]
    if not pages or action_type not in ("delete", "publish"):
        return None
    if action_type == "delete":
        refusal = deletion_refusal(pages)
    else:
        form = getattr(action_class_instance, "cleaned_form", None)
        include_descendants = bool(form and form.cleaned_data.get("include_descendants"))
        refusal = next(
            (
                found
                for page in pages_to_publish(pages, include_descendants)
                if isinstance(page, EventPage)
                and (revision := page.get_latest_revision())
                and (found := publish_refusal(page, revision))
            ),
            None,
        )
    if refusal is not None:
        return refused(request, refusal, action_class_instance.next_url)
    return None
