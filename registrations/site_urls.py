"""Every public address of the plugin, for one line in the site's URLconf, before Wagtail's own
pages (`include(wagtail_urls)` answers any address it reaches first):

    path("", include("registrations.site_urls")),

The events API, organizer applications (`events.urls`), and checkout, tickets, waitlist links,
check-in, certificates and Stripe's webhook (`registrations.urls`). An event's registration form,
waitlist and calendar are not here: they live below the event page's own address, wherever it is."""

from django.urls import include, path

from events.suggest import suggest_events
from events.views import api_events

urlpatterns = [
    path("api/events/suggest/", suggest_events, name="api_events_suggest"),
    path("api/events/", api_events, name="api_events"),
    path("", include("events.urls")),
    path("", include("registrations.urls")),
]
