"""Certificates of attendance: who gets one and when, what the PDF says, the public verification
page, the unguessable code, and emailing them to an event's attendees exactly once."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from events.models import EventPage
from registrations.emails import build_email
from registrations.models import CheckIn, OrderLogEntry, Registration
from registrations.services import certificates
from registrations.services.attendance import hours_attended
from tests.factories import OrganizerFactory, VenueFactory, make_event, make_registration

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

CODE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")  # token_urlsafe: 22 characters carry 128 bits


def ago(**delta):
    return timezone.now() - dt.timedelta(**delta)


def past_event(title="Alliance & rupture workshop", session_hours=(2, 1.5, 2), **fields):
    """An event that ended yesterday, with one session a day of the given lengths."""
    first = ago(days=len(session_hours) + 1).replace(hour=9, minute=0, second=0, microsecond=0)
    sessions = [
        (first + dt.timedelta(days=i), first + dt.timedelta(days=i, hours=h)) for i, h in enumerate(session_hours)
    ]
    fields.setdefault("ce_hours", Decimal("6"))
    fields.setdefault("ce_accreditor", "British Psychological Society")
    fields.setdefault(
        "organizer",
        OrganizerFactory(
            name="Alliance Institute",
            certificate_signatory="Dr. Jane Roe",
            certificate_signatory_title="Director of Education",
        ),
    )
    return make_event(title, sessions=sessions, **fields)


def attendee(event, name="Ana Pérez", email="ana@example.com", licence="PSY-2231", **kwargs):
    registration = make_registration(event, name=name, email=email, **kwargs)
    registration.licence_number = licence
    registration.profession = "Clinical psychologist"
    registration.save(update_fields=["licence_number", "profession"])
    return registration


def check_in(registration, *sessions):
    for session in sessions:
        CheckIn.objects.create(registration=registration, session=session)


def pdf_text(data):
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def download(client, registration):
    return client.get(f"/tickets/{registration.ticket_secret}/certificate.pdf")


@pytest.fixture
def event():
    return past_event(venue=VenueFactory(name="Wellcome Hall", city="London"))


@pytest.fixture
def ana(event):
    """Ana attended the first two of the three sessions: 2 + 1.5 hours."""
    registration = attendee(event)
    first, second, _third = event.ordered_sessions
    check_in(registration, first, second)
    return registration


# Hours


def test_hours_attended_count_only_the_sessions_attended(event, ana):
    assert hours_attended(ana) == Decimal("3.50")
    assert certificates.details(ana)["hours_attended"] == "3.5"


def test_hours_attended_are_capped_at_the_ce_hours_offered():
    event = past_event(ce_hours=Decimal("3"))
    registration = attendee(event)
    check_in(registration, *event.ordered_sessions)  # 5.5 hours in the room
    assert hours_attended(registration) == Decimal("3.00")


# The PDF


def test_certificate_pdf_states_who_attended_what_for_how_long_and_its_code(client, event, ana):
    response = download(client, ana)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="certificate-{event.slug}.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    box = reader.pages[0].mediabox
    assert len(reader.pages) == 1 and box.width > box.height  # one landscape page
    assert round(float(box.width) * 25.4 / 72) == 297 and round(float(box.height) * 25.4 / 72) == 210  # A4
    text = pdf_text(response.content)
    ana.refresh_from_db()
    for expected in (
        "Certificate of attendance",
        "Ana Pérez",
        "PSY-2231",
        "Clinical psychologist",
        "Alliance & rupture workshop",
        "Wellcome Hall, London",
        "Hours attended 3.5",
        "CE credit hours offered 6",
        "British Psychological Society",
        "Alliance Institute",
        "Dr. Jane Roe",
        "Director of Education",
        ana.certificate_code,
        f"http://localhost/certificates/{ana.certificate_code}/",
    ):
        assert expected in text, expected
    first = timezone.localtime(event.start, event.zone)
    assert f"{first:%B} {first.day}, {first.year} – " in text  # the dates, in the event's zone


def test_online_event_certificate_says_online(client):
    event = past_event("Alliance online", session_hours=(2,), format=EventPage.Format.ONLINE, time_zone="UTC")
    registration = attendee(event)
    check_in(registration, *event.ordered_sessions)
    text = pdf_text(download(client, registration).content)
    assert "Alliance online" in text and "· Online" in text and "Hours attended 2" in text


def test_certificate_is_written_in_the_language_the_attendee_registered_in(client, event):
    registration = attendee(event, language="es")
    check_in(registration, *event.ordered_sessions[:2])
    text = pdf_text(download(client, registration).content)
    first = timezone.localtime(event.start, event.zone)
    months = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre"]
    months += ["noviembre", "diciembre"]
    assert f"{first.day} de {months[first.month - 1]} de {first.year}" in text
    assert "3,5" in text and "3.5" not in text


def test_organizer_logo_is_embedded_in_the_pdf(client, event, ana, settings, tmp_path):
    from django.core.files.images import ImageFile
    from PIL import Image as PillowImage
    from wagtail.images.models import Image

    settings.MEDIA_ROOT = str(tmp_path)
    buffer = io.BytesIO()
    PillowImage.new("RGB", (400, 120), (29, 58, 95)).save(buffer, "PNG")
    logo = Image.objects.create(title="Logo", file=ImageFile(buffer, name="logo.png"))
    event.organizer.logo = logo
    event.organizer.save()

    def images(data):
        page = PdfReader(io.BytesIO(data)).pages[0]
        return list(page.images)

    assert len(images(download(client, ana).content)) == 1
    logo.renditions.all().delete()
    logo.file.delete(save=False)  # a logo whose file is gone is left out, never an error
    response = download(client, ana)
    assert response.status_code == 200 and images(response.content) == []


# Who gets one, and when


def test_no_certificate_before_the_event_ends(client):
    event = make_event("Coming up", starts_in=dt.timedelta(days=3), hours=3)
    registration = attendee(event)
    check_in(registration, *event.ordered_sessions)

    assert not certificates.eligible(registration)
    assert certificates.eligible(registration, now=event.end + dt.timedelta(minutes=1))
    response = download(client, registration)
    assert response.status_code == 403
    assert "will be available after the event ends" in response.content.decode()
    assert "Download your certificate" not in client.get(f"/tickets/{registration.ticket_secret}/").content.decode()
    with pytest.raises(certificates.NotEligible):
        certificates.issue(registration)
    registration.refresh_from_db()
    assert registration.certificate_code is None


def test_no_certificate_without_attendance(client, event):
    absent = attendee(event, name="Abe Absent", email="abe@example.com")
    undone = attendee(event, name="Una Undone", email="una@example.com")
    check_in(undone, event.ordered_sessions[0])
    CheckIn.objects.filter(registration=undone).update(undone_at=timezone.now())

    for registration in (absent, undone):
        assert not certificates.eligible(registration)
        response = download(client, registration)
        assert response.status_code == 403
        assert "no record of your attendance" in response.content.decode()
        assert b"%PDF" not in response.content
        ticket_page = client.get(f"/tickets/{registration.ticket_secret}/").content.decode()
        assert "Download your certificate" not in ticket_page


def test_no_certificate_for_a_cancelled_registration(client, event):
    registration = attendee(event, status=Registration.Status.CANCELLED)
    check_in(registration, *event.ordered_sessions)
    response = download(client, registration)
    assert response.status_code == 403 and "confirmed registrations only" in response.content.decode()


def test_unknown_ticket_gets_a_plain_404(client, event, ana):
    for secret in ("nope", ana.ticket_secret[:-1], "x" * 5000):
        response = client.get(f"/tickets/{secret}/certificate.pdf")
        assert response.status_code == 404
        assert "Alliance" not in response.content.decode()


def test_ticket_page_offers_the_certificate_once_there_is_one(client, event, ana):
    page = client.get(f"/tickets/{ana.ticket_secret}/").content.decode()
    assert "Download your certificate of attendance" in page
    assert f'href="/tickets/{ana.ticket_secret}/certificate.pdf"' in page


# The code and the verification page


def test_code_is_random_long_enough_and_stable_across_downloads(client, event, ana):
    other = attendee(event, name="Bo Other", email="bo@example.com")
    check_in(other, event.ordered_sessions[0])

    download(client, ana)
    ana.refresh_from_db()
    code = ana.certificate_code
    assert CODE.match(code)
    assert len(code) * 6 >= 128  # 6 bits per URL-safe base64 character
    assert str(ana.pk) != code and ana.ticket_secret != code
    assert download(client, ana).status_code == 200
    ana.refresh_from_db()
    assert ana.certificate_code == code and certificates.issue(ana) == code
    assert certificates.issue(other) != code
    assert OrderLogEntry.objects.filter(action="certificate_issued", detail__registration=ana.pk).count() == 1


def test_verification_page_shows_the_matching_record(client, event, ana):
    other = attendee(event, name="Bo Other", email="bo@example.com", licence="PSY-0000")
    check_in(other, *event.ordered_sessions)
    code = certificates.issue(ana)
    certificates.issue(other)

    response = client.get(f"/certificates/{code}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Valid certificate of attendance" in page
    for expected in ("Ana Pérez", "Alliance &amp; rupture workshop", "3.5", "Alliance Institute", code):
        assert expected in page, expected
    assert "Bo Other" not in page and "5.5" not in page
    assert "ana@example.com" not in page  # nothing private beyond what the certificate says
    assert '<meta name="robots" content="noindex">' in page


def test_verification_page_says_when_a_certificate_is_no_longer_valid(client, event, ana):
    code = certificates.issue(ana)
    Registration.objects.filter(pk=ana.pk).update(status=Registration.Status.CANCELLED)
    page = client.get(f"/certificates/{code}/").content.decode()
    assert "no longer valid" in page and "Valid certificate of attendance" not in page


def test_unknown_or_overlong_code_is_404(client, event, ana):
    certificates.issue(ana)
    for code in ("nope", ana.certificate_code[:-1], "x" * 65, "x" * 101, "y" * 5000):
        assert client.get(f"/certificates/{code}/").status_code == 404


# Emailing them


@pytest.fixture
def audience(event, ana):
    """Ana and Ben attended; Cy did not; Di was there but cancelled."""
    ben = attendee(event, name="Ben Brown", email="ben@example.com")
    check_in(ben, event.ordered_sessions[2])
    attendee(event, name="Cy Absent", email="cy@example.com")
    di = attendee(event, name="Di Gone", email="di@example.com", status=Registration.Status.CANCELLED)
    check_in(di, *event.ordered_sessions)
    return ana, ben


def test_bulk_email_sends_each_eligible_attendee_once_with_the_pdf(
    event, audience, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert certificates.email_certificates(event) == 2

    assert sorted(message.to[0] for message in mailoutbox) == ["ana@example.com", "ben@example.com"]
    for message in mailoutbox:
        registration = Registration.objects.get(email=message.to[0])
        assert message.subject == "Your certificate of attendance: Alliance & rupture workshop"
        ((filename, content, mimetype),) = message.attachments
        assert (filename, mimetype) == ("certificate.pdf", "application/pdf")
        text = pdf_text(content)
        assert registration.name in text and registration.certificate_code in text
        assert f"http://localhost/certificates/{registration.certificate_code}/" in message.body
        html, _ = message.alternatives[0]
        assert f"http://localhost/tickets/{registration.ticket_secret}/" in html

    with django_capture_on_commit_callbacks(execute=True):
        assert certificates.email_certificates(event) == 0
    assert len(mailoutbox) == 2
    assert OrderLogEntry.objects.filter(action="certificate_emailed").count() == 2


def test_certificate_email_is_in_the_attendees_language(event, mailoutbox, django_capture_on_commit_callbacks):
    registration = attendee(event, language="es")
    check_in(registration, event.ordered_sessions[0])
    with django_capture_on_commit_callbacks(execute=True):
        certificates.email_certificates(event)

    (message,) = mailoutbox
    html, _ = message.alternatives[0]
    assert '<html lang="es">' in html
    first = timezone.localtime(event.start, event.zone)
    assert f"{first.day} de " in message.body and f"{first:%B}" not in message.body  # Spanish dates
    ((_, content, _),) = message.attachments
    assert f"{first.day} de " in pdf_text(content) and registration.name in pdf_text(content)


def test_a_certificate_email_no_longer_due_is_not_sent(event, ana):
    certificates.issue(ana)
    Registration.objects.filter(pk=ana.pk).update(status=Registration.Status.CANCELLED)
    assert build_email("certificate", registration_id=ana.pk) is None


# The admin action


def admin_user(django_user_model, username, *, team=None):
    user = django_user_model.objects.create_user(username, f"{username}@example.com", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    if team is not None:
        user.groups.add(team)
    client = Client()
    client.force_login(user)
    return client


def email_path(event):
    return f"/admin/registrations/events/{event.pk}/email-certificates/"


def test_emailing_certificates_from_the_admin_needs_the_organizer_team(
    client, admin_client, django_user_model, event, audience, mailoutbox, django_capture_on_commit_callbacks
):
    path = email_path(event)
    outsider = admin_user(django_user_model, "outsider", team=Group.objects.create(name="Another organizer"))
    assert outsider.get(path).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert outsider.post(path).status_code == 403
    assert client.get(path)["Location"].startswith("/admin/login/")
    assert mailoutbox == [] and not OrderLogEntry.objects.filter(action="certificate_emailed").exists()

    event.organizer.team = Group.objects.create(name="Alliance team")
    event.organizer.save()
    member = admin_user(django_user_model, "member", team=event.organizer.team)
    page = member.get(path).content.decode()
    assert "2 attendees will be emailed their certificate" in page and "Ben Brown" in page

    assert path in admin_client.get(f"/admin/pages/{event.pk}/edit/").content.decode()  # the button
    confirm = admin_client.get(path)
    assert confirm.status_code == 200 and "Email the certificates" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(path)
    assert response.status_code == 302 and response["Location"] == f"/admin/pages/{event.pk}/edit/"
    assert len(mailoutbox) == 2
    assert "There were no certificates left to email." not in admin_client.get(path).content.decode()
    assert "already been emailed" in admin_client.get(path).content.decode()
