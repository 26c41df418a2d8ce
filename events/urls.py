"""The events app's own public pages (the listing and event pages are Wagtail's)."""

from django.urls import path

from . import applications, subscription_views, views
from .inputs import TokenConverter  # noqa: F401  (registers <token:…>)

app_name = "events"

urlpatterns = [
    path("language/", views.set_language, name="set_language"),
    path("organizers/apply/", applications.apply, name="organizer_apply"),
    path("organizers/apply/thanks/", applications.thanks, name="organizer_apply_thanks"),
    path("subscriptions/confirm/<token:token>/", subscription_views.confirm, name="subscription_confirm"),
    path("subscriptions/unsubscribe/<token:token>/", subscription_views.unsubscribe, name="subscription_unsubscribe"),
]
