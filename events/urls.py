"""The events app's own public pages (the listing and event pages are Wagtail's)."""

from django.urls import path

from . import applications, views

app_name = "events"

urlpatterns = [
    path("language/", views.set_language, name="set_language"),
    path("organizers/apply/", applications.apply, name="organizer_apply"),
    path("organizers/apply/thanks/", applications.thanks, name="organizer_apply_thanks"),
]
