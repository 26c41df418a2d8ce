"""Read-only admin listings: a model's listing (and optionally its inspect page) with no generic
add, edit, copy or delete forms, for records that change only through their own services or links
(email subscriptions here; orders and seats in registrations)."""

from django.urls import path
from wagtail.admin.viewsets.model import ModelViewSet

from .inputs import IdConverter  # noqa: F401  (registers <id:…>)


class ReadOnlyViewSet(ModelViewSet):
    copy_view_enabled = False
    add_to_reference_index = False

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            add_url_name=None,
            edit_url_name=None,
            delete_url_name=None,
            history_url_name=None,
            usage_url_name=None,
            **kwargs,
        )

    def get_urlpatterns(self):
        urlpatterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
        if self.inspect_view_enabled:
            urlpatterns.append(path("<id:pk>/", self.inspect_view, name="inspect"))
        return urlpatterns + self.get_action_urlpatterns()

    def get_action_urlpatterns(self):
        return []
