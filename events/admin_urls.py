"""Admin addresses the events app answers in place of Wagtail's, for screens that would name
another organizer's draft to a team member (page_permissions.py). The site includes these at its
admin prefix, before Wagtail's admin URLs: `path("admin/", include("events.admin_urls"))`."""

from django.urls import path
from django.views.decorators.cache import never_cache
from wagtail.admin.auth import require_admin_access

from .page_permissions import ChosenPagesView, PageTypesUsageView


def admin_view(view):
    """As Wagtail's admin URLs are decorated: signed-in admin users only, never cached."""
    return never_cache(require_admin_access(view))


urlpatterns = [
    path("choose-page/chosen-multiple/", admin_view(ChosenPagesView.as_view())),
    path("reports/page-types-usage/", admin_view(PageTypesUsageView.as_view())),
    path("reports/page-types-usage/results/", admin_view(PageTypesUsageView.as_view(results_only=True))),
]
