"""Door check-in (included from registrations/urls.py, so names are `registrations:checkin…`)."""

from django.urls import path

from . import (
    checkin,
    converters,  # noqa: F401  (registers <token:…>)
)

urlpatterns = [
    path("checkin/<int:event_id>/", checkin.checkin_page, name="checkin"),
    path("checkin/<int:event_id>/redeem/", checkin.redeem, name="checkin_redeem"),
    path("checkin/<int:event_id>/undo/", checkin.undo, name="checkin_undo"),
    path("checkin/<int:event_id>/search/", checkin.search, name="checkin_search"),
    path("tickets/<token:secret>/qr.png", checkin.ticket_qr, name="ticket_qr"),
]
