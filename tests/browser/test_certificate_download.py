"""An attendee downloads their certificate of attendance from their ticket page."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from registrations.models import CheckIn
from tests.factories import make_event, make_registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_attendee_downloads_their_certificate_from_the_ticket_page(page):
    start = timezone.now() - dt.timedelta(days=2)
    event = make_event("Alliance intensive", sessions=[(start, start + dt.timedelta(hours=3))], ce_hours=3)
    registration = make_registration(event, name="Dana Rivera", email="dana@example.com")
    CheckIn.objects.create(registration=registration, session=event.sessions.get())

    page.goto(f"/tickets/{registration.ticket_secret}/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download your certificate of attendance").click()
    download = download_info.value

    assert download.suggested_filename == f"certificate-{event.slug}.pdf"
    with open(download.path(), "rb") as file:
        data = file.read()
    assert data.startswith(b"%PDF-")
    text = " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    assert "Dana Rivera" in text and "Alliance intensive" in text and "Hours attended 3" in text
