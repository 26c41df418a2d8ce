"""Door check-in: every answer a scan can get, per session, undone and done again, in bulk, in
parallel; who may use the page and its endpoints; the QR code on the ticket and in the email."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
import segno
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import EventPage
from registrations.emails import send_email
from registrations.models import CheckIn, Registration
from registrations.services import attendance
from tests.concurrency import at_once
from tests.factories import make_event, make_registration

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

NOW = timezone.now()


def hours_from_now(start, end):
    return (NOW + dt.timedelta(hours=start), NOW + dt.timedelta(hours=end))


@pytest.fixture
def event():
    return make_event("Alliance workshop", sessions=[hours_from_now(-1, 2)], tickets=[("Standard", "120")])


@pytest.fixture
def three_day_event():
    """Three sessions: yesterday (2 h), now (3 h), tomorrow (1.5 h)."""
    return make_event(
        "Alliance intensive",
        sessions=[hours_from_now(-25, -23), hours_from_now(-1, 2), hours_from_now(23, 24.5)],
        tickets=[("Standard", "300")],
    )


@pytest.fixture
def door(django_user_model):
    return django_user_model.objects.create_user("sam", "sam@example.com", "pw", first_name="Sam", last_name="Door")


def sessions_of(event):
    return event.ordered_sessions


def active(registration):
    return CheckIn.objects.active().filter(registration=registration)


# Every answer a scan can get


def test_a_confirmed_ticket_is_checked_in(event, door):
    ana = make_registration(event, name="Ana Pérez")
    result = attendance.redeem(event, ana.ticket_secret, None, door)

    (check_in,) = active(ana)
    assert result["result"] == "ok"
    assert result["name"] == "Ana Pérez"
    assert result["session"] == sessions_of(event)[0].pk == check_in.session_id
    assert result["check_in"] == check_in.pk
    assert dt.datetime.fromisoformat(result["checked_in_at"]) == check_in.at
    assert check_in.operator == door and check_in.method == "scan"


def test_a_second_scan_says_already_with_when_and_by_whom(event, door, django_user_model):
    ana = make_registration(event)
    first = attendance.redeem(event, ana.ticket_secret, None, door)
    colleague = django_user_model.objects.create_user("kim", "kim@example.com", "pw")

    again = attendance.redeem(event, ana.ticket_secret, None, colleague, method="typed")
    third = attendance.redeem(event, ana.ticket_secret, None, door)

    assert again["result"] == third["result"] == "already"
    assert again["checked_in_at"] == first["checked_in_at"]
    assert again["checked_in_by"] == "Sam Door"  # who checked them in, not who scanned again
    assert again["check_in"] == first["check_in"] and again["name"] == ana.name
    assert active(ana).count() == 1


def test_the_operator_is_named_never_by_email_address(event, django_user_model):
    operator = django_user_model.objects.create_user("lee@example.com", "lee@example.com", "pw")
    ana = make_registration(event)
    attendance.redeem(event, ana.ticket_secret, None, operator)
    again = attendance.redeem(event, ana.ticket_secret, None, operator)
    assert again["checked_in_by"] == "lee"
    assert "@" not in json.dumps(again)


@pytest.mark.parametrize("status", [Registration.Status.HELD, Registration.Status.RELEASED])
def test_an_unpaid_ticket_is_not_checked_in(event, door, status):
    registration = make_registration(event, status=status)
    result = attendance.redeem(event, registration.ticket_secret, None, door)
    assert result["result"] == "unpaid" and result["name"] == registration.name
    assert result["checked_in_at"] is None
    assert not CheckIn.objects.exists()


def test_a_cancelled_ticket_is_not_checked_in(event, door):
    registration = make_registration(event, status=Registration.Status.CANCELLED)
    result = attendance.redeem(event, registration.ticket_secret, None, door)
    assert result["result"] == "cancelled" and result["checked_in_at"] is None
    assert not CheckIn.objects.exists()


def test_a_ticket_for_another_event_says_which(event, door):
    other = make_event("Rupture repair", sessions=[hours_from_now(-1, 2)])
    bea = make_registration(other, name="Bea Otra")
    result = attendance.redeem(event, bea.ticket_secret, None, door)
    assert result["result"] == "wrong_event"
    assert result["name"] == "Bea Otra" and result["event"] == "Rupture repair"
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("secret", ["no-such-ticket", "", "   "])
def test_an_unknown_code(event, door, secret):
    make_registration(event)
    result = attendance.redeem(event, secret, None, door)
    assert result["result"] == "unknown" and result["name"] == "" and result["checked_in_at"] is None
    assert not CheckIn.objects.exists()


def test_an_overlong_code_is_unknown_without_looking_it_up(event, door):
    event.ordered_sessions  # noqa: B018 (loaded before counting queries)
    with CaptureQueriesContext(connection) as queries:
        result = attendance.redeem(event, "x" * 201, None, door)
    assert result["result"] == "unknown"
    assert not any("registrations_registration" in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{code_display}", "{lower_display}", " {spaced} "])
def test_a_ticket_is_checked_in_by_its_short_door_code_in_any_case(event, door, typed):
    ana = make_registration(event, name="Ana Pérez")
    code = ana.door_code
    typed = typed.format(
        code=code, lower=code.lower(), code_display=ana.door_code_display, lower_display=ana.door_code_display.lower(),
        spaced=f"{code[:4]} {code[4:]}".lower(),
    )  # fmt: skip
    result = attendance.redeem(event, typed, None, door, method="typed")
    assert result["result"] == "ok" and result["name"] == "Ana Pérez"
    assert attendance.redeem(event, ana.ticket_secret, None, door)["result"] == "already"  # the secret still works


def test_door_codes_are_short_unambiguous_and_read_the_forgiving_way(event):
    codes = {make_registration(event, email=f"p{i}@example.com").door_code for i in range(30)}
    assert len(codes) == 30
    assert all(len(code) == 8 and not set(code) & set("ILOU") and code == code.upper() for code in codes)
    assert attendance.door_code("oil0-1abc") == "0110" + "1ABC"  # O is 0; I and L are 1
    assert attendance.door_code("U2345678") is None and attendance.door_code("ABC") is None


def test_a_door_code_of_another_events_ticket_says_which_event(event, door):
    other = make_event("Other workshop", sessions=[(timezone.now(), timezone.now() + dt.timedelta(hours=1))])
    bea = make_registration(other, name="Bea")
    result = attendance.redeem(event, bea.door_code.lower(), None, door)
    assert result["result"] == "wrong_event" and result["event"] == "Other workshop"


def test_a_door_code_matches_this_events_ticket_before_another_events(event, door):
    other = make_event("Other workshop")
    theirs = make_registration(other, name="Bea")
    ours = make_registration(event, name="Ana")
    Registration.objects.filter(pk=ours.pk).update(door_code=theirs.door_code)
    assert attendance.redeem(event, theirs.door_code, None, door)["name"] == "Ana"


def test_a_code_with_spaces_from_copying_still_works(event, door):
    ana = make_registration(event)
    secret = ana.ticket_secret
    assert attendance.redeem(event, f" {secret[:20]} {secret[20:]}\n", None, door)["result"] == "ok"


# Sessions


def test_the_session_chosen_by_id_is_the_one_checked_in(three_day_event, door):
    yesterday, today, tomorrow = sessions_of(three_day_event)
    ana = make_registration(three_day_event)

    assert attendance.redeem(three_day_event, ana.ticket_secret, tomorrow.pk, door)["session"] == tomorrow.pk
    assert attendance.redeem(three_day_event, ana.ticket_secret, yesterday.pk, door)["result"] == "ok"
    assert attendance.redeem(three_day_event, ana.ticket_secret, tomorrow.pk, door)["result"] == "already"
    assert {c.session for c in active(ana)} == {yesterday, tomorrow}


def test_no_session_means_the_one_happening_now(three_day_event, door):
    _, today, _ = sessions_of(three_day_event)
    ana = make_registration(three_day_event)
    result = attendance.redeem(three_day_event, ana.ticket_secret, None, door)
    assert result["result"] == "ok" and result["session"] == today.pk
    assert active(ana).get().session == today


def test_current_session_is_the_next_one_today_else_the_first():
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=30)
    event = make_event(
        "Two parts",
        sessions=[
            (start, start + dt.timedelta(hours=2)),
            (start + dt.timedelta(hours=4), start + dt.timedelta(hours=6)),
        ],
    )  # in UTC: 09:00–11:00 and 13:00–15:00
    morning, afternoon = sessions_of(event)
    assert attendance.current_session(event, now=start + dt.timedelta(hours=1)) == morning  # happening now
    assert attendance.current_session(event, now=start + dt.timedelta(hours=3)) == afternoon  # next today
    assert attendance.current_session(event, now=start - dt.timedelta(hours=2)) == morning  # next today
    assert attendance.current_session(event, now=start + dt.timedelta(hours=7)) == morning  # over: the first
    assert attendance.current_session(event, now=start - dt.timedelta(days=3)) == morning  # another day


def test_a_session_of_another_event_is_refused(event, door):
    other = make_event("Other", sessions=[hours_from_now(-1, 2)])
    ana = make_registration(event)
    with pytest.raises(attendance.BadSession):
        attendance.redeem(event, ana.ticket_secret, sessions_of(other)[0].pk, door)
    assert not CheckIn.objects.exists()


# Undo, and in bulk


def test_an_undone_check_in_is_kept_and_the_person_can_be_checked_in_again(event, door, django_user_model):
    ana = make_registration(event)
    first = attendance.redeem(event, ana.ticket_secret, None, door)
    supervisor = django_user_model.objects.create_user("pat", "pat@example.com", "pw")

    undone = attendance.undo(CheckIn.objects.get(pk=first["check_in"]), supervisor)
    assert undone.undone_at is not None and undone.undone_by == supervisor
    assert not active(ana).exists() and CheckIn.objects.filter(registration=ana).count() == 1
    assert attendance.hours_attended(ana) == 0

    again = attendance.redeem(event, ana.ticket_secret, None, door)
    assert again["result"] == "ok" and again["check_in"] != first["check_in"]
    assert CheckIn.objects.filter(registration=ana).count() == 2 and active(ana).count() == 1


def test_undoing_twice_changes_nothing(event, door, django_user_model):
    ana = make_registration(event)
    check_in = CheckIn.objects.get(pk=attendance.redeem(event, ana.ticket_secret, None, door)["check_in"])
    first = attendance.undo(check_in, door)
    other = django_user_model.objects.create_user("pat", "pat@example.com", "pw")
    second = attendance.undo(check_in, other)
    assert second.undone_at == first.undone_at and second.undone_by == door


def test_mark_attended_checks_in_only_confirmed_people_not_yet_there(three_day_event, door):
    yesterday = sessions_of(three_day_event)[0]
    ana = make_registration(three_day_event, name="Ana", email="ana@example.com")
    bea = make_registration(three_day_event, name="Bea", email="bea@example.com")
    held = make_registration(three_day_event, name="Cy", email="cy@example.com", status=Registration.Status.HELD)
    gone = make_registration(three_day_event, name="Di", email="di@example.com", status=Registration.Status.CANCELLED)
    elsewhere = make_registration(make_event("Elsewhere"), name="Ed", email="ed@example.com")
    attendance.redeem(three_day_event, bea.ticket_secret, yesterday.pk, door)

    made = attendance.mark_attended([ana, bea, held, gone, elsewhere], yesterday, door)

    assert [c.registration for c in made] == [ana]
    assert active(ana).get().method == "bulk" and active(ana).get().session == yesterday
    assert active(bea).count() == 1 and active(bea).get().method == "scan"
    assert not CheckIn.objects.filter(registration__in=[held, gone, elsewhere]).exists()
    assert attendance.mark_attended([ana, bea], yesterday, door) == []  # idempotent


# Hours attended


@pytest.mark.parametrize(("ce_hours", "expected"), [(Decimal(0), Decimal("3.50")), (Decimal(3), Decimal("3.00"))])
def test_hours_attended_sum_the_sessions_attended_capped_at_ce_hours(door, ce_hours, expected):
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=10)
    event = make_event(
        "Three parts",
        sessions=[
            (start, start + dt.timedelta(hours=2)),
            (start + dt.timedelta(days=1), start + dt.timedelta(days=1, hours=3)),
            (start + dt.timedelta(days=2), start + dt.timedelta(days=2, minutes=90)),
        ],
        ce_hours=ce_hours,
    )
    first, second, third = sessions_of(event)
    ana = make_registration(event)
    attendance.redeem(event, ana.ticket_secret, first.pk, door)
    attendance.redeem(event, ana.ticket_secret, third.pk, door)
    assert attendance.hours_attended(ana) == expected
    assert set(attendance.attended_sessions(ana)) == {first, third}


# Search


def test_search_finds_confirmed_and_held_people_of_this_event_by_name_or_email(event):
    ana = make_registration(event, name="Ana Pérez", email="ana@clinic.example")
    held = make_registration(event, name="Anabel Ruiz", email="ruiz@example.com", status=Registration.Status.HELD)
    make_registration(event, name="Ana Cancelled", email="anac@example.com", status=Registration.Status.CANCELLED)
    make_registration(event, name="Ana Released", email="anar@example.com", status=Registration.Status.RELEASED)
    make_registration(make_event("Elsewhere"), name="Ana Elsewhere", email="anae@example.com")

    assert list(attendance.search(event, "ana")) == [ana, held]
    assert list(attendance.search(event, "CLINIC")) == [ana]
    assert list(attendance.search(event, "ruiz anabel")) == [held]
    assert list(attendance.search(event, "a")) == []  # too short to mean anyone
    for i in range(25):
        make_registration(event, name=f"Zed {i:02}", email=f"zed{i}@example.com")
    assert len(attendance.search(event, "zed")) == 20


# The endpoints


def redeem_url(event):
    return f"/checkin/{event.pk}/redeem/"


def post_json(client, url, payload, **extra):
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(url, body, content_type="application/json", **extra)


@pytest.fixture
def superuser_client(django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw", first_name="Robin")
    client = Client()
    client.force_login(user)
    return client


def test_redeem_answers_json_and_counts(event, superuser_client):
    ana = make_registration(event, name="Ana Pérez")
    make_registration(event, name="Bea", email="bea@example.com")

    response = post_json(superuser_client, redeem_url(event), {"secret": ana.ticket_secret, "session": None})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    assert data["result"] == "ok" and data["name"] == "Ana Pérez" and data["checked_in_at"]
    assert data["counts"] == {"checked_in": 1, "confirmed": 2}
    assert active(ana).get().method == "scan"

    again = post_json(
        superuser_client,
        redeem_url(event),
        {"secret": ana.ticket_secret, "session": data["session"], "method": "typed"},
    ).json()
    assert again["result"] == "already" and again["checked_in_by"] == "Robin"
    assert again["checked_in_at"] == data["checked_in_at"]


def test_redeem_by_a_registration_found_by_name(event, superuser_client):
    ana = make_registration(event)
    other = make_registration(make_event("Elsewhere", sessions=[hours_from_now(-1, 2)]), email="x@example.com")
    data = post_json(superuser_client, redeem_url(event), {"registration": ana.pk, "session": None, "method": "search"})
    assert data.json()["result"] == "ok" and active(ana).get().method == "search"
    # Another event's registration is not found through this event's door.
    data = post_json(superuser_client, redeem_url(event), {"registration": other.pk, "session": None})
    assert data.json()["result"] == "unknown" and not active(other).exists()


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        b"\xff\xfe",
        "[1, 2]",
        "null",
        {},
        {"secret": ""},
        {"secret": 12345},
        {"secret": ["a"]},
        {"secret": "abc", "session": "1"},
        {"secret": "abc", "session": 1.5},
        {"secret": "abc", "session": True},
        {"secret": "abc", "method": "bulk"},
        {"registration": "1"},
    ],
)
def test_bad_redeem_requests_get_400_with_a_message(event, superuser_client, body):
    make_registration(event)
    response = post_json(superuser_client, redeem_url(event), body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert not CheckIn.objects.exists()


def test_a_session_of_another_event_is_a_bad_request(event, superuser_client):
    ana = make_registration(event)
    other = make_event("Other", sessions=[hours_from_now(-1, 2)])
    response = post_json(
        superuser_client, redeem_url(event), {"secret": ana.ticket_secret, "session": sessions_of(other)[0].pk}
    )
    assert response.status_code == 400 and response.json()["error"]
    assert not CheckIn.objects.exists()


def test_an_overlong_code_is_unknown(event, superuser_client):
    response = post_json(superuser_client, redeem_url(event), {"secret": "A" * 5000, "session": None})
    assert response.status_code == 200 and response.json()["result"] == "unknown"


def test_redeem_only_takes_posts(event, superuser_client):
    assert superuser_client.get(redeem_url(event)).status_code == 405


def test_redeem_without_the_csrf_token_is_refused(event, django_user_model):
    ana = make_registration(event)
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    payload = {"secret": ana.ticket_secret, "session": None}

    assert post_json(browser, redeem_url(event), payload).status_code == 403
    assert not CheckIn.objects.exists()

    page = browser.get(f"/checkin/{event.pk}/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    response = post_json(browser, redeem_url(event), payload, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json()["result"] == "ok"


def test_undo_endpoint(event, superuser_client):
    ana = make_registration(event)
    check_in = post_json(superuser_client, redeem_url(event), {"secret": ana.ticket_secret}).json()["check_in"]
    response = post_json(superuser_client, f"/checkin/{event.pk}/undo/", {"check_in": check_in})
    assert response.status_code == 200
    assert response.json()["result"] == "undone" and response.json()["counts"]["checked_in"] == 0
    assert CheckIn.objects.get(pk=check_in).undone_at is not None
    assert post_json(superuser_client, redeem_url(event), {"secret": ana.ticket_secret}).json()["result"] == "ok"

    for bad in ("{", {"check_in": "1"}, {}):
        assert post_json(superuser_client, f"/checkin/{event.pk}/undo/", bad).status_code == 400


def test_undo_cannot_reach_another_events_check_ins(event, superuser_client, door):
    other = make_event("Other", sessions=[hours_from_now(-1, 2)])
    bea = make_registration(other)
    check_in = attendance.redeem(other, bea.ticket_secret, None, door)["check_in"]
    response = post_json(superuser_client, f"/checkin/{event.pk}/undo/", {"check_in": check_in})
    assert response.status_code == 404
    assert CheckIn.objects.get(pk=check_in).undone_at is None


def test_search_endpoint(three_day_event, superuser_client, door):
    _, today, tomorrow = sessions_of(three_day_event)
    ana = make_registration(three_day_event, name="Ana Pérez", email="ana@example.com")
    make_registration(three_day_event, name="Anabel", email="anabel@example.com", status=Registration.Status.HELD)
    attendance.redeem(three_day_event, ana.ticket_secret, today.pk, door)

    url = f"/checkin/{three_day_event.pk}/search/"

    def search(body):
        return superuser_client.post(url, body, content_type="application/json")

    data = search({"q": "ana", "session": None}).json()
    assert data["session"] == today.pk
    assert [(r["name"], r["status"], bool(r["check_in"])) for r in data["results"]] == [
        ("Ana Pérez", "confirmed", True),
        ("Anabel", "held", False),
    ]
    assert data["results"][0]["check_in"]["checked_in_by"] == "Sam Door"
    assert "secret" not in json.dumps(data) and ana.ticket_secret not in json.dumps(data)
    later = search({"q": "ana", "session": tomorrow.pk}).json()
    assert [r["check_in"] for r in later["results"]] == [None, None]
    assert search({"q": "ana", "session": "x"}).status_code == 400
    assert search({"q": ["ana"]}).status_code == 400
    assert superuser_client.get(url, {"q": "ana"}).status_code == 405  # never a name in a URL


def test_the_page_shows_the_sessions_and_the_counts(three_day_event, superuser_client, door):
    _, today, tomorrow = sessions_of(three_day_event)
    ana = make_registration(three_day_event, name="Ana Pérez")
    make_registration(three_day_event, name="Bea", email="bea@example.com")
    attendance.redeem(three_day_event, ana.ticket_secret, today.pk, door)

    html = superuser_client.get(f"/checkin/{three_day_event.pk}/").content.decode()
    assert f'<option value="{today.pk}" selected>' in html
    assert 'aria-live="assertive"' in html
    assert re.search(r'data-count="checked_in">1<.*data-count="confirmed">2<', html)
    assert "Ana Pérez" in html and f'data-undo="{CheckIn.objects.get().pk}"' in html

    later = superuser_client.get(f"/checkin/{three_day_event.pk}/", {"session": tomorrow.pk}).content.decode()
    assert f'<option value="{tomorrow.pk}" selected>' in later
    assert re.search(r'data-count="checked_in">0<', later)
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', later)
    assert "/static/registrations/checkin.js" in scripts
    # Nothing from a CDN: the page's own script and Wagtail's user bar, all from this site.
    assert all(re.match(r"(/[^/]|(http:)?//testserver/)", src) for src in scripts), scripts


# Who may use it


def team_for(event):
    group = Group.objects.create(name=f"Team of {event.organizer.name}")
    event.organizer.team = group
    event.organizer.save()
    return group


@pytest.fixture
def people(event, django_user_model):
    """Each kind of visitor, as a logged-in client (or None for anonymous)."""
    check_in = Permission.objects.get(codename="check_in")
    team = team_for(event)
    other_event = make_event("Someone else's", sessions=[hours_from_now(-1, 2)])
    other_team = team_for(other_event)

    def user(username, group=None, perm=False, superuser=False):
        make = django_user_model.objects.create_superuser if superuser else django_user_model.objects.create_user
        person = make(username, f"{username}@example.com", "pw")
        if group:
            person.groups.add(group)
        if perm:
            person.user_permissions.add(check_in)
        client = Client()
        client.force_login(person)
        return client

    return {
        "anonymous": Client(),
        "attendee": user("attendee"),
        "team without the permission": user("editor", team),
        "another organizer's team": user("stranger", other_team, perm=True),
        "permission but no team": user("loose", perm=True),
        "the event's team": user("door", team, perm=True),
        "superuser": user("root", superuser=True),
    }


ALLOWED = {"the event's team", "superuser"}
WHO = [
    "anonymous",
    "attendee",
    "team without the permission",
    "another organizer's team",
    "permission but no team",
    "the event's team",
    "superuser",
]


@pytest.mark.parametrize("who", WHO)
def test_who_may_open_the_check_in_page(event, people, who):
    response = people[who].get(f"/checkin/{event.pk}/")
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next=/checkin/{event.pk}/"
    else:
        assert response.status_code == (200 if who in ALLOWED else 403)


@pytest.mark.parametrize("who", WHO)
def test_who_may_redeem(event, people, who):
    ana = make_registration(event)
    response = post_json(people[who], redeem_url(event), {"secret": ana.ticket_secret, "session": None})
    assert response.status_code == (200 if who in ALLOWED else 403)
    assert active(ana).exists() == (who in ALLOWED)
    if who not in ALLOWED:
        assert "error" in response.json() and "name" not in response.json()


@pytest.mark.parametrize("who", WHO)
def test_who_may_search(event, people, who):
    make_registration(event, name="Ana Pérez")
    response = post_json(people[who], f"/checkin/{event.pk}/search/", {"q": "ana"})
    assert response.status_code == (200 if who in ALLOWED else 403)
    assert ("ana@example.com" in response.content.decode()) == (who in ALLOWED)


@pytest.mark.parametrize("who", WHO)
def test_who_may_undo(event, people, who, door):
    ana = make_registration(event)
    check_in = attendance.redeem(event, ana.ticket_secret, None, door)["check_in"]
    response = post_json(people[who], f"/checkin/{event.pk}/undo/", {"check_in": check_in})
    assert response.status_code == (200 if who in ALLOWED else 403)
    assert (CheckIn.objects.get(pk=check_in).undone_at is not None) == (who in ALLOWED)


# The QR code


def qr_path(svg):
    """The path that draws the dark modules: what the code says, whatever its size or colours."""
    return re.search(r'<path[^>]*stroke="#000"[^>]*d="([^"]+)"', svg).group(1)


def test_a_confirmed_tickets_page_shows_the_qr_code_of_its_secret_and_the_code_as_text(event, client):
    ana = make_registration(event)
    html = client.get(f"/tickets/{ana.ticket_secret}/").content.decode()

    (svg,) = re.findall(r"<svg.*?</svg>", html, re.S)
    assert 'role="img"' in svg and 'aria-label="QR code of your ticket"' in svg
    expected = segno.make_qr(ana.ticket_secret, error="m").svg_inline(dark="#000")
    assert qr_path(svg) == qr_path(expected)
    assert qr_path(svg) != qr_path(segno.make_qr(ana.ticket_secret + "x", error="m").svg_inline(dark="#000"))
    assert re.search(rf'<code class="ticket-code"[^>]*>{ana.door_code_display}</code>', html)


@pytest.mark.parametrize("status", [Registration.Status.HELD, Registration.Status.CANCELLED])
def test_an_unconfirmed_tickets_page_shows_no_qr_code(event, client, status):
    registration = make_registration(event, status=status)
    html = client.get(f"/tickets/{registration.ticket_secret}/").content.decode()
    assert "<svg" not in html and "ticket-qr" not in html
    assert client.get(f"/tickets/{registration.ticket_secret}/qr.png").status_code == 404


def test_the_qr_image_for_the_email(event, client):
    ana = make_registration(event)
    response = client.get(f"/tickets/{ana.ticket_secret}/qr.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert client.get("/tickets/not-a-ticket/qr.png").status_code == 404


def test_the_confirmation_email_shows_the_qr_code_and_the_code(event, mailoutbox, django_capture_on_commit_callbacks):
    ana = make_registration(event)
    with django_capture_on_commit_callbacks(execute=True):
        send_email("confirmation", registration=ana)
    (message,) = mailoutbox
    html = message.alternatives[0][0]
    assert f'<img src="http://localhost/tickets/{ana.ticket_secret}/qr.png"' in html
    assert 'alt="QR code of your ticket"' in html
    assert ana.door_code_display in message.body and ana.door_code_display in html


# Many phones, one ticket


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_scans_of_one_ticket_check_in_once(django_user_model):
    event = make_event("Rush at the door", sessions=[hours_from_now(-1, 2)])
    ana = make_registration(event)
    operator = django_user_model.objects.create_user("sam", "sam@example.com", "pw", first_name="Sam")

    def scan():
        door = EventPage.objects.get(pk=event.pk)  # each phone's request loads the event itself
        return attendance.redeem(door, ana.ticket_secret, None, operator)["result"]

    results = at_once([scan] * 10)
    assert sorted(results) == ["already"] * 9 + ["ok"]
    assert CheckIn.objects.active().filter(registration=ana).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_each_existing_ticket_its_own_door_code(event):
    seats = [make_registration(event, email=f"p{i}@example.com") for i in range(5)]
    executor = MigrationExecutor(connection)
    (door_codes,) = [key for key in executor.loader.graph.nodes if key[0] == "registrations" and "door_code" in key[1]]
    (before,) = [
        node.key for node in executor.loader.graph.node_map[door_codes].parents if node.key[0] == "registrations"
    ]
    executor.migrate([before])
    executor = MigrationExecutor(connection)
    executor.migrate([key for key in executor.loader.graph.leaf_nodes()])
    codes = list(Registration.objects.filter(pk__in=[s.pk for s in seats]).values_list("door_code", flat=True))
    assert len(set(codes)) == 5 and all(attendance.door_code(code) == code for code in codes)


def test_a_new_order_never_draws_a_door_code_its_event_already_has(event, monkeypatch):
    """40 bits make a repeat unlikely, not impossible: the order draws again instead of failing."""
    from registrations import models

    ana = make_registration(event)
    draws = iter([ana.door_code, ana.door_code, "ZZZZ0000"])
    monkeypatch.setattr(models, "new_door_code", lambda: next(draws))
    assert models.unused_door_codes(event, 1) == ["ZZZZ0000"]
