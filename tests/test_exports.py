"""Attendance exports: CSV and XLSX carry exactly one event's registrations, with the right columns
and values, never run an attendee's text as a formula, and only reach the event's organizer team."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import EventSession
from registrations.models import CheckIn, Order, Refund, Registration
from registrations.services.attendance import hours_attended
from registrations.services.exports import attendance_rows, escape_formula
from tests.factories import local, make_event
from tests.test_dashboard import assert_refused, order_of
from tests.test_dashboard import clients as clients  # noqa: F401  (the permission matrix fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

HEADINGS = [
    "Name",
    "Email",
    "Profession",
    "Licence number",
    "Ticket type",
    "Status",
    "Amount paid (GBP)",
    "Tax in it (GBP)",
    "Refunded (GBP)",
    "Net paid (GBP)",
    "Sessions attended",
    "Hours attended",
    "Check-in times",
    "Check-out times",
    "Wants the organizer's news",
]
EVIL = ['=HYPERLINK("http://evil","x")', "+1", "-1+2", "@SUM(A1)"]


def export_path(event, spreadsheet_format):
    return f"/admin/registrations/events/{event.pk}/export.{spreadsheet_format}"


def london(day, hour, minute=0):
    return local("Europe/London", 2031, 6, day, hour, minute)


def seat(order, ticket, name, email, status=Registration.Status.CONFIRMED, **fields):
    ticket_type = order.event.ticket_types.get(name=ticket)
    fields.setdefault("price", ticket_type.price)
    return Registration.objects.create(
        order=order, event=order.event, ticket_type=ticket_type, name=name, email=email, status=status, **fields
    )


def new_order(event, status=Order.Status.PAID, **fields):
    fields.setdefault("total", 0)
    return Order.objects.create(
        event=event, status=status, buyer_name="Buyer", buyer_email="buyer@example.com", currency="GBP", **fields
    )


@pytest.fixture
def event():
    """Three 3-hour sessions (the first titled), 5 CE hours; attendees who came to some of them."""
    event = make_event(
        "Alliance workshop",
        sessions=[(london(12, 10), london(12, 13)), (london(13, 10), london(13, 13)), (london(14, 10), london(14, 13))],
        tickets=[("Standard", "120.00"), ("Student", "40.00")],
        currency="GBP",
        time_zone="Europe/London",
        ce_hours=Decimal("5"),
    )
    day1, day2, day3 = event.ordered_sessions
    EventSession.objects.filter(pk=day1.pk).update(title="Day 1")

    paid = new_order(event)
    ana = seat(paid, "Standard", "Ana Pérez", "ana@example.com", profession="Psychologist", licence_number="PSY-1")
    CheckIn.objects.create(registration=ana, session=day2, at=london(13, 9, 58))
    CheckIn.objects.create(registration=ana, session=day1, at=london(12, 9, 55))
    undone = CheckIn.objects.create(registration=ana, session=day3, at=london(14, 9, 50), undone_at=timezone.now())
    assert undone.undone_at  # a mistaken check-in, undone: not attendance

    bruno = seat(paid, "Student", "Bruno Silva", "bruno@example.com", profession="Social worker")
    CheckIn.objects.create(registration=bruno, session=day3, at=london(14, 10, 5))
    seat(paid, "Standard", "Cancelled Carla", "carla@example.com", status=Registration.Status.CANCELLED)

    pending = new_order(event, status=Order.Status.PENDING)
    seat(pending, "Standard", "Held Hugo", "hugo@example.com", status=Registration.Status.HELD)

    evil = new_order(event)
    for i, name in enumerate(EVIL):
        seat(evil, "Student", name, f"evil{i}@example.com", profession="=1+1", licence_number="\t-5")

    other = make_event("Other workshop", tickets=[("Standard", "10.00")], currency="GBP")
    order_of(other, [("Standard", Registration.Status.CONFIRMED)], name="Zed Other", email="zed@example.com")
    return event


def csv_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="attendance-alliance-workshop.csv"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(content)))


def xlsx_sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return workbook.worksheets[0]


EXPECTED = {
    "Ana Pérez": [
        "Ana Pérez",
        "ana@example.com",
        "Psychologist",
        "PSY-1",
        "Standard",
        "Confirmed",
        "120.00",
        "0.00",
        "0.00",
        "120.00",
        "Day 1; 2031-06-13 10:00",
        "5.00",  # two 3-hour sessions, capped at the event's 5 CE hours
        "2031-06-12T09:55:00+01:00; 2031-06-13T09:58:00+01:00",
    ],
    "Bruno Silva": [
        "Bruno Silva",
        "bruno@example.com",
        "Social worker",
        "",
        "Student",
        "Confirmed",
        "40.00",
        "0.00",
        "0.00",
        "40.00",
        "2031-06-14 10:00",
        "3.00",
        "2031-06-14T10:05:00+01:00",
    ],
    "Cancelled Carla": [
        "Cancelled Carla",
        "carla@example.com",
        "",
        "",
        "Standard",
        "Cancelled",
        "120.00",
        "0.00",
        "0.00",
        "120.00",
        "",
        "0.00",
        "",
    ],
    "Held Hugo": [
        "Held Hugo",
        "hugo@example.com",
        "",
        "",
        "Standard",
        "Held (awaiting payment)",
        "",
        "",
        "",
        "",
        "",
        "0.00",
        "",
    ],
}


def test_csv_has_one_row_per_registration_of_the_event_only(admin_client, event):
    header, *rows = csv_rows(admin_client.get(export_path(event, "csv")))
    assert header == HEADINGS
    by_name = {row[0]: row for row in rows}
    assert len(rows) == len(by_name) == 8  # 4 people + 4 formula-like names, nobody from the other event
    assert "Zed Other" not in by_name and all("zed@example.com" not in row for row in rows)
    for name, expected in EXPECTED.items():
        assert by_name[name] == [*expected, "", "No"]  # nobody checked out; nobody asked for the organizer's news


def test_xlsx_has_the_same_rows_with_numbers_as_numbers(admin_client, event):
    sheet = xlsx_sheet(admin_client.get(export_path(event, "xlsx")))
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert header == HEADINGS
    by_name = {row[0]: row for row in rows}
    assert len(rows) == len(by_name) == 8 and "Zed Other" not in by_name
    ana = by_name["Ana Pérez"]
    assert ana[:6] == EXPECTED["Ana Pérez"][:6]
    assert (ana[6], ana[7], ana[8], ana[9], ana[11]) == (120, 0, 0, 120, 5)  # numeric cells
    assert ana[10] == "Day 1; 2031-06-13 10:00"
    assert ana[12] == "2031-06-12T09:55:00+01:00; 2031-06-13T09:58:00+01:00"
    assert by_name["Held Hugo"][6] is None


def test_formula_like_text_is_escaped_in_csv(admin_client, event):
    _, *rows = csv_rows(admin_client.get(export_path(event, "csv")))
    evil_rows = [row for row in rows if row[1].startswith("evil")]
    assert sorted(row[0] for row in evil_rows) == sorted("'" + name for name in EVIL)
    for row in evil_rows:
        assert row[2] == "'=1+1" and row[3] == "'\t-5"
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in row), row


def test_formula_like_text_is_escaped_and_never_a_formula_in_xlsx(admin_client, event):
    sheet = xlsx_sheet(admin_client.get(export_path(event, "xlsx")))
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    names = [cell.value for cell in sheet["A"][1:]]
    for name in EVIL:
        assert "'" + name in names and name not in names
    professions = {cell.value for cell in sheet["C"][1:]}
    assert "'=1+1" in professions and "=1+1" not in professions


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Ana", "Ana"),
        ("", ""),
        ("a=b", "a=b"),
        ("'=already", "'=already"),
        (Decimal("-1.50"), Decimal("-1.50")),  # numbers are not text: left alone
        (None, None),
    ],
)
def test_escape_formula(value, expected):
    assert escape_formula(value) == expected
    assert escape_formula(escape_formula(value)) == expected


def test_hours_agree_with_the_attendance_rule(event):
    rows = {row["email"]: row for row in attendance_rows(event)}
    for registration in Registration.objects.filter(event=event):
        assert rows[registration.email]["hours_attended"] == hours_attended(registration)
    assert rows["ana@example.com"]["hours_attended"] == Decimal("5.00")


def test_amount_paid_only_for_seats_that_were_paid(event):
    never_paid = new_order(event, status=Order.Status.CANCELLED)  # cancelled before payment
    seat(never_paid, "Standard", "Never Paid", "never@example.com", status=Registration.Status.CANCELLED)
    paid_then_cancelled = new_order(event, status=Order.Status.CANCELLED, paid_at=timezone.now())
    seat(paid_then_cancelled, "Student", "Paid Then", "then@example.com", status=Registration.Status.CANCELLED)
    rows = {row["email"]: row for row in attendance_rows(event)}
    assert rows["never@example.com"]["amount_paid"] is None
    assert rows["then@example.com"]["amount_paid"] == Decimal("40.00")
    assert rows["hugo@example.com"]["amount_paid"] is None


def refunded_seat(event, price="79.00", refunds=("79.00",), seat_status=Registration.Status.CANCELLED):
    order = new_order(event, total=Decimal(price), paid_at=timezone.now())
    registration = seat(
        order, "Standard", "Rita Refunded", "rita@example.com", status=seat_status, price=Decimal(price)
    )
    for number, amount in enumerate(refunds, start=1):
        Refund.objects.create(order=order, number=number, amount=Decimal(amount), status=Refund.Status.SUCCEEDED)
    Refund.objects.create(order=order, number=len(refunds) + 1, amount=Decimal("5"), status=Refund.Status.FAILED)
    return registration


@pytest.mark.parametrize("spreadsheet_format", ["csv", "xlsx"])
def test_a_refunded_seat_shows_what_was_paid_what_went_back_and_the_net(admin_client, event, spreadsheet_format):
    refunded_seat(event)
    response = admin_client.get(export_path(event, spreadsheet_format))
    if spreadsheet_format == "csv":
        _, *rows = csv_rows(response)
        money = ["79.00", "0.00", "79.00", "0.00"]
    else:
        _, *rows = [[cell.value for cell in row] for row in xlsx_sheet(response).iter_rows()]
        money = [79, 0, 79, 0]
    rita = next(row for row in rows if row[0] == "Rita Refunded")
    assert rita[5:10] == ["Cancelled", *money]


def test_a_partial_refund_is_set_against_the_cancelled_seat_first(event):
    order = new_order(event, total=Decimal("160.00"), paid_at=timezone.now())
    stays = seat(order, "Standard", "Stays", "stays@example.com", price=Decimal("80.00"))
    goes = seat(
        order, "Standard", "Goes", "goes@example.com", price=Decimal("80.00"), status=Registration.Status.CANCELLED
    )
    Refund.objects.create(order=order, number=1, amount=Decimal("100.00"), status=Refund.Status.SUCCEEDED)
    rows = {row["email"]: row for row in attendance_rows(event)}
    assert (rows[goes.email]["refunded"], rows[goes.email]["net_paid"]) == (Decimal("80.00"), Decimal("0.00"))
    assert (rows[stays.email]["refunded"], rows[stays.email]["net_paid"]) == (Decimal("20.00"), Decimal("60.00"))


def add_attendees(event, n):
    order = new_order(event)
    sessions = event.ordered_sessions
    for i in range(n):
        registration = seat(order, "Standard", f"Person {i}", f"p{i}@example.com")
        CheckIn.objects.create(registration=registration, session=sessions[i % len(sessions)])
        CheckIn.objects.create(registration=registration, session=sessions[(i + 1) % len(sessions)])


@pytest.mark.parametrize("spreadsheet_format", ["csv", "xlsx"])
def test_export_query_count_does_not_grow_with_registrations(admin_client, spreadsheet_format):
    small = make_event("Small", sessions=[(london(12, 10), london(12, 13)), (london(13, 10), london(13, 13))])
    large = make_event("Large", sessions=[(london(12, 10), london(12, 13)), (london(13, 10), london(13, 13))])
    add_attendees(small, 5)
    add_attendees(large, 50)

    def queries(event):
        admin_client.get(export_path(event, spreadsheet_format))
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(export_path(event, spreadsheet_format))
            b"".join(response.streaming_content)  # the CSV is written as it streams
        return len(captured)

    assert queries(small) == queries(large)


@pytest.mark.parametrize("spreadsheet_format", ["csv", "xlsx"])
def test_exports_only_for_the_organizer_team_and_superusers(clients, spreadsheet_format):  # noqa: F811
    event, visitors = clients
    order_of(event, [("Standard", Registration.Status.CONFIRMED)], name="Secret Attendee", email="s@example.com")
    for who, (client, may_enter) in visitors.items():
        response = client.get(export_path(event, spreadsheet_format))
        if may_enter:
            assert response.status_code == 200, who
            assert b"".join(response.streaming_content), who
        else:
            assert_refused(response, who)
            assert b"s@example.com" not in response.content


def test_other_formats_are_not_exports(admin_client, event):
    assert admin_client.get(export_path(event, "json"), follow=True).status_code == 404
