"""Organizers see orders and seats in the Wagtail admin and refund or cancel them there: every
action confirms first, goes through the services, and shows what Stripe did. Nobody without the
order permissions sees any of it, and a team sees only its own organizer's events (the whole
matrix of who sees what is in test_organizer_permissions.py)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from events.models import EventPage
from registrations.models import Order, OrderLogEntry, Refund, Registration
from registrations.services.capacity import seats_left
from tests.factories import make_event
from tests.registration_helpers import checkout_session_id, latest_order, register

ORDERS = "/admin/registrations/orders/"
ATTENDEES = "/admin/registrations/attendees/"


def cancel_event_path(event):
    return f"/admin/registrations/events/{event.pk}/cancel/"


def staff(django_user_model, username, *perms, team_of=None):
    """A Wagtail admin user with only the given permissions (codenames) besides admin access,
    in the team of `team_of`'s organizer when given."""
    user = django_user_model.objects.create_user(username, f"{username}@example.com", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename, content_type__app_label="registrations"))
    if team_of is not None:
        organizer = team_of.organizer
        organizer.team, _ = Group.objects.get_or_create(name=f"Organizer: {organizer.name}")
        organizer.save()
        user.groups.add(organizer.team)
    client = Client()
    client.force_login(user)
    return client


def make_order(event, name, email, status=Order.Status.PAID, seats=1, **fields):
    ticket = event.ticket_types.first()
    order = Order.objects.create(
        event=event,
        status=status,
        buyer_name=name,
        buyer_email=email,
        total=ticket.price * seats,
        currency=event.currency,
        **fields,
    )
    for i in range(seats):
        Registration.objects.create(
            order=order,
            event=event,
            ticket_type=ticket,
            name=f"{name} {i}" if i else name,
            email=email,
            price=ticket.price,
            status=Registration.Status.CONFIRMED if status == Order.Status.PAID else Registration.Status.HELD,
        )
    return order


def paid_order(client, stripe_emulator, event, quantity=1, **attendee):
    """An order paid through the real flow: the form, Stripe's page, the success page."""
    session_id = checkout_session_id(register(client, event, quantity=quantity, **attendee))
    stripe_emulator.pay(session_id)
    client.get(f"/checkout/success/?session_id={session_id}")
    order = latest_order()
    assert order.status == Order.Status.PAID
    return order


def page_text(response):
    assert response.status_code == 200, response
    return response.content.decode()


# Listings and who sees them


@pytest.fixture
def two_events(db):
    lisbon = make_event("Lisbon workshop", tickets=[("Standard", "50.00")], currency="EUR")
    oslo = make_event("Oslo workshop", tickets=[("Standard", "80.00")], currency="NOK")
    make_order(lisbon, "Ana Paid", "ana@example.com")
    make_order(lisbon, "Bruno Pending", "bruno@example.com", status=Order.Status.PENDING)
    make_order(oslo, "Olav Paid", "olav@example.com", stripe_payment_intent_id="pi_olav_123")
    return lisbon, oslo


@pytest.mark.django_db
def test_superuser_lists_filters_and_searches_orders(admin_client, two_events):
    lisbon, oslo = two_events
    everything = page_text(admin_client.get(ORDERS))
    assert all(email in everything for email in ("ana@example.com", "bruno@example.com", "olav@example.com"))
    assert "50.00 EUR" in everything and "80.00 NOK" in everything

    by_event = page_text(admin_client.get(ORDERS, {"event": oslo.pk}))
    assert "olav@example.com" in by_event and "ana@example.com" not in by_event

    by_status = page_text(admin_client.get(ORDERS, {"event": lisbon.pk, "status": "pending"}))
    assert "bruno@example.com" in by_status and "ana@example.com" not in by_status

    by_email = page_text(admin_client.get(ORDERS, {"q": "ana@example"}))
    assert "ana@example.com" in by_email and "olav@example.com" not in by_email

    by_payment = page_text(admin_client.get(ORDERS, {"q": "pi_olav"}))
    assert "olav@example.com" in by_payment and "ana@example.com" not in by_payment


@pytest.mark.django_db
def test_a_free_order_reads_free_not_paid(admin_client):
    free = make_order(make_event("Free talk", tickets=[("Free", "0")]), "Fay Free", "fay@example.com")
    paid = make_order(make_event("Paid talk", tickets=[("Standard", "10.00")]), "Pat Paid", "pat@example.com")
    listing = page_text(admin_client.get(ORDERS, {"q": "fay@example"}))
    assert ">Free<" in listing.replace(" ", "").replace("\n", "") and ">Paid<" not in listing.replace(" ", "")
    assert "Free" in page_text(admin_client.get(f"{ORDERS}{free.pk}/"))
    assert str(free) == f"#{free.pk} Fay Free (Free)" and str(paid) == f"#{paid.pk} Pat Paid (Paid)"


@pytest.mark.django_db
def test_orders_have_no_generic_add_edit_or_delete_forms(admin_client, two_events):
    order = Order.objects.get(buyer_email="ana@example.com")
    listing = page_text(admin_client.get(ORDERS))
    assert f"{ORDERS}{order.pk}/" in listing  # the order's page
    for path in ("new/", f"edit/{order.pk}/", f"delete/{order.pk}/", f"copy/{order.pk}/"):
        assert admin_client.get(ORDERS + path).status_code == 404
        assert ORDERS + path not in listing


@pytest.mark.django_db
def test_a_user_without_order_permissions_sees_nothing(django_user_model, two_events):
    nobody = staff(django_user_model, "nobody", team_of=two_events[0])
    order = Order.objects.get(buyer_email="ana@example.com")
    for path in (ORDERS, f"{ORDERS}{order.pk}/", ATTENDEES, f"{ORDERS}{order.pk}/refund/"):
        response = nobody.get(path)
        assert response.status_code == 302 and response["Location"] == "/admin/", path
    home = page_text(nobody.get("/admin/"))
    assert "ana@example.com" not in home
    assert ORDERS not in home and ATTENDEES not in home  # no menu entries either


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client, two_events):
    order = Order.objects.get(buyer_email="ana@example.com")
    for path in (ORDERS, f"{ORDERS}{order.pk}/", ATTENDEES, f"{ORDERS}{order.pk}/cancel/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next="), path
    response = client.post(f"{ORDERS}{order.pk}/cancel/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID


@pytest.mark.django_db
def test_view_permission_shows_orders_but_allows_no_action(django_user_model, two_events):
    viewer = staff(django_user_model, "viewer", "view_order", team_of=two_events[0])
    order = Order.objects.get(buyer_email="ana@example.com")
    assert "ana@example.com" in page_text(viewer.get(ORDERS))
    order_page = page_text(viewer.get(f"{ORDERS}{order.pk}/"))
    assert f"{ORDERS}{order.pk}/refund/" not in order_page and f"{ORDERS}{order.pk}/cancel/" not in order_page
    response = viewer.post(f"{ORDERS}{order.pk}/cancel/", {"reason": "no"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert order.registrations.get().status == Registration.Status.CONFIRMED
    lisbon = order.event
    assert viewer.get(cancel_event_path(lisbon))["Location"] == "/admin/"


@pytest.mark.django_db
def test_change_permission_alone_opens_the_listings_and_the_actions(django_user_model, two_events):
    organizer = staff(django_user_model, "organizer", "change_order", team_of=two_events[0])
    order = Order.objects.get(buyer_email="ana@example.com")
    assert "ana@example.com" in page_text(organizer.get(ORDERS))
    assert "Ana Paid" in page_text(organizer.get(ATTENDEES))
    assert "Yes, cancel and refund" in page_text(organizer.get(f"{ORDERS}{order.pk}/cancel/"))


@pytest.mark.django_db
def test_a_team_sees_only_its_own_organizers_orders_and_seats(django_user_model, two_events):
    lisbon, oslo = two_events
    team = staff(django_user_model, "lisbon-team", "change_order", team_of=lisbon)
    olav = Order.objects.get(buyer_email="olav@example.com")
    orders = page_text(team.get(ORDERS))
    assert "ana@example.com" in orders and "olav@example.com" not in orders
    seats = page_text(team.get(ATTENDEES))
    assert "Ana Paid" in seats and "Olav Paid" not in seats
    assert "Olav Paid" not in page_text(team.get(ATTENDEES, {"event": oslo.pk}))  # not even by filtering for it
    assert "Oslo workshop" not in page_text(team.get(ORDERS))  # nor offered as a filter
    for path in (f"{ORDERS}{olav.pk}/", f"{ORDERS}{olav.pk}/refund/", f"{ORDERS}{olav.pk}/cancel/"):
        assert team.get(path).status_code == 404, path
    seat = olav.registrations.get()
    assert team.post(f"{ATTENDEES}{seat.pk}/cancel/", {"reason": "x", "notify": "on"}).status_code == 404
    assert team.post(f"{ORDERS}{olav.pk}/cancel/", {"reason": "x", "notify": "on"}).status_code == 404
    seat.refresh_from_db()
    assert seat.status == Registration.Status.CONFIRMED and olav.log_entries.count() == 0


@pytest.mark.django_db
def test_registrations_list_filtered_by_event_shows_only_that_events_seats(admin_client, two_events):
    lisbon, oslo = two_events
    everything = page_text(admin_client.get(ATTENDEES))
    assert "Ana Paid" in everything and "Olav Paid" in everything
    only_oslo = page_text(admin_client.get(ATTENDEES, {"event": oslo.pk}))
    assert "Olav Paid" in only_oslo
    assert "Ana Paid" not in only_oslo and "Bruno Pending" not in only_oslo
    assert cancel_event_path(oslo) in only_oslo  # the event's cancel action, from its registrations
    held = page_text(admin_client.get(ATTENDEES, {"event": lisbon.pk, "status": "held"}))
    assert "Bruno Pending" in held and "Ana Paid" not in held
    searched = page_text(admin_client.get(ATTENDEES, {"q": "olav@"}))
    assert "Olav Paid" in searched and "Ana Paid" not in searched


@pytest.mark.django_db
def test_listings_take_as_many_queries_for_many_rows_as_for_few(admin_client, two_events):
    def queries(path):
        admin_client.get(path)  # what is cached once (the site) is not counted
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(path).status_code == 200
        return len(captured.captured_queries)

    few = {path: queries(path) for path in (ORDERS, ATTENDEES)}
    _, oslo = two_events
    for i in range(5):
        make_order(oslo, f"Extra {i}", f"extra{i}@example.com", seats=2)
    assert {path: queries(path) for path in (ORDERS, ATTENDEES)} == few


@pytest.mark.django_db
def test_order_page_shows_seats_refunds_and_history(admin_client, admin_user, two_events):
    order = Order.objects.get(buyer_email="ana@example.com")
    order.stripe_payment_intent_id = "pi_ana"
    order.save()
    Refund.objects.create(order=order, number=1, amount=Decimal("10.00"), status=Refund.Status.SUCCEEDED)
    failed = Refund.objects.create(
        order=order, number=2, amount=Decimal("15.00"), status=Refund.Status.FAILED, error="Card issuer unreachable"
    )
    order.log("refund_requested", user=admin_user, amount="15.00", number=2, reason="goodwill")
    order.log("refund_failed", number=2, error="Card issuer unreachable")

    text = page_text(admin_client.get(f"{ORDERS}{order.pk}/"))
    assert "Ana Paid" in text and "ana@example.com" in text and "Standard" in text and "Confirmed" in text
    assert "10.00 EUR" in text and "15.00 EUR" in text
    assert "Refund 2 of 15.00 EUR failed: Card issuer unreachable" in text
    assert f"{ORDERS}{order.pk}/refunds/{failed.pk}/retry/" in text and "Retry refund" in text
    assert "Refund requested" in text and "reason: goodwill" in text and admin_user.username in text
    assert f"{ORDERS}{order.pk}/refund/" in text and f"{ORDERS}{order.pk}/cancel/" in text


@pytest.mark.django_db
def test_event_edit_page_offers_its_registrations_and_cancelling(admin_client, two_events):
    lisbon, _ = two_events
    text = page_text(admin_client.get(f"/admin/pages/{lisbon.pk}/edit/"))
    assert cancel_event_path(lisbon) in text
    assert f"{ATTENDEES}?event={lisbon.pk}" in text


@pytest.mark.django_db
def test_actions_refuse_a_post_without_the_csrf_token(admin_user, two_events):
    order = Order.objects.get(buyer_email="ana@example.com")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    assert browser.post(f"{ORDERS}{order.pk}/cancel/", {"reason": "x"}).status_code == 403
    assert order.registrations.get().status == Registration.Status.CONFIRMED


# Actions that move money, against the Stripe emulator


@pytest.fixture
def event(transactional_db):
    return make_event("Paid workshop", tickets=[("Standard", "50.00")], currency="EUR", capacity=3)


def refunds_for(stripe_emulator, order):
    return [
        r["amount"] for r in stripe_emulator.refunds.values() if r["payment_intent"] == order.stripe_payment_intent_id
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_admin_refunds_part_of_a_paid_order_after_confirming(client, admin_client, admin_user, stripe_emulator, event):
    order = paid_order(client, stripe_emulator, event)
    confirm = admin_client.get(f"{ORDERS}{order.pk}/refund/")
    assert 'value="50.00"' in page_text(confirm)  # what is refundable, by default
    assert not order.refunds.exists()

    response = admin_client.post(f"{ORDERS}{order.pk}/refund/", {"amount": "20.00", "reason": "left early"})
    assert response.status_code == 302 and response["Location"] == f"{ORDERS}{order.pk}/"
    refund = order.refunds.get()
    assert (refund.status, refund.amount, refund.reason) == (Refund.Status.SUCCEEDED, Decimal("20.00"), "left early")
    assert refunds_for(stripe_emulator, order) == [2000]
    assert order.log_entries.filter(action="refund_requested", user=admin_user).exists()
    assert order.log_entries.filter(action="refunded").exists()
    assert "Refunded 20.00 EUR." in page_text(admin_client.get(response["Location"]))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.registrations.get().status == Registration.Status.CONFIRMED


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_refunding_more_than_was_paid_is_a_form_error_and_changes_nothing(client, admin_client, stripe_emulator, event):
    order = paid_order(client, stripe_emulator, event)
    log_before = OrderLogEntry.objects.count()
    response = admin_client.post(f"{ORDERS}{order.pk}/refund/", {"amount": "50.01", "reason": "oops"})
    assert "Refund between 0 and 50.00 EUR." in page_text(response)
    assert not order.refunds.exists()
    assert OrderLogEntry.objects.count() == log_before
    assert refunds_for(stripe_emulator, order) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_a_refund_stripe_fails_is_shown_with_its_error_and_can_be_retried(client, admin_client, stripe_emulator, event):
    order = paid_order(client, stripe_emulator, event)
    stripe_emulator.add_fault("/v1/refunds", "error_500", method="POST")
    response = admin_client.post(f"{ORDERS}{order.pk}/refund/", {"amount": "20", "reason": ""}, follow=True)
    refund = order.refunds.get()
    assert refund.status == Refund.Status.FAILED and refund.error
    assert "Stripe did not accept the refund of 20.00 EUR" in page_text(response)

    order_page = page_text(admin_client.get(f"{ORDERS}{order.pk}/"))
    assert "Failed" in order_page and refund.error in order_page
    retry = f"{ORDERS}{order.pk}/refunds/{refund.pk}/retry/"
    assert retry in order_page

    response = admin_client.post(retry)
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and not refund.error
    assert refunds_for(stripe_emulator, order) == [2000]
    assert retry not in page_text(admin_client.get(f"{ORDERS}{order.pk}/"))
    # A second retry of a refund that went through sends nothing.
    admin_client.post(retry)
    assert refunds_for(stripe_emulator, order) == [2000]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_cancelling_an_order_cancels_its_seats_refunds_in_full_and_frees_the_seats(
    client, admin_client, stripe_emulator, event, mailoutbox
):
    order = paid_order(client, stripe_emulator, event, quantity=2)
    ticket = event.ticket_types.get()
    assert seats_left(event, ticket) == 1
    confirm = page_text(admin_client.get(f"{ORDERS}{order.pk}/cancel/"))
    assert "Attendee 0" in confirm and "Attendee 1" in confirm
    assert order.registrations.confirmed().count() == 2  # GET changed nothing

    response = admin_client.post(f"{ORDERS}{order.pk}/cancel/", {"reason": "asked by phone", "notify": "on"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert set(order.registrations.values_list("status", flat=True)) == {Registration.Status.CANCELLED}
    refund = order.refunds.get()
    assert (refund.status, refund.amount) == (Refund.Status.SUCCEEDED, Decimal("100.00"))
    assert refunds_for(stripe_emulator, order) == [10000]
    assert seats_left(event, ticket) == 3
    assert order.log_entries.filter(action="cancelled", detail__reason="asked by phone").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_cancel_and_refund_one_registration_keeps_the_rest_of_the_order(client, admin_client, stripe_emulator, event):
    order = paid_order(client, stripe_emulator, event, quantity=2)
    first, second = order.registrations.order_by("pk")
    listing = page_text(admin_client.get(ATTENDEES, {"event": event.pk}))
    assert f"{ATTENDEES}{first.pk}/cancel/" in listing

    assert "Yes, cancel and refund" in page_text(admin_client.get(f"{ATTENDEES}{first.pk}/cancel/"))
    response = admin_client.post(f"{ATTENDEES}{first.pk}/cancel/", {"reason": "", "notify": "on"})
    assert response.status_code == 302
    first.refresh_from_db(), second.refresh_from_db(), order.refresh_from_db()
    assert (first.status, second.status) == (Registration.Status.CANCELLED, Registration.Status.CONFIRMED)
    assert order.status == Order.Status.PAID
    assert refunds_for(stripe_emulator, order) == [5000]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_cancelling_an_event_publishes_the_cancellation_and_refunds_every_paid_order(
    client, admin_client, stripe_emulator, event
):
    first = paid_order(client, stripe_emulator, event, quantity=2)
    second = paid_order(
        client, stripe_emulator, event, **{"attendee-0-name": "Bea", "attendee-0-email": "bea@example.com"}
    )
    confirm = page_text(admin_client.get(cancel_event_path(event)))
    assert "3 confirmed attendees will be told" in confirm
    assert "2 paid orders will be refunded" in confirm
    assert EventPage.objects.get(pk=event.pk).status == EventPage.Status.SCHEDULED  # GET changed nothing

    response = admin_client.post(cancel_event_path(event))
    assert response.status_code == 302
    page = EventPage.objects.get(pk=event.pk)
    assert page.status == EventPage.Status.CANCELLED and page.live and not page.has_unpublished_changes
    for order, cents in ((first, 10000), (second, 5000)):
        order.refresh_from_db()
        assert order.status == Order.Status.CANCELLED
        assert refunds_for(stripe_emulator, order) == [cents]
        assert order.refunds.get().status == Refund.Status.SUCCEEDED
    assert not Registration.objects.filter(event=event).confirmed().exists()
    assert "is cancelled" in page_text(admin_client.get(response["Location"]))
