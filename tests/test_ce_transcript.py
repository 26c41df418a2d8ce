"""The CE transcript of "My events" (services/transcripts.py): a clinician's attended events of two
organizers, with the hours their certificates state, totals per year, accrediting body and licence,
as a page, CSV and PDF; each line verifiable through its certificate."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from registrations.models import CheckIn
from tests.factories import OrganizerFactory, make_event
from tests.test_certificates import attendee, check_in, pdf_text
from tests.test_my_events import signed_in

pytestmark = pytest.mark.django_db


def held_on(day, title, hours, ce_hours, accreditor, organizer):
    """An event of two sessions of `hours` each, on `day` and the day after (UTC)."""
    start = dt.datetime.combine(day, dt.time(9), dt.UTC)
    sessions = [(start + dt.timedelta(days=i), start + dt.timedelta(days=i, hours=hours)) for i in range(2)]
    return make_event(
        title,
        sessions=sessions,
        ce_hours=Decimal(ce_hours),
        ce_accreditor=accreditor,
        organizer=OrganizerFactory(name=organizer),
    )


@pytest.fixture
def record():
    """Ana attended one of two 3-hour sessions of an APA-accredited workshop last year, and both
    2-hour sessions of an NBCC one this year (3 CE hours offered: the 4 attended count as 3). She
    also registered for a past event she missed, one still to come and one she cancelled; Zed
    attended the first workshop in full."""
    today = timezone.now().date()
    last_year = dt.date(today.year - 1, 3, 10)
    this_year = today - dt.timedelta(days=20)
    alliance = held_on(last_year, "Alliance workshop", 3, "6", "APA", "Alliance Institute")
    grief = held_on(this_year, "Grief seminar", 2, "3", "NBCC", "Grief Society")
    missed = held_on(this_year, "Missed day", 2, "4", "APA", "Grief Society")
    coming = make_event("Coming soon", starts_in=dt.timedelta(days=30), ce_hours=Decimal("2"))
    cancelled = held_on(this_year, "Cancelled one", 2, "4", "APA", "Alliance Institute")
    ana = {event.title: attendee(event) for event in (alliance, grief, missed, coming)}
    ana["Cancelled one"] = attendee(cancelled, status="cancelled")
    check_in(ana["Alliance workshop"], alliance.ordered_sessions[0])
    check_in(ana["Grief seminar"], *grief.ordered_sessions)
    check_in(ana["Cancelled one"], *cancelled.ordered_sessions)
    zed = attendee(alliance, name="Zed Other", email="zed@example.com", licence="ZZZ-1")
    check_in(zed, *alliance.ordered_sessions)
    return {"ana": ana, "last_year": last_year.year, "this_year": this_year.year}


def csv_rows(response):
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_transcript_lists_the_events_attended_with_their_certificates_hours(record):
    page = signed_in().get("/my-events/transcript/").content.decode()
    assert "Alliance workshop" in page and "Grief seminar" in page
    for absent in ("Missed day", "Coming soon", "Cancelled one", "ZZZ-1"):
        assert absent not in page
    assert "Alliance Institute" in page and "Grief Society" in page and "PSY-2231" in page


def test_the_csv_has_one_line_per_event_with_hours_credit_and_a_verification_address_that_works(record):
    client = signed_in()
    response = client.get("/my-events/transcript.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ce-transcript.csv"'
    header, *lines = csv_rows(response)
    assert header[0] == "Date" and header[6:8] == ["Hours attended", "CE credit hours"]
    assert [(line[1], line[2], line[3], line[4], line[5], line[6], line[7]) for line in lines] == [
        ("Alliance workshop", "Alliance Institute", "APA", "Clinical psychologist", "PSY-2231", "3.00", "3.00"),
        ("Grief seminar", "Grief Society", "NBCC", "Clinical psychologist", "PSY-2231", "3.00", "3.00"),
    ]
    for line in lines:
        path = line[8].removeprefix("http://localhost")
        verification = Client().get(path)
        assert verification.status_code == 200 and line[1] in verification.content.decode()


def test_totals_per_year_accrediting_body_and_licence(record):
    page = signed_in().get("/my-events/transcript/")
    context = page.context
    assert (context["hours"], context["ce_credit"]) == (Decimal("6.00"), Decimal("6.00"))
    assert context["by_year"] == [
        (str(record["last_year"]), Decimal("3.00"), Decimal("3.00")),
        (str(record["this_year"]), Decimal("3.00"), Decimal("3.00")),
    ]
    assert context["by_accreditor"] == [
        ("APA", Decimal("3.00"), Decimal("3.00")),
        ("NBCC", Decimal("3.00"), Decimal("3.00")),
    ]
    assert context["by_licence"] == [("Clinical psychologist · PSY-2231", Decimal("6.00"), Decimal("6.00"))]


def test_an_event_without_ce_credit_counts_its_hours_but_no_credit(record):
    event = held_on(timezone.now().date() - dt.timedelta(days=5), "Reading group", 1, "0", "", "Grief Society")
    check_in(attendee(event), *event.ordered_sessions)
    header, *lines = csv_rows(signed_in().get("/my-events/transcript.csv"))
    reading = next(line for line in lines if line[1] == "Reading group")
    assert (reading[3], reading[6], reading[7]) == ("", "2.00", "0.00")


def test_one_year_alone(record):
    client = signed_in()
    year = record["last_year"]
    header, *lines = csv_rows(client.get(f"/my-events/transcript.csv?year={year}"))
    assert [line[1] for line in lines] == ["Alliance workshop"]
    response = client.get(f"/my-events/transcript.pdf?year={year}")
    assert response["Content-Disposition"] == f'attachment; filename="ce-transcript-{year}.pdf"'
    text = pdf_text(response.content)
    assert "Alliance workshop" in text and "Grief seminar" not in text
    assert f'<option value="{year}" selected>' in client.get(f"/my-events/transcript/?year={year}").content.decode()
    assert "No event attended in 1999." in client.get("/my-events/transcript/?year=1999").content.decode()


def test_the_pdf_names_the_person_the_events_and_the_totals(record):
    text = pdf_text(signed_in().get("/my-events/transcript.pdf").content)
    for expected in ("CE transcript", "Ana Pérez", "ana@example.com", "Alliance workshop", "Grief seminar", "NBCC"):
        assert expected in text
    assert "Zed Other" not in text and "Missed day" not in text


@pytest.mark.parametrize("year", ["abc", "20266", "-1", "1066", "２０２６"])
def test_a_wrong_year_gets_a_message(record, year):
    client = signed_in()
    page = client.get("/my-events/transcript/", {"year": year})
    assert page.status_code == 200 and "Give the year as four digits" in page.content.decode()
    assert "Grief seminar" in page.content.decode()  # every year, as said
    for file in ("csv", "pdf"):
        response = client.get(f"/my-events/transcript.{file}", {"year": year})
        assert response.status_code == 400 and b"four digits" in response.content


def test_only_the_signed_in_person_gets_one(record):
    for path in ("/my-events/transcript/", "/my-events/transcript.csv", "/my-events/transcript.pdf"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"] == "/my-events/sign-in/"
    zed = signed_in("zed@example.com").get("/my-events/transcript/").content.decode()
    assert "ZZZ-1" in zed and "PSY-2231" not in zed and "Grief seminar" not in zed


def test_an_undone_check_in_is_not_credited(record):
    check_ins = CheckIn.objects.filter(registration=record["ana"]["Grief seminar"]).order_by("pk")
    check_ins.filter(pk=check_ins[0].pk).update(undone_at=timezone.now())
    header, *lines = csv_rows(signed_in().get("/my-events/transcript.csv"))
    assert [(line[1], line[6]) for line in lines] == [("Alliance workshop", "3.00"), ("Grief seminar", "2.00")]
    check_ins.update(undone_at=timezone.now())
    header, *lines = csv_rows(signed_in().get("/my-events/transcript.csv"))
    assert [line[1] for line in lines] == ["Alliance workshop"]


def test_spreadsheet_formulas_in_names_stay_text(record):
    registration = record["ana"]["Grief seminar"]
    registration.licence_number = '=HYPERLINK("http://evil")'
    registration.save(update_fields=["licence_number"])
    header, *lines = csv_rows(signed_in().get("/my-events/transcript.csv"))
    assert lines[1][5] == '\'=HYPERLINK("http://evil")'


def test_an_event_still_going_on_is_not_listed_until_it_ends(record):
    now = timezone.now()
    ongoing = make_event("Going on", sessions=[(now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))])
    check_in(attendee(ongoing), ongoing.ordered_sessions[0])
    header, *lines = csv_rows(signed_in().get("/my-events/transcript.csv"))
    assert "Going on" not in [line[1] for line in lines]
