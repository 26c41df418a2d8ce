"""Door check-in (included from registrations/urls.py, so names are `registrations:checkin…`)."""

from django.urls import path

from events.inputs import IdConverter  # noqa: F401  (registers <id:…>)

from . import (
    checkin,
    converters,  # noqa: F401  (registers <token:…>)
)

urlpatterns = [
    path("checkin/<id:event_id>/", checkin.checkin_page, name="checkin"),
    path("checkin/<id:event_id>/redeem/", checkin.redeem, name="checkin_redeem"),
    path("checkin/<id:event_id>/undo/", checkin.undo, name="checkin_undo"),
    path("checkin/<id:event_id>/search/", checkin.search, name="checkin_search"),
    path("tickets/<token:secret>/qr.png", checkin.ticket_qr, name="ticket_qr"),
]
