"""Which pages an organizer's team member sees in the admin: the pages Wagtail's permissions give
them, without other organizers' events.

Teams get page permissions on the events listing (applications.py), and Wagtail lets them reach
every page under it: its explorer, admin API, page search, site history and reports all ask the
registered page permission policy for the pages a user may explore or act on. `TeamPagePolicy`
answers without other organizers' events, so each of those screens lists, finds and names only
the team's own; `EventPermissionTester` (models.py) refuses the same events one by one. The page
chooser and bulk actions look pages up by id, outside the policy: `choosable_pages` and
`explorable_pages` narrow them (wagtail_hooks.py); two screens that name pages by themselves are
replaced (admin_urls.py). Superusers and moderators are not narrowed."""

from django.db.models import Q
from wagtail.admin.views.chooser import ChosenMultipleView
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy
from wagtail.permissions import policy_registry

from .applications import edits_every_event, organizers_for
from .inputs import parse_int
from .models import EventPage


def other_organizers_events(user):
    """The events the user may not see in the admin: none for superusers and moderators."""
    if edits_every_event(user):
        return EventPage.objects.none()
    return EventPage.objects.exclude(organizer__in=organizers_for(user))


def without_other_organizers_events(user, pages):
    if edits_every_event(user):
        return pages
    return pages.exclude(pk__in=other_organizers_events(user).values("pk"))


class TeamPagePolicy(PagePermissionPolicy):
    def instances_user_has_any_permission_for(self, user, actions):
        return without_other_organizers_events(user, super().instances_user_has_any_permission_for(user, actions))

    def explorable_instances(self, user):
        return without_other_organizers_events(user, super().explorable_instances(user))

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return (
            super().user_has_any_permission_for_instance(user, actions, instance)
            and not other_organizers_events(user).filter(pk=instance.pk).exists()
        )


def explorable_pages(user, pages):
    """`pages` narrowed to those the user may explore in the admin."""
    return pages.filter(pk__in=policy_registry.get_by_type(Page).explorable_instances(user).values("pk"))


def choosable_pages(user, pages):
    """What the page chooser offers: the pages the user may explore, and every page whose title is
    public (live, with no unpublished changes); never another organizer's draft."""
    if edits_every_event(user):
        return pages
    explorable = policy_registry.get_by_type(Page).explorable_instances(user).values("pk")
    # One id filter: the chooser's search runs it through the search backend, which filters on ids.
    choosable = Page.objects.filter(Q(pk__in=explorable) | Q(live=True, has_unpublished_changes=False))
    return pages.filter(pk__in=choosable.values("pk"))


# Two admin screens that name pages outside the policy and the chooser hook. The events app's
# admin_urls.py routes their addresses here, ahead of Wagtail's admin URLs.


class ChosenPagesView(ChosenMultipleView):
    """The page chooser's answer to a multiple choice names each chosen page by id: only pages the
    user may choose are named."""

    def get(self, request):
        ids = [pk for pk in map(parse_int, request.GET.getlist("id")) if pk is not None]
        request.GET = request.GET.copy()
        choosable = choosable_pages(request.user, Page.objects.filter(pk__in=ids))
        request.GET.setlist("id", [str(pk) for pk in choosable.values_list("pk", flat=True)])
        return super().get(request)


class PageTypesUsageView(PageTypesUsageReportView):
    """Wagtail's page types report names the last edited page of each type, anywhere in the site:
    only a page the user may explore is named."""

    def decorate_paginated_queryset(self, page_types):
        page_types = super().decorate_paginated_queryset(page_types)
        named = Page.objects.filter(pk__in=[item.last_edited_page.pk for item in page_types if item.last_edited_page])
        visible = set(explorable_pages(self.request.user, named).values_list("pk", flat=True))
        for item in page_types:
            if item.last_edited_page and item.last_edited_page.pk not in visible:
                item.last_edited_page = None
        return page_types
