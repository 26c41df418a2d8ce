from django.urls import include, path

from . import (
    converters,  # noqa: F401  (registers <token:…>)
    my_events,
    views,
    webhooks,
)

app_name = "registrations"

urlpatterns = [
    path("waitlist/confirm/<token:token>/", views.waitlist_confirm, name="waitlist_confirm"),
    path("waitlist/claim/<token:token>/", views.waitlist_claim, name="waitlist_claim"),
    path("checkout/success/", views.checkout_success, name="checkout_success"),
    path("checkout/cancelled/<token:token>/", views.checkout_cancelled, name="checkout_cancelled"),
    path("orders/<token:token>/", views.order_detail, name="order"),
    path("orders/<token:token>/invoices/<id:pk>.pdf", views.order_invoice, name="order_invoice"),
    path("tickets/<token:secret>/", views.ticket, name="ticket"),
    path("tickets/<token:secret>/invite.ics", views.ticket_invite, name="ticket_invite"),
    path("tickets/<token:secret>/cancel/", views.ticket_cancel, name="ticket_cancel"),
    path("tickets/<token:secret>/hand-on/", views.ticket_hand_on, name="ticket_hand_on"),
    path("tickets/<token:secret>/evaluation/", views.ticket_evaluation, name="ticket_evaluation"),
    path("tickets/<token:secret>/join/", views.ticket_join, name="ticket_join"),
    path("tickets/<token:secret>/code/", views.ticket_code, name="ticket_code"),
    path("my-events/", my_events.my_events, name="my_events"),
    path("my-events/sign-in/", my_events.sign_in_request, name="sign_in"),
    path("my-events/sign-in/<token:token>/", my_events.sign_in_link, name="sign_in_link"),
    path("my-events/sign-out/", my_events.sign_out, name="sign_out"),
    path("my-events/my-data.json", my_events.my_data, name="my_data"),
    path("my-events/erase/", my_events.erase, name="erase"),
    path("my-events/transcript/", my_events.transcript, name="transcript"),
    path("my-events/transcript.csv", my_events.transcript, {"file": "csv"}, name="transcript_csv"),
    path("my-events/transcript.pdf", my_events.transcript, {"file": "pdf"}, name="transcript_pdf"),
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
    path("", include("registrations.checkin_urls")),
    path("", include("registrations.certificate_urls")),
]
