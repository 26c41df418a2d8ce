"""Organizers see each event's figures in the admin and write to its attendees: the figures are
exact, cost a fixed number of queries, and only the event's organizer team (and superusers) get in."""

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import EventSession
from registrations.admin_dashboard import event_figures, message_fingerprint
from registrations.emails import deliver_email
from registrations.models import CheckIn, Order, Refund, Registration, WaitlistEntry
from registrations.services.messaging import email_attendees
from tests.factories import OrganizerFactory, local, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

CONFIRMED, HELD, CANCELLED, RELEASED = (
    Registration.Status.CONFIRMED,
    Registration.Status.HELD,
    Registration.Status.CANCELLED,
    Registration.Status.RELEASED,
)


def dashboard_path(event):
    return f"/admin/registrations/events/{event.pk}/dashboard/"


def email_path(event):
    return f"/admin/registrations/events/{event.pk}/email/"


def workshop(title="Alliance workshop", **fields):
    fields.setdefault("tickets", [("Standard", "100.00"), ("Student", "40.00")])
    fields.setdefault("currency", "GBP")
    fields.setdefault("time_zone", "Europe/London")
    fields.setdefault(
        "sessions",
        [
            (local("Europe/London", 2031, 6, 12, 10), local("Europe/London", 2031, 6, 12, 13)),
            (local("Europe/London", 2031, 6, 13, 10), local("Europe/London", 2031, 6, 13, 13)),
        ],
    )
    return make_event(title, **fields)


def order_of(event, seats, order_status=Order.Status.PAID, name="Buyer", email="buyer@example.com", **fields):
    """One order with a seat per (ticket type name, registration status) in `seats`."""
    tickets = {ticket.name: ticket for ticket in event.ticket_types.all()}
    order = Order.objects.create(
        event=event,
        status=order_status,
        buyer_name=name,
        buyer_email=email,
        total=sum((tickets[ticket].price for ticket, _ in seats), Decimal(0)),
        currency=event.currency,
        **fields,
    )
    for i, (ticket, status) in enumerate(seats):
        Registration.objects.create(
            order=order,
            event=event,
            ticket_type=tickets[ticket],
            name=f"{name} {i}",
            email=f"{i}.{email}",
            price=tickets[ticket].price,
            status=status,
        )
    return order


def refund(order, number, amount, status=Refund.Status.SUCCEEDED):
    return Refund.objects.create(order=order, number=number, amount=Decimal(amount), status=status)


def waitlist(event, ticket, status, offer_expires_at=None):
    return WaitlistEntry.objects.create(
        event=event,
        ticket_type=event.ticket_types.get(name=ticket),
        name="Wen",
        email="wen@example.com",
        status=status,
        offer_expires_at=offer_expires_at,
    )


@pytest.fixture
def known_event():
    """Two ticket types, two sessions; every kind of seat, order, refund, waitlist entry, check-in."""
    event = workshop(capacity=10)
    Student = event.ticket_types.get(name="Student")
    Student.capacity = 3
    Student.save()
    day1, day2 = event.ordered_sessions

    a = order_of(event, [("Standard", CONFIRMED), ("Standard", CONFIRMED)], name="Ana")  # 200 paid
    refund(a, 1, "50.00")  # partial refund: counted
    refund(a, 2, "30.00", Refund.Status.FAILED)  # failed: not counted
    refund(a, 3, "10.00", Refund.Status.PENDING)  # not yet: not counted
    b = order_of(event, [("Student", CONFIRMED)], name="Bea")  # 40 paid
    order_of(event, [("Standard", HELD)], Order.Status.PENDING, name="Carl")  # awaiting payment: no money
    d = order_of(event, [("Student", CANCELLED)], Order.Status.CANCELLED, name="Dan", paid_at=timezone.now())
    refund(d, 1, "40.00")  # paid, cancelled, refunded in full: nets to nothing
    order_of(event, [("Standard", RELEASED)], Order.Status.EXPIRED, name="Eve")  # never paid
    order_of(event, [("Student", CANCELLED)], Order.Status.CANCELLED, name="Fay")  # cancelled unpaid: no money

    soon = timezone.now() + dt.timedelta(hours=1)
    waitlist(event, "Student", WaitlistEntry.Status.WAITING)
    waitlist(event, "Standard", WaitlistEntry.Status.WAITING)
    waitlist(event, "Student", WaitlistEntry.Status.OFFERED, offer_expires_at=soon)  # holds a Student seat
    waitlist(event, "Student", WaitlistEntry.Status.LAPSED)
    waitlist(event, "Student", WaitlistEntry.Status.LEFT)

    ana0, ana1 = a.registrations.order_by("pk")
    CheckIn.objects.create(registration=ana0, session=day1)
    CheckIn.objects.create(registration=ana0, session=day2)
    CheckIn.objects.create(registration=ana1, session=day1)
    CheckIn.objects.create(registration=b.registrations.get(), session=day2, undone_at=timezone.now())  # undone

    # Another event's seats, money and check-ins change nothing here.
    other = workshop("Other workshop")
    other_order = order_of(other, [("Standard", CONFIRMED), ("Student", HELD)], name="Olaf")
    refund(other_order, 1, "5.00")
    CheckIn.objects.create(registration=other_order.registrations.first(), session=other.ordered_sessions[0])
    waitlist(other, "Standard", WaitlistEntry.Status.WAITING)
    return event


# The figures


def test_figures_of_a_known_event_are_exact(known_event):
    figures = event_figures(known_event)

    by_name = {row.ticket_type.name: row for row in figures.tickets}
    assert [name for name in by_name] == ["Standard", "Student"]
    standard, student = by_name["Standard"], by_name["Student"]
    assert (standard.confirmed, standard.held, standard.cancelled) == (2, 1, 0)
    assert (student.confirmed, student.held, student.cancelled) == (1, 0, 2)
    # Capacity 10: 2 + 1 Standard and 1 Student taken, 1 Student seat offered to the waitlist.
    assert standard.left == 5
    assert student.left == 1  # its own capacity of 3, less one sold and one offered
    assert (figures.total.confirmed, figures.total.held, figures.total.left) == (3, 1, 5)

    (gbp,) = figures.revenue
    assert gbp.currency == "GBP"
    assert gbp.paid == Decimal("280.00")  # 200 + 40 + 40 paid and later cancelled
    assert gbp.refunded == Decimal("90.00")  # 50 partial + 40 full; failed and pending refunds left out
    assert gbp.net == Decimal("190.00")

    assert (figures.waiting, figures.offered, figures.waitlist) == (2, 1, 3)

    assert figures.checked_in == 2  # Ana's two seats; Bea's check-in was undone
    assert [row.checked_in for row in figures.sessions] == [2, 1]


def test_dashboard_page_shows_the_figures(admin_client, known_event):
    response = admin_client.get(dashboard_path(known_event))
    assert response.status_code == 200
    assert response.context["figures"].total.confirmed == 3
    content = response.content.decode()
    assert "Alliance workshop" in content
    assert "June 12, 2031, 10 a.m. (Europe/London)" in content  # in the event's zone
    assert "190.00 GBP" in content and "280.00 GBP" in content and "90.00 GBP" in content
    assert f"/admin/registrations/attendees/?event={known_event.pk}" in content
    assert f"/admin/registrations/events/{known_event.pk}/export.csv" in content
    assert f"/admin/registrations/events/{known_event.pk}/export.xlsx" in content
    assert email_path(known_event) in content
    assert f'href="/checkin/{known_event.pk}/"' in content
    assert "Olaf" not in content


def test_without_limits_nothing_is_said_to_be_left(admin_client):
    event = workshop()
    order_of(event, [("Standard", CONFIRMED)])
    figures = event_figures(event)
    assert [row.left for row in figures.tickets] == [None, None]
    assert figures.total.left is None
    assert figures.revenue[0].net == Decimal("100.00")
    assert "No limit" in admin_client.get(dashboard_path(event)).content.decode()


def test_total_left_is_the_sum_of_ticket_limits_without_an_event_capacity():
    event = workshop()
    event.ticket_types.update(capacity=4)
    order_of(event, [("Standard", CONFIRMED), ("Student", HELD)])
    figures = event_figures(event)
    assert [row.left for row in figures.tickets] == [3, 3]
    assert figures.total.left == 6


def populate(event, n):
    """n registrations with check-ins, refunds and waitlist entries."""
    sessions = event.ordered_sessions
    for i in range(n):
        order = order_of(event, [("Standard" if i % 2 else "Student", CONFIRMED if i % 3 else HELD)], name=f"P{i}")
        refund(order, 1, "1.00")
        registration = order.registrations.get()
        CheckIn.objects.create(registration=registration, session=sessions[i % 2])
        waitlist(event, "Standard", WaitlistEntry.Status.WAITING)


def count_queries(client, path):
    client.get(path)  # caches filled once per process
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_dashboard_query_count_does_not_grow_with_registrations(admin_client):
    small, large = workshop("Small", capacity=100), workshop("Large", capacity=100)
    populate(small, 5)
    populate(large, 50)
    assert event_figures(large).total.confirmed == 33
    assert count_queries(admin_client, dashboard_path(small)) == count_queries(admin_client, dashboard_path(large))


# Who gets in


def team_member(django_user_model, organizer, username):
    """A user in `organizer`'s team (a group with admin access)."""
    group = organizer.team or Group.objects.create(name=f"{organizer.name} team")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    organizer.team = group
    organizer.save()
    user = django_user_model.objects.create_user(username, f"{username}@example.com", "pw")
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client


def admin_user_without_team(django_user_model, username="loner"):
    user = django_user_model.objects.create_user(username, f"{username}@example.com", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = Client()
    client.force_login(user)
    return client


def logged_in_attendee(django_user_model):
    user = django_user_model.objects.create_user("attendee", "attendee@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clients(admin_client, django_user_model):
    """Every kind of visitor, for an event of one organizer: name -> (client, may enter)."""
    organizer = OrganizerFactory(name="Alliance Institute", slug="alliance-institute")
    event = workshop(organizer=organizer)
    rival = OrganizerFactory(name="Rival Org", slug="rival-org")
    workshop("Rival workshop", organizer=rival)
    return event, {
        "superuser": (admin_client, True),
        "organizer team": (team_member(django_user_model, organizer, "teammate"), True),
        "another organizer's team": (team_member(django_user_model, rival, "rival"), False),
        "admin user in no team": (admin_user_without_team(django_user_model), False),
        "attendee": (logged_in_attendee(django_user_model), False),
        "anonymous": (Client(), False),
    }


def assert_refused(response, who):
    if who in ("anonymous", "attendee"):
        # No admin access at all: Wagtail sends them to its login page.
        assert response.status_code == 302, who
        assert response["Location"].startswith("/admin/login/"), who
    else:
        assert response.status_code == 403, who


@pytest.mark.parametrize("path_of", [dashboard_path, email_path], ids=["dashboard", "email"])
def test_only_the_organizer_team_and_superusers_get_in(clients, path_of):
    event, visitors = clients
    order_of(event, [("Standard", CONFIRMED)], name="Secret Attendee")
    for who, (client, may_enter) in visitors.items():
        response = client.get(path_of(event))
        if may_enter:
            assert response.status_code == 200, who
        else:
            assert_refused(response, who)
            assert b"Secret Attendee" not in response.content


def test_unknown_event_is_404(admin_client):
    assert admin_client.get("/admin/registrations/events/999999/dashboard/").status_code == 404


def test_event_index_lists_only_the_users_events(clients, django_user_model):
    event, visitors = clients
    teammate, _ = visitors["organizer team"]
    content = teammate.get("/admin/registrations/events/").content.decode()
    assert dashboard_path(event) in content and "Rival workshop" not in content
    assert "/admin/registrations/events/" in teammate.get("/admin/").content.decode()  # the menu item
    loner = admin_user_without_team(django_user_model, "loner2")
    content = loner.get("/admin/registrations/events/").content.decode()
    assert "Alliance workshop" not in content and "Rival workshop" not in content
    assert "/admin/registrations/events/" not in loner.get("/admin/").content.decode()


def test_event_dashboards_list_upcoming_events_soonest_first_then_past_ones_latest_first(admin_client):
    now = timezone.now()
    for title, days in [
        ("Next year", 365),
        ("Last month", -30),
        ("Tomorrow", 1),
        ("Last year", -365),
        ("Next week", 7),
    ]:
        make_event(title, start=now + dt.timedelta(days=days))
    content = admin_client.get("/admin/registrations/events/").content.decode()
    shown = sorted(["Next year", "Last month", "Tomorrow", "Last year", "Next week"], key=content.index)
    assert shown == ["Tomorrow", "Next week", "Next year", "Last month", "Last year"]
    # The registrations listing offers its events to filter by in the same order.
    listing = admin_client.get("/admin/registrations/attendees/").content.decode()
    assert sorted(shown, key=listing.index) == shown


@pytest.mark.parametrize("path_of", [dashboard_path, email_path], ids=["dashboard", "email"])
def test_a_long_event_title_is_shown_whole(admin_client, path_of):
    title = "The therapeutic alliance in practice: " + " ".join(["rupture and repair"] * 10)
    event = workshop(title=title)
    content = admin_client.get(path_of(event)).content.decode()
    assert f'<h2 class="w-h2 w-mb-4" data-event-title>{title}</h2>' in content


def test_event_edit_page_and_page_listing_link_to_the_dashboard(clients, django_user_model):
    event, visitors = clients
    superuser, _ = visitors["superuser"]
    edit = f"/admin/pages/{event.pk}/edit/"
    assert dashboard_path(event) in superuser.get(edit).content.decode()
    rival_event = make_event("Rival two", organizer=OrganizerFactory(name="Rival Org", slug="rival-org"))
    assert dashboard_path(rival_event) in superuser.get(f"/admin/pages/{rival_event.pk}/edit/").content.decode()
    listing = superuser.get(f"/admin/pages/{event.get_parent().pk}/").content.decode()
    assert dashboard_path(event) in listing


# Emailing the attendees


@pytest.fixture
def audience():
    event = workshop(organizer=OrganizerFactory(name="Alliance Institute", slug="alliance-institute"))
    order_of(event, [("Standard", CONFIRMED), ("Student", CONFIRMED), ("Standard", CANCELLED)], email="a@example.com")
    order_of(event, [("Standard", HELD)], Order.Status.PENDING, email="held@example.com")
    order_of(event, [("Standard", RELEASED)], Order.Status.EXPIRED, email="gone@example.com")
    other = workshop("Other workshop")
    order_of(other, [("Standard", CONFIRMED)], email="other@example.com")
    return event


MESSAGE = {"subject": "Room change", "body": "We meet in room 4B.\n\nBring your notes."}


def preview_and_send(client, event, data):
    """As an organizer does it: preview, then press send on what the preview showed."""
    preview = client.post(email_path(event), data)
    assert preview.status_code == 200
    return client.post(email_path(event), {**data, "previewed": preview.context["fingerprint"], "send": "1"})


def test_preview_shows_the_email_and_its_recipients_and_sends_nothing(
    admin_client, audience, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(email_path(audience), MESSAGE)
    assert response.status_code == 200
    assert callbacks == [] and mailoutbox == []
    content = response.content.decode()
    assert "Send to 2 attendees" in content
    assert "Alliance workshop: Room change" in content  # the subject as attendees see it
    assert "We meet in room 4B." in content and "Alliance Institute" in content


def test_sends_one_email_per_confirmed_registration(
    admin_client, audience, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = preview_and_send(admin_client, audience, MESSAGE)
    assert response.status_code == 302 and response["Location"] == dashboard_path(audience)

    assert sorted(message.to[0] for message in mailoutbox) == ["0.a@example.com", "1.a@example.com"]
    for message in mailoutbox:
        assert message.subject == "Alliance workshop: Room change"
        assert "We meet in room 4B.\n\nBring your notes." in message.body
        assert "Alliance Institute" in message.body and "Alliance workshop" in message.body
        assert message.reply_to == [audience.organizer.email]
        html = message.alternatives[0][0]
        assert "<p>We meet in room 4B.</p>" in html
    registration = Registration.objects.get(email="0.a@example.com")
    message = next(m for m in mailoutbox if m.to == ["0.a@example.com"])
    assert f"/tickets/{registration.ticket_secret}/" in message.body
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Your message is on its way to 2 attendees."]


def test_message_is_in_each_readers_language_and_its_html_is_escaped(mailoutbox, django_capture_on_commit_callbacks):
    event = workshop(organizer=OrganizerFactory(name="Alliance Institute", slug="alliance-institute"))
    order_of(event, [("Standard", CONFIRMED)], email="es@example.com", language="es")
    order_of(event, [("Standard", CONFIRMED)], email="en@example.com", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        email_attendees(event, "Aula <b>4B</b>", "Traigan <script>notas</script> & café.", sender_user=None)

    by_address = {message.to[0]: message for message in mailoutbox}
    spanish, english = by_address["0.es@example.com"], by_address["0.en@example.com"]
    for message in (spanish, english):
        assert message.subject == "Alliance workshop: Aula <b>4B</b>"  # plain text, as written
        assert "Traigan <script>notas</script> & café." in message.body
        html = message.alternatives[0][0]
        assert "&lt;script&gt;notas&lt;/script&gt; &amp; café." in html and "<script>" not in html
        assert message.message().get_content_type() == "multipart/alternative"  # no invite attached
    assert '<html lang="es">' in spanish.alternatives[0][0]
    assert "jueves, 12 de junio de 2031" in spanish.body and "Thursday" not in spanish.body
    assert "Thursday, June 12, 2031" in english.body


def test_a_text_changed_after_its_preview_is_not_sent(
    admin_client, audience, mailoutbox, django_capture_on_commit_callbacks
):
    fingerprint = admin_client.post(email_path(audience), MESSAGE).context["fingerprint"]
    edited = {**MESSAGE, "body": "Something else entirely."}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(email_path(audience), {**edited, "previewed": fingerprint, "send": "2"})
        unpreviewed = admin_client.post(email_path(audience), {**MESSAGE, "send": "2"})
    assert response.status_code == 200 and unpreviewed.status_code == 200
    assert "changed since its preview" in response.content.decode()
    assert "Something else entirely." in response.context["preview"]["body"]  # previewed again
    assert mailoutbox == []


@pytest.mark.parametrize(
    "data, field",
    [
        ({"subject": "", "body": "Hello"}, "subject"),
        ({"subject": "   ", "body": "Hello"}, "subject"),
        ({"subject": "Hello", "body": ""}, "body"),
        ({"subject": "x" * 201, "body": "Hello"}, "subject"),
        ({"subject": "Hello", "body": "x" * 10_001}, "body"),
    ],
    ids=["empty subject", "blank subject", "empty body", "long subject", "long body"],
)
def test_invalid_messages_are_refused(
    data, field, admin_client, audience, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(email_path(audience), {**data, "send": "2"})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert mailoutbox == []


def test_longest_allowed_message_is_sent(admin_client, audience, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = preview_and_send(admin_client, audience, {"subject": "s" * 200, "body": "b" * 10_000})
    assert response.status_code == 302 and len(mailoutbox) == 2


def test_emailing_attendees_needs_the_organizer_team(
    audience, django_user_model, mailoutbox, django_capture_on_commit_callbacks
):
    rival = team_member(django_user_model, OrganizerFactory(name="Rival Org", slug="rival-org"), "rival")
    fingerprint = message_fingerprint(MESSAGE["subject"], MESSAGE["body"])
    teammate = team_member(django_user_model, audience.organizer, "teammate")
    with django_capture_on_commit_callbacks(execute=True):
        assert rival.post(email_path(audience), {**MESSAGE, "previewed": fingerprint, "send": "2"}).status_code == 403
        anonymous = Client().post(email_path(audience), {**MESSAGE, "previewed": fingerprint, "send": "2"})
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert preview_and_send(teammate, audience, MESSAGE).status_code == 302
    assert len(mailoutbox) == 2


def test_service_counts_and_logs_no_addresses(audience, caplog, mailoutbox, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.DEBUG, logger="registrations"):
        with django_capture_on_commit_callbacks(execute=True):
            assert email_attendees(audience, "Room change", "Room 4B.", sender_user=None) == 2
    assert len(mailoutbox) == 2 and caplog.records
    assert "example.com" not in caplog.text and "Buyer" not in caplog.text
    with pytest.raises(ValueError):
        email_attendees(audience, "", "Room 4B.", sender_user=None)


def test_nothing_to_send_without_confirmed_attendees(admin_client, mailoutbox, django_capture_on_commit_callbacks):
    event = workshop()
    order_of(event, [("Standard", HELD)], Order.Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        response = preview_and_send(admin_client, event, MESSAGE)
    assert response.status_code == 200 and mailoutbox == []
    assert "no confirmed attendees" in response.content.decode()


def test_session_titles_name_the_sessions_on_the_dashboard(admin_client):
    event = workshop()
    EventSession.objects.filter(pk=event.ordered_sessions[0].pk).update(title="Day 1")
    content = admin_client.get(dashboard_path(event)).content.decode()
    assert "Day 1" in content and "2031-06-13 10:00" in content


def test_the_check_in_link_is_shown_only_to_those_who_may_check_in(clients, django_user_model):
    event, visitors = clients
    link = f'href="/checkin/{event.pk}/"'
    teammate, _ = visitors["organizer team"]
    assert link not in teammate.get(dashboard_path(event)).content.decode()  # no check-in permission
    django_user_model.objects.get(username="teammate").user_permissions.add(Permission.objects.get(codename="check_in"))
    assert link in teammate.get(dashboard_path(event)).content.decode()


def test_a_seat_cancelled_before_its_message_goes_out_gets_nothing(
    audience, mailoutbox, settings, django_capture_on_commit_callbacks
):
    """The message is queued for the confirmed seats; one is cancelled before the queue reaches it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert email_attendees(audience, "Room change", "Room 4B.", sender_user=None) == 2
    Registration.objects.filter(email="0.a@example.com").update(status=Registration.Status.CANCELLED)
    queued = list(deliver_email.get_backend().results)
    assert len(queued) == 2 and not mailoutbox
    for result in queued:
        result.task.call(*result.args, **result.kwargs)
    assert [message.to for message in mailoutbox] == [["1.a@example.com"]]
