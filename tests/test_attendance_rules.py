"""Attendance that holds up (services/credit.py, services/attendance.py): an event's rules (a
minimum share of each session, credit by the session or by the minute), arrivals and departures
at the door, joining online through the personal link, and staff corrections with a reason that
the certificate's verification page shows as a reissue."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from events.models import EventPage, EventSession
from registrations.models import CheckIn, OrderLogEntry, Registration
from registrations.services import attendance, certificates, credit, transcripts
from registrations.services.exports import attendance_rows
from tests.factories import OrganizerFactory, VenueFactory, make_event
from tests.test_certificates import attendee, past_event
from tests.test_checkin import post_json, redeem_url
from tests.test_dashboard import team_member

pytestmark = pytest.mark.django_db

ONLINE_URL = "https://meet.example.com/j/alliance-123"


def with_rules(event, **rules):
    EventPage.objects.filter(pk=event.pk).update(**rules)
    return EventPage.objects.get(pk=event.pk)


def there(registration, session, late=0, early=0):
    """A check-in `late` minutes after the session's start, leaving `early` minutes before its end."""
    return CheckIn.objects.create(
        registration=registration,
        session=session,
        arrived_at=session.start + dt.timedelta(minutes=late),
        left_at=session.end - dt.timedelta(minutes=early) if early else None,
    )


@pytest.fixture
def event():
    """Three sessions of 2, 1.5 and 2 hours that ended yesterday; 6 CE hours offered."""
    return past_event()


# The rules


def test_by_default_any_check_in_earns_its_whole_session(event):
    seat = attendee(event)
    first, second, _third = event.ordered_sessions
    there(seat, first, late=100)  # 20 minutes of 120
    CheckIn.objects.create(registration=seat, session=second)  # a bulk mark: no times at all
    assert attendance.hours_attended(seat) == Decimal("3.50")


def test_a_session_counts_only_when_the_minimum_share_was_attended(event):
    event = with_rules(event, minimum_attendance=75)
    seat = attendee(event)
    first, second, third = event.ordered_sessions
    there(seat, first, late=30)  # 90 of 120 minutes: exactly 75%, counts
    there(seat, second, late=15, early=15)  # 60 of 90: 67%, does not
    there(seat, third, late=31)  # 89 of 120: just under
    assert attendance.hours_attended(seat) == Decimal("2.00")
    assert [s.pk for s in attendance.credited_sessions(seat)] == [first.pk]


def test_credit_by_the_minute_counts_from_arrival_to_departure_within_the_session(event):
    event = with_rules(event, attendance_credit=EventPage.Credit.MINUTE)
    seat = attendee(event)
    first, second, third = event.ordered_sessions
    there(seat, first, late=30, early=10)  # 80 minutes
    CheckIn.objects.create(  # arrived before the start, left after the end: the session's 90 minutes
        registration=seat, session=second,
        arrived_at=second.start - dt.timedelta(hours=1), left_at=second.end + dt.timedelta(hours=1),
    )  # fmt: skip
    CheckIn.objects.create(registration=seat, session=third, arrived_at=third.end + dt.timedelta(minutes=5))
    assert attendance.hours_attended(seat) == Decimal("2.83")  # 170 minutes; the third earned nothing
    assert [s.pk for s in attendance.credited_sessions(seat)] == [first.pk, second.pk]


def test_the_cap_still_applies_and_an_undone_check_in_earns_nothing(event):
    event = with_rules(event, ce_hours=Decimal("3"), attendance_credit=EventPage.Credit.MINUTE)
    seat = attendee(event)
    for session in event.ordered_sessions:
        there(seat, session)
    assert attendance.hours_attended(seat) == Decimal("3.00")
    CheckIn.objects.filter(registration=seat).update(undone_at=timezone.now())
    assert attendance.hours_attended(seat) == Decimal("0.00")


def test_nothing_credited_means_no_certificate_and_every_reader_agrees(event):
    """The certificate, the attendance export, My events and the transcript read one rule."""
    event = with_rules(event, minimum_attendance=50)
    short, full = attendee(event), attendee(event, name="Ben Brown", email="ben@example.com")
    there(short, event.ordered_sessions[0], late=90)  # 25%
    there(full, event.ordered_sessions[0], late=30)  # 75%
    assert certificates.availability(short) == certificates.Availability.NOT_ATTENDED
    assert certificates.eligible(full) and list(certificates.eligible_registrations(event)) == [full]
    rows = {row["name"]: row["hours_attended"] for row in attendance_rows(event)}
    assert rows == {"Ana Pérez": Decimal("0.00"), "Ben Brown": Decimal("2.00")}
    assert transcripts.lines("ana@example.com") == []
    assert [line.hours for line in transcripts.lines("ben@example.com")] == [Decimal("2.00")]


# The door: arrivals and departures


@pytest.fixture
def door(django_user_model):
    return django_user_model.objects.create_superuser("door", "door@example.com", "pw")


@pytest.fixture
def today():
    start = timezone.now() - dt.timedelta(hours=1)
    return make_event("Today's workshop", sessions=[(start, start + dt.timedelta(hours=3))])


def test_a_scan_records_the_arrival_and_a_check_out_scan_the_departure(today, door):
    seat = attendee(today)
    session = today.ordered_sessions[0]
    assert attendance.redeem(today, seat.ticket_secret, None, door)["result"] == "ok"
    check_in = CheckIn.objects.get()
    assert check_in.arrived_at is not None and check_in.left_at is None
    leaving = attendance.redeem(today, seat.ticket_secret, session.pk, door, leaving=True)
    assert leaving["result"] == "left" and leaving["left_at"]
    check_in.refresh_from_db()
    assert check_in.left_at is not None and check_in.left_at >= check_in.arrived_at
    stranger = attendee(today, name="Cy Absent", email="cy@example.com")
    assert attendance.redeem(today, stranger.ticket_secret, session.pk, door, leaving=True)["result"] == "not_in"
    assert not CheckIn.objects.filter(registration=stranger).exists()


def test_the_door_api_takes_a_direction_and_refuses_any_other(today, door):
    seat = attendee(today)
    client = Client()
    client.force_login(door)
    assert post_json(client, redeem_url(today), {"secret": seat.ticket_secret}).json()["result"] == "ok"
    out = post_json(client, redeem_url(today), {"secret": seat.ticket_secret, "direction": "out"})
    assert out.status_code == 200 and out.json()["result"] == "left"
    bad = post_json(client, redeem_url(today), {"secret": seat.ticket_secret, "direction": "sideways"})
    assert bad.status_code == 400 and "direction" in bad.json()["error"]
    page = client.get(f"/checkin/{today.pk}/?direction=out").content.decode()
    assert '"direction": "out"' in page and "Check-out" in page


# Online: the personal join link


@pytest.fixture
def webinar():
    start = timezone.now() + dt.timedelta(minutes=10)
    return make_event(
        "Alliance webinar",
        sessions=[(start, start + dt.timedelta(hours=2)), (start + dt.timedelta(days=1), start + dt.timedelta(days=1, hours=2))],
        format="online",
        online_url=ONLINE_URL,
    )  # fmt: skip


def join_path(registration):
    return f"/tickets/{registration.ticket_secret}/join/"


def test_joining_through_the_personal_link_records_the_arrival_then_opens_the_meeting(webinar):
    seat = attendee(webinar)
    client = Client()
    page = client.get(join_path(seat)).content.decode()
    assert "Join the session now" in page and ONLINE_URL not in page
    assert not CheckIn.objects.exists()  # opening the link (a mail scanner, say) records nothing
    response = client.post(join_path(seat))
    assert response.status_code == 302 and response["Location"] == ONLINE_URL
    check_in = CheckIn.objects.get()
    assert (check_in.method, check_in.session) == ("online", webinar.ordered_sessions[0])
    assert check_in.arrived_at is not None
    again = client.post(join_path(seat))  # the connection dropped: joining again keeps the first arrival
    assert again["Location"] == ONLINE_URL
    assert CheckIn.objects.get().arrived_at == check_in.arrived_at
    ticket = client.get(f"/tickets/{seat.ticket_secret}/").content.decode()
    assert join_path(seat) in ticket and ONLINE_URL not in ticket


def test_the_personal_link_leads_to_the_meeting_of_the_moment(webinar):
    """The emails and invites carry the personal link, never the meeting's address: a new room needs no new link."""
    seat = attendee(webinar)
    EventPage.objects.filter(pk=webinar.pk).update(online_url="https://meet.example.com/j/new-room")
    assert Client().post(join_path(seat))["Location"] == "https://meet.example.com/j/new-room"


def test_the_join_link_opens_only_near_a_session_and_only_for_a_confirmed_online_ticket(webinar):
    later = make_event("Next month", starts_in=dt.timedelta(days=30), format="online", online_url=ONLINE_URL)
    early = attendee(later)
    page = Client().get(join_path(early)).content.decode()
    assert "No session is open to join now" in page
    response = Client().post(join_path(early))
    assert response.status_code == 200 and not CheckIn.objects.exists()
    cancelled = attendee(webinar, name="Di Gone", email="di@example.com", status=Registration.Status.CANCELLED)
    in_person = attendee(make_event("At the hall", venue=VenueFactory()), email="hall@example.com")
    for seat in (cancelled, in_person):
        refused = Client().post(join_path(seat), follow=True)
        assert "no online sessions to join" in refused.content.decode()
    assert not CheckIn.objects.exists()
    assert Client().get("/tickets/made-up-secret-made-up-secret-made-up-x/join/").status_code == 404


# Attendance codes


@pytest.fixture
def coded(webinar):
    """The webinar asks online attendees for each session's code; its first session is under way."""
    start = timezone.now() - dt.timedelta(minutes=20)
    EventSession.objects.filter(pk=webinar.ordered_sessions[0].pk).update(
        start=start, end=start + dt.timedelta(hours=1)
    )
    return with_rules(webinar, attendance_codes=True)


def code_path(registration):
    return f"/tickets/{registration.ticket_secret}/code/"


def test_each_session_has_its_own_stable_code_shown_to_the_door(coded, door):
    first, second = coded.ordered_sessions
    code = attendance.attendance_code(first)
    assert len(code) == 6 and code == attendance.attendance_code(first) != attendance.attendance_code(second)
    client = Client()
    client.force_login(door)
    assert code in client.get(f"/checkin/{coded.pk}/?session={first.pk}").content.decode()
    plain = make_event("No codes", starts_in=dt.timedelta(hours=1))
    assert (
        attendance.attendance_code(plain.ordered_sessions[0])
        not in client.get(f"/checkin/{plain.pk}/").content.decode()
    )


def test_joining_counts_once_the_code_is_entered(coded):
    seat = attendee(coded)
    client = Client()
    assert "Attendance code" in client.get(f"/tickets/{seat.ticket_secret}/").content.decode()
    client.post(join_path(seat))
    check_in = CheckIn.objects.get()
    assert not credit.counts(check_in, coded) and attendance.hours_attended(seat) == Decimal("0.00")
    first, second = coded.ordered_sessions
    for wrong in ("", "ZZZZZZ", attendance.attendance_code(second), "x" * 500):
        response = client.post(code_path(seat), {"code": wrong}, follow=True)
        assert "That is not the code of the session under way" in response.content.decode()
    assert CheckIn.objects.get().code_entered_at is None
    typed = " ".join(attendance.attendance_code(first).lower())  # any case, spaces: still read
    response = client.post(code_path(seat), {"code": typed}, follow=True)
    assert "Code accepted" in response.content.decode()
    check_in.refresh_from_db()
    assert check_in.code_entered_at is not None and credit.counts(check_in, coded)
    assert attendance.hours_attended(seat) == Decimal("1.00")


def test_a_code_is_taken_from_the_sessions_start_to_half_an_hour_after_its_end(coded):
    seat = attendee(coded)
    first = coded.ordered_sessions[0]
    code = attendance.attendance_code(first)
    for moment in (first.start - dt.timedelta(minutes=1), first.end + attendance.CODE_GRACE):
        with pytest.raises(attendance.WrongCode):
            attendance.enter_code(seat, code, now=moment)
    assert not CheckIn.objects.exists()
    assert attendance.enter_code(seat, code, now=first.end + dt.timedelta(minutes=29)) == first


def test_a_code_alone_records_attendance_and_no_code_is_asked_when_the_event_asks_none(coded, webinar):
    seat = attendee(coded)
    Client().post(code_path(seat), {"code": attendance.attendance_code(coded.ordered_sessions[0])})
    assert CheckIn.objects.get().method == "code" and attendance.hours_attended(seat) == Decimal("1.00")
    plain = make_event("No codes", starts_in=dt.timedelta(minutes=-10), format="online", online_url=ONLINE_URL)
    other = attendee(plain, email="plain@example.com")
    assert "Attendance code" not in Client().get(f"/tickets/{other.ticket_secret}/").content.decode()
    refused = Client().post(code_path(other), {"code": "ABCDEF"}, follow=True)
    assert "This event asks for no attendance codes." in refused.content.decode()
    assert not CheckIn.objects.filter(registration=other).exists()


# Staff corrections


def correction_path(registration):
    return f"/admin/registrations/events/{registration.event_id}/attendance/{registration.pk}/"


def local(moment, event):
    return timezone.localtime(moment, event.zone).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def certified(event):
    """Ana was checked in at all three sessions (5.5 hours) and has her certificate."""
    seat = attendee(event)
    for session in event.ordered_sessions:
        CheckIn.objects.create(registration=seat, session=session)
    certificates.issue(seat)
    return seat


def test_a_correction_with_its_reason_changes_the_hours_and_the_certificate_says_reissued(
    event, certified, admin_client
):
    event = with_rules(event, attendance_credit=EventPage.Credit.MINUTE)
    first, second, third = event.ordered_sessions
    verify = f"/certificates/{certified.certificate_code}/"
    assert "Reissued" not in Client().get(verify).content.decode()
    data = {
        "reason": "Left at the lunch break on day 1; told the desk.",
        f"present_{first.pk}": "on", f"left_{first.pk}": local(first.start + dt.timedelta(hours=1), event),
        f"present_{second.pk}": "on",
    }  # fmt: skip
    response = admin_client.post(correction_path(certified), data)
    assert response.status_code == 302
    assert attendance.hours_attended(Registration.objects.get(pk=certified.pk)) == Decimal("2.50")  # 1 + 1.5
    entry = OrderLogEntry.objects.get(action=attendance.CORRECTED)
    assert entry.detail["reason"] == "Left at the lunch break on day 1; told the desk."
    assert (entry.detail["hours_before"], entry.detail["hours_after"]) == ("5.50", "2.50")
    assert entry.user.username == "admin"
    assert CheckIn.objects.get(registration=certified, session=third).undone_at is not None
    page = Client().get(verify).content.decode()
    assert "Reissued on" in page and "2.5" in page and 'data-valid="true"' in page
    assert certificates.details(certified)["reissued_at"]


def test_a_correction_before_the_certificate_was_issued_is_no_reissue(event, admin_client):
    seat = attendee(event)
    first = event.ordered_sessions[0]
    admin_client.post(correction_path(seat), {"reason": "Signed the paper sheet", f"present_{first.pk}": "on"})
    assert attendance.hours_attended(seat) == Decimal("2.00")
    code = certificates.issue(Registration.objects.get(pk=seat.pk))
    page = Client().get(f"/certificates/{code}/").content.decode()
    assert 'data-valid="true"' in page and "Reissued" not in page


def test_a_correction_needs_a_reason_and_sane_times_else_nothing_changes(event, certified, admin_client):
    first = event.ordered_sessions[0]
    for bad in (
        {"reason": "", f"present_{first.pk}": "on"},
        {"reason": "typo", f"present_{first.pk}": "on", f"arrived_{first.pk}": local(first.end, event),
         f"left_{first.pk}": local(first.start, event)},
        {"reason": "typo", f"present_{first.pk}": "on", f"arrived_{first.pk}": "yesterday-ish"},
    ):  # fmt: skip
        response = admin_client.post(correction_path(certified), bad)
        assert response.status_code == 200 and response.context["form"].errors
    assert attendance.hours_attended(certified) == Decimal("5.50")
    assert not OrderLogEntry.objects.filter(action=attendance.CORRECTED).exists()


def test_corrected_to_no_attendance_the_certificate_is_no_longer_valid(event, certified, admin_client):
    admin_client.post(correction_path(certified), {"reason": "Registered but never came; scanned by mistake."})
    page = Client().get(f"/certificates/{certified.certificate_code}/").content.decode()
    assert 'data-valid="false"' in page and "corrected to none" in page


def test_only_those_who_check_in_for_the_event_correct_it(event, certified, django_user_model):
    own = team_member(django_user_model, event.organizer, "teammate")
    assert own.get(correction_path(certified)).status_code == 403  # the team, without the check-in permission
    django_user_model.objects.get(username="teammate").user_permissions.add(Permission.objects.get(codename="check_in"))
    assert own.get(correction_path(certified)).status_code == 200
    rival = team_member(django_user_model, OrganizerFactory(name="Rival"), "rival")
    django_user_model.objects.get(username="rival").user_permissions.add(Permission.objects.get(codename="check_in"))
    assert rival.post(correction_path(certified), {"reason": "x"}).status_code == 403
    assert attendance.hours_attended(certified) == Decimal("5.50")


def test_the_rule_functions_agree_on_a_check_in_without_times(event):
    seat = attendee(event)
    check_in = CheckIn.objects.create(registration=seat, session=event.ordered_sessions[0])
    assert credit.minutes_attended(check_in) == 120 and credit.counts(check_in, event)
