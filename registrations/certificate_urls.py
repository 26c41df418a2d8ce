"""Certificates of attendance: filled in with the certificate views."""

urlpatterns = []
