"""The events app's own public pages (the listing and event pages are Wagtail's)."""

from django.urls import path

from . import applications

app_name = "events"

urlpatterns = [
    path("organizers/apply/", applications.apply, name="organizer_apply"),
    path("organizers/apply/thanks/", applications.thanks, name="organizer_apply_thanks"),
]
