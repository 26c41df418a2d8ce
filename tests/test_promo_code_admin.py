"""Codes in the admin: a team makes codes for its own organizer, events and ticket types only (the
values the form saves decide), sees no other team's codes, and cannot delete a code that was used."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils.http import urlencode

from events.models import TicketType
from registrations.admin_dashboard import event_figures
from registrations.models import PromoCode
from tests.factories import event_index, make_event, make_registration
from tests.registration_helpers import attendee_data
from tests.test_organizer_permissions import approved_organizer

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

CODES = "/admin/registrations/codes/"


@pytest.fixture
def teams(django_user_model):
    event_index()
    own, other = approved_organizer("Alliance Institute"), approved_organizer("Other Society")
    event = make_event(
        "Alliance workshop", organizer=own, tickets=[("Standard", "120.00"), ("Member", "90.00")], currency="EUR"
    )
    rival_event = make_event("Other workshop", organizer=other, tickets=[("Standard", "50.00")], currency="EUR")
    member = django_user_model.objects.create_user("own", "own@example.com", "pw")
    member.groups.add(own.team)
    client = Client()
    client.force_login(member)
    other_member = django_user_model.objects.create_user("other", "other@example.com", "pw")
    other_member.groups.add(other.team)
    return {
        "own": own, "other": other, "event": event, "rival_event": rival_event, "client": client,
        "other_member": other_member,
    }  # fmt: skip


def code_form(teams, **changes):
    data = {
        "organizer": teams["own"].pk, "event": teams["event"].pk, "code": "early bird", "kind": "percent",
        "value": "20", "max_uses": "", "max_uses_per_buyer": "", "valid_from": "", "valid_until": "", "note": "",
    }  # fmt: skip
    data.update(changes)
    return data


def test_a_team_member_adds_a_code_for_its_event(teams):
    member_ticket = teams["event"].ticket_types.get(name="Member")
    response = teams["client"].post(CODES + "new/", code_form(teams, ticket_types=[member_ticket.pk], max_uses="20"))
    assert response.status_code == 302, response.content.decode()[:3000]
    code = PromoCode.objects.get()
    assert (code.code, code.organizer, code.event_id, code.max_uses) == (
        "EARLYBIRD",
        teams["own"],
        teams["event"].pk,
        20,
    )
    assert list(code.ticket_types.all()) == [member_ticket]
    assert "EARLYBIRD" in teams["client"].get(CODES).content.decode()


@pytest.mark.parametrize(
    "changes,field_error",
    [
        ({"organizer": "other"}, "Select a valid choice."),  # another team's organizer
        ({"event": "rival_event"}, "Select a valid choice."),  # another team's event
        ({"organizer": " {own}"}, None),  # spaces around the id: the form's own value decides, and it is ours
        ({"ticket_types": "rival_ticket"}, "Select a valid choice."),
        ({"kind": "percent", "value": "120"}, "A percentage is at most 100."),
        ({"kind": "amount", "value": "1.005"}, "Ensure that there are no more than 2 decimal places."),
        ({"event": "", "ticket_types": "own_ticket"}, "Choose the event these ticket types belong to."),
        ({"valid_from": "2031-01-02 10:00", "valid_until": "2031-01-01 10:00"}, "A code must end after it starts."),
        ({"code": "no/slashes"}, "Use only letters, digits, - and _."),
    ],
)
def test_what_the_form_would_save_decides_and_bad_values_are_refused(teams, changes, field_error):
    ids = {
        "other": teams["other"].pk,
        "rival_event": teams["rival_event"].pk,
        "rival_ticket": teams["rival_event"].ticket_types.get().pk,
        "own_ticket": teams["event"].ticket_types.first().pk,
    }
    data = code_form(teams)
    for key, value in changes.items():
        data[key] = ids.get(value, value.format(own=teams["own"].pk) if isinstance(value, str) else value)
    response = teams["client"].post(CODES + "new/", data)
    if field_error is None:
        assert response.status_code == 302 and PromoCode.objects.get().organizer == teams["own"]
    else:
        assert response.status_code == 200 and field_error in response.content.decode()
        assert not PromoCode.objects.exists()


def test_a_team_sees_and_edits_only_its_own_codes(teams):
    rival_code = PromoCode.objects.create(organizer=teams["other"], code="RIVAL", value=10)
    client = teams["client"]
    assert "RIVAL" not in client.get(CODES).content.decode()
    assert client.get(f"{CODES}edit/{rival_code.pk}/").status_code == 404
    assert client.post(f"{CODES}delete/{rival_code.pk}/").status_code == 404
    assert PromoCode.objects.filter(pk=rival_code.pk).exists()


def test_a_used_code_cannot_be_deleted_and_the_page_says_why(teams):
    code = PromoCode.objects.create(organizer=teams["own"], event=teams["event"], code="USED", value=10)
    seat = make_registration(teams["event"])
    seat.promo_code = code
    seat.save()
    response = teams["client"].post(f"{CODES}delete/{code.pk}/", follow=True)
    assert response.status_code == 200
    assert "was used for 1 tickets, so it cannot be deleted" in response.content.decode()
    assert PromoCode.objects.filter(pk=code.pk).exists()
    unused = PromoCode.objects.create(organizer=teams["own"], code="UNUSED", value=10)
    assert teams["client"].post(f"{CODES}delete/{unused.pk}/").status_code == 302
    assert not PromoCode.objects.filter(pk=unused.pk).exists()
    assert TicketType.objects.filter(page=teams["event"]).count() == 2


def generate(teams, **changes):
    data = code_form(teams, code="stmary", value="100", note="St Mary's Hospital, 20 nurses", count="20")
    for name in ("max_uses", "max_uses_per_buyer"):
        data.pop(name)
    data.update(changes)
    return teams["client"].post(CODES + "generate/", data)


def exported(client, batch):
    response = client.get(CODES + "export.csv?" + urlencode({"batch": batch}))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_a_batch_of_single_use_codes_is_made_exported_and_each_code_used_once(teams, client):
    response = generate(teams)
    assert response.status_code == 302
    codes = list(PromoCode.objects.order_by("code"))
    assert len(codes) == 20 and len({code.code for code in codes}) == 20
    assert all(re.fullmatch(r"STMARY-[A-HJ-NP-Z2-9]{8}", code.code) for code in codes)
    assert {(code.max_uses, code.event_id, code.batch) for code in codes} == {(1, teams["event"].pk, codes[0].batch)}
    listing = teams["client"].get(response["Location"]).content.decode()
    assert "Download this batch (CSV)" in listing and listing.count("STMARY-") >= 20

    rows = exported(teams["client"], codes[0].batch)
    assert rows[0] == ["Code", "Event", "Valid until", "Used"]
    assert sorted(row[0] for row in rows[1:]) == [code.code for code in codes]
    assert {row[3] for row in rows[1:]} == {"0"}

    one = codes[0].code
    data = {"ticket_type": teams["event"].ticket_types.first().pk, "quantity": 1, **attendee_data(1), "code": one}
    assert client.post(f"/events/{teams['event'].slug}/register/", data).status_code == 302  # free with the code
    assert {row[0]: row[3] for row in exported(teams["client"], codes[0].batch)[1:]}[one] == "1"
    again = client.post(f"/events/{teams['event'].slug}/register/", {**data, "attendee-0-email": "b@example.com"})
    assert "has been used as often as it can be" in again.content.decode()

    # Another team's batch is not theirs to download.
    other = Client()
    other.force_login(teams["other_member"])
    assert exported(other, codes[0].batch) == [["Code", "Event", "Valid until", "Used"]]


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"count": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"count": "1001"}, "Ensure this value is less than or equal to 1000."),
        ({"count": "many"}, "Enter a whole number."),
        ({"note": ""}, "This field is required."),
        ({"event": "rival"}, "Select a valid choice."),
        ({"code": "x" * 31}, "Keep the prefix to 30 characters."),
    ],
)
def test_a_batch_with_bad_values_makes_no_codes(teams, changes, message):
    if changes.get("event") == "rival":
        changes["event"] = teams["rival_event"].pk
    response = generate(teams, **changes)
    assert response.status_code == 200 and message in response.content.decode()
    assert not PromoCode.objects.exists()


def test_the_dashboard_counts_each_codes_tickets_and_what_it_took_off(teams):
    event = teams["event"]
    spring = PromoCode.objects.create(organizer=teams["own"], event=event, code="SPRING", value=25)
    member = PromoCode.objects.create(organizer=teams["own"], event=event, code="MEMBER", value=10)
    for code, status in [
        (spring, "confirmed"),
        (spring, "confirmed"),
        (spring, "held"),
        (spring, "cancelled"),
        (member, "confirmed"),
    ]:
        seat = make_registration(event, status=status, price="90.00")
        seat.promo_code, seat.discount = code, Decimal("30.00")
        seat.save()
    make_registration(event)  # no code
    figures = event_figures(event).codes
    assert [(row.code, row.confirmed, row.held, row.discount) for row in figures] == [
        ("MEMBER", 1, 0, Decimal("30.00")),
        ("SPRING", 2, 1, Decimal("60.00")),
    ]
    page = teams["client"].get(f"/admin/registrations/events/{event.pk}/dashboard/").content.decode()
    assert 'data-code="SPRING"' in page and "Codes used" in page
