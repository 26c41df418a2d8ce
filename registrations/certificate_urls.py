"""Certificates of attendance: the attendee's download and the public verification page."""

from django.urls import path

from . import certificates

urlpatterns = [
    path("tickets/<str:secret>/certificate.pdf", certificates.download, name="certificate_download"),
    path("certificates/<str:code>/", certificates.verify, name="certificate_verify"),
]
