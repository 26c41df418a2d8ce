"""A clinician's continuing education, end to end in the browser: she attends two of a workshop's
three sessions (the first at the door, the last online through her personal join link), completes
the evaluation her certificate waits for, downloads the certificate with the hours she attended,
signs in to "My events" by email and downloads a CE transcript covering two organizers' events.
Then the organizer's team exports the evaluation results and the accreditor's roster. And a person
downloads, then erases, their data: the books and the other attendees stay as they were. On a
desktop and on a phone, with no serious accessibility fault on the attendee's pages."""

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.db.models import F
from playwright.sync_api import expect

from events.models import EvaluationTemplate, EventPage, EventSession
from registrations.models import CheckIn, EvaluationResponse, Registration
from tests.browser.test_follow_by_email import assert_no_serious_violations, visitor  # noqa: F401  (the fixture)
from tests.factories import OrganizerFactory, VenueFactory, event_index, make_event, make_registration
from tests.test_certificates import attendee, check_in, pdf_text
from tests.test_evaluations import OWN_QUESTIONS, PRESENTERS, STANDARD_FORM
from tests.test_organizer_permissions import approved_organizer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-organizer-123"


def hybrid_workshop(live_server):
    """Three sessions: 3 hours three days ago, 2 hours two days ago, and 1.5 hours online now."""
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    first, second = now - dt.timedelta(days=3), now - dt.timedelta(days=2)
    event_index()
    organizer = approved_organizer("Alliance Institute")
    standard = EvaluationTemplate.objects.create(name="APA form", organizer=organizer, questions=STANDARD_FORM)
    return make_event(
        "Therapeutic alliance workshop",
        sessions=[
            (first, first + dt.timedelta(hours=3)),
            (second, second + dt.timedelta(hours=2)),
            (now - dt.timedelta(minutes=10), now + dt.timedelta(minutes=80)),
        ],
        venue=VenueFactory(name="Harbor Hall", city="Boston", country="US", time_zone="America/New_York"),
        format="hybrid",
        online_url=f"{live_server.url}/events/",  # the meeting: a page this test server answers
        ce_hours=Decimal("6"),
        ce_accreditor="APA",
        organizer=organizer,
        presenters=PRESENTERS,
        evaluation=OWN_QUESTIONS,
        evaluation_template=standard,
        evaluation_required=True,
    )


def its_end_passes(event):
    """The clock moves on: the workshop is over (its sessions move three hours back)."""
    shift = dt.timedelta(hours=3)
    EventSession.objects.filter(page=event).update(start=F("start") - shift, end=F("end") - shift)
    EventPage.objects.filter(pk=event.pk).update(start=F("start") - shift, end=F("end") - shift)


def csv_of(download):
    return list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))


def test_attend_evaluate_certify_and_hand_over_the_record(visitor, live_server, mailoutbox, django_user_model):  # noqa: F811
    workshop = hybrid_workshop(live_server)
    door, _missed, online = workshop.ordered_sessions
    ana = attendee(workshop)
    check_in(ana, door)
    held = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    grief = make_event(
        "Grief seminar", sessions=[(held, held + dt.timedelta(hours=2))], ce_hours=Decimal("2"),
        ce_accreditor="NBCC", organizer=OrganizerFactory(name="Grief Society"),
    )  # fmt: skip
    check_in(attendee(grief), *grief.ordered_sessions)

    # The last session, online, through her personal link.
    visitor.goto(f"/tickets/{ana.ticket_secret}/")
    visitor.get_by_role("link", name="Join online").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Join online")
    assert_no_serious_violations(visitor)
    visitor.get_by_role("button", name="Join the session now").click()
    expect(visitor).to_have_url(f"{live_server.url}/events/")
    joined = CheckIn.objects.get(registration=ana, session=online)
    assert joined.method == "online" and joined.arrived_at is not None

    its_end_passes(workshop)

    # The certificate waits for the evaluation.
    visitor.goto(f"/tickets/{ana.ticket_secret}/")
    expect(visitor.get_by_role("link", name="Download your certificate of attendance")).to_have_count(0)
    visitor.get_by_role("link", name="Complete the evaluation").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Evaluation")
    assert_no_serious_violations(visitor)
    visitor.get_by_role("button", name="Submit the evaluation").click()
    expect(visitor.get_by_text("Please correct the fields marked below.")).to_be_visible()
    assert not EvaluationResponse.objects.exists()
    form = visitor.locator("form.evaluation")
    form.get_by_role("group", name="The objectives were met").get_by_label("5").check()
    form.get_by_role("group", name="Was the content free of commercial bias?").get_by_label("Yes").check()
    for group in form.get_by_role("group", name="How useful was this session?").all():
        group.get_by_label("4").check()
    for group in form.get_by_role("group", name="The presenter was clear").all():
        group.get_by_label("3").check()
    form.get_by_label("Rupture repair").check()
    form.get_by_label("Anything else?").fill("More role plays, please.")
    expect(form.get_by_role("group", name="How useful was this session?")).to_have_count(2)  # the two attended
    visitor.get_by_role("button", name="Submit the evaluation").click()
    expect(visitor.get_by_text("Thank you: your evaluation has been received.").first).to_be_visible()

    with visitor.expect_download() as certificate:
        visitor.get_by_role("link", name="Download your certificate of attendance").click()
    text = pdf_text(open(certificate.value.path(), "rb").read())
    assert "Hours attended 4.5" in text  # 3 at the door, 1.5 online; the missed 2 not

    # Signed in by email: both organizers' events, and the transcript.
    visitor.goto("/my-events/")
    visitor.get_by_label("Your email address").fill("ana@example.com")
    visitor.get_by_role("button", name="Email me a sign-in link").click()
    link = re.search(r"https?://\S+/my-events/sign-in/\S+/", mailoutbox[-1].body).group(0)
    visitor.goto(link)
    visitor.get_by_role("button", name="Sign in").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("My events")
    expect(visitor.get_by_role("heading", name="Evaluations to complete")).to_have_count(0)
    visitor.get_by_role("link", name=re.compile("CE transcript")).click()
    with visitor.expect_download() as transcript:
        visitor.get_by_role("link", name="Download as CSV").click()
    header, *lines = csv_of(transcript)
    event, hours = header.index("Event"), header.index("Hours attended")
    assert sorted((line[event], line[hours]) for line in lines) == [
        ("Grief seminar", "2.00"), ("Therapeutic alliance workshop", "4.50")
    ]  # fmt: skip

    # The organizer's team: the evaluation's results and the accreditor's roster.
    lead = django_user_model.objects.create_user("lead", "lead@example.com", PASSWORD)
    lead.groups.add(workshop.organizer.team)
    admin = visitor.context.new_page()
    admin.goto(f"/admin/login/?next=/admin/registrations/events/{workshop.pk}/dashboard/")
    admin.get_by_label("Username").fill("lead")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    admin.get_by_role("link", name="Evaluation results").first.click()
    expect(admin.get_by_text("1 of 1 attendees have submitted the evaluation.")).to_be_visible()
    with admin.expect_download() as results:
        admin.get_by_role("link", name="Download CSV").first.click()
    header, row = csv_of(results)
    assert header[0] == "Submitted" and row[header.index("The objectives were met")] == "5"
    assert "Ana" not in ",".join(row)  # anonymous answers
    admin.goto(f"/admin/registrations/events/{workshop.pk}/dashboard/")
    with admin.expect_download() as roster:
        admin.get_by_role("link", name="CSV", exact=True).click()
    header, row = csv_of(roster)
    assert (row[header.index("Name")], row[header.index("Licence number")]) == ("Ana Pérez", "PSY-2231")
    assert row[header.index("Hours attended")] == "4.50"


def test_a_person_downloads_then_erases_their_data_and_the_books_and_others_stay(visitor, mailoutbox):  # noqa: F811
    from tests.test_erasure import books

    now = dt.datetime.now(dt.UTC)
    paid = make_event(
        "Paid workshop", starts_in=dt.timedelta(days=20), tickets=[("Standard", "100.00")], currency="EUR",
        organizer=OrganizerFactory(name="Grief Society", email="team@grief.example"),
    )  # fmt: skip
    ana = make_registration(paid, email="ana@example.com", price="100.00")
    zed = make_registration(paid, name="Zed Other", email="zed@example.com", price="100.00")
    held = now - dt.timedelta(days=10)
    attended = make_event("Alliance workshop", sessions=[(held, held + dt.timedelta(hours=3))])
    check_in(attendee(attended), *attended.ordered_sessions)
    before, zed_before = books(), Registration.objects.filter(pk=zed.pk).values().get()

    visitor.goto("/my-events/sign-in/")
    visitor.get_by_label("Your email address").fill("ana@example.com")
    visitor.get_by_role("button", name="Email me a sign-in link").click()
    visitor.goto(re.search(r"https?://\S+/my-events/sign-in/\S+/", mailoutbox[-1].body).group(0))
    visitor.get_by_role("button", name="Sign in").click()
    with visitor.expect_download() as export:
        visitor.get_by_role("link", name="Download it (JSON)").click()
    data = json.load(open(export.value.path(), encoding="utf-8"))
    assert {r["pk"] for r in data["registrations"]} >= {ana.pk} and "zed@example.com" not in json.dumps(data)

    visitor.get_by_role("link", name="Delete my data").click()
    assert_no_serious_violations(visitor)
    visitor.get_by_role("button", name="Erase my data").click()  # the box not ticked: nothing happens
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Delete my data")
    assert Registration.objects.get(pk=ana.pk).email == "ana@example.com"
    visitor.get_by_role("checkbox").check()
    visitor.get_by_role("button", name="Erase my data").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Your data is erased")

    assert books() == before  # amounts, refunds, invoices, seats and check-ins as they were
    assert Registration.objects.filter(pk=zed.pk).values().get() == zed_before
    assert not Registration.objects.filter(email__iexact="ana@example.com").exists()
