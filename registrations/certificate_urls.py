"""Certificates of attendance: the attendee's download and the public verification page."""

from django.urls import path

from . import (
    certificates,
    converters,  # noqa: F401  (registers <token:…>)
)

urlpatterns = [
    path("tickets/<token:secret>/certificate.pdf", certificates.download, name="certificate_download"),
    path("certificates/<str:code>/", certificates.verify, name="certificate_verify"),
]
