"""Admin addresses the events app answers in place of Wagtail's, for screens that would name
another organizer's draft to a team member (page_permissions.py). The site includes these at its
admin prefix, before Wagtail's admin URLs: `path("admin/", include("events.admin_urls"))`."""

from django.urls import path
from django.views.decorators.cache import never_cache
from wagtail.admin.auth import require_admin_access

from .page_permissions import ChosenPagesView, PageTypesUsageView


def admin_view(view_class, **initkwargs):
    """As Wagtail's admin URLs are decorated: signed-in admin users only, never cached."""
    view = view_class.as_view(**initkwargs)
    wrapped = never_cache(require_admin_access(view))
    wrapped.view_class = view_class  # what URL listings (and tests/test_url_access.py) read
    return wrapped


urlpatterns = [
    path("choose-page/chosen-multiple/", admin_view(ChosenPagesView), name="events_chosen_pages"),
    path("reports/page-types-usage/", admin_view(PageTypesUsageView), name="events_page_types_usage"),
    path(
        "reports/page-types-usage/results/",
        admin_view(PageTypesUsageView, results_only=True),
        name="events_page_types_usage_results",
    ),
]
