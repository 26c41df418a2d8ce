"""An existing install upgrades without losing data: a database made by the previous release
(events 0005, registrations 0002) is migrated to the latest state and keeps every row."""

import importlib
import io
from decimal import Decimal

import pytest
from django.apps import apps as current_apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from events.models import EventPage, ListingEntry, TicketType
from registrations.models import Order, Refund, Registration, WaitlistEntry
from registrations.services import attendance, refunds
from tests.factories import TopicFactory, make_event, make_registration
from tests.registration_helpers import checkout_session_id, latest_order, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

PREVIOUS_RELEASE = {"events": "0005_listing_indexes", "registrations": "0002_registration_certificate_code_checkin"}


def migrate_to(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def previous_release():
    nodes = MigrationExecutor(connection).loader.graph.nodes
    targets = [(app, name) for app, name in PREVIOUS_RELEASE.items()]
    assert all(target in nodes for target in targets)
    return targets


def make_old_rows(apps, event, other, ticket_ids):
    """What only the previous schema could hold, written with its own models."""
    OldOrder = apps.get_model("registrations", "Order")
    OldRegistration = apps.get_model("registrations", "Registration")
    OldWaitlistEntry = apps.get_model("registrations", "WaitlistEntry")
    OldRefund = apps.get_model("registrations", "Refund")
    standard = ticket_ids[event.pk]
    order = OldOrder.objects.create(
        event_id=event.pk,
        buyer_name="Bea Gómez",
        buyer_email="bea@example.com",
        total=Decimal("240.00"),
        currency="EUR",
        status="paid",
        stripe_payment_intent_id="pi_old",
        paid_at=timezone.now(),
    )
    for name, email in (("Bea Gómez", "bea@example.com"), ("Carl Ruiz", "carl@example.com")):
        OldRegistration.objects.create(
            order=order,
            event_id=event.pk,
            ticket_type_id=standard,
            name=name,
            email=email,
            price=Decimal("120.00"),
            status="confirmed",
            ticket_secret=f"secret-{email}",
        )
    # A seat in the other event, to show door codes are unique per event, not only globally.
    other_order = OldOrder.objects.create(
        event_id=other.pk, buyer_name="Dan", buyer_email="dan@example.com", total=0, currency="EUR", status="paid"
    )
    OldRegistration.objects.create(
        order=other_order,
        event_id=other.pk,
        ticket_type_id=ticket_ids[other.pk],
        name="Dan",
        email="dan@example.com",
        price=0,
        status="confirmed",
        ticket_secret="secret-dan",
    )
    for number, status, amount in ((1, "succeeded", "50.00"), (2, "failed", "20.00"), (3, "pending", "10.00")):
        OldRefund.objects.create(
            order=order,
            number=number,
            amount=Decimal(amount),
            status=status,
            stripe_refund_id="re_old" if status == "succeeded" else None,
            error="card_declined" if status == "failed" else "",
        )
    offer_expires_at = timezone.now() + timezone.timedelta(hours=20)
    OldWaitlistEntry.objects.create(
        event_id=event.pk, ticket_type_id=standard, name="Eva", email="eva@example.com", status="waiting", token="t-eva"
    )
    OldWaitlistEntry.objects.create(
        event_id=event.pk,
        ticket_type_id=standard,
        name="Fer",
        email="fer@example.com",
        status="offered",
        token="t-fer",
        offer_expires_at=offer_expires_at,
    )
    return order, offer_expires_at


def test_a_database_of_the_previous_release_upgrades_without_losing_anything():
    # The event pages are Wagtail pages in a tree: made with today's models before going back.
    event = make_event("Old workshop", tickets=(("Standard", "120"), ("Student", "40")), currency="EUR", capacity=3)
    other = make_event("Other workshop", currency="EUR")
    ana = make_registration(event, name="Ana", email="ana@example.com", price="120.00")
    # Today's models read columns the old schema lacks: look up what the old rows need first.
    ticket_ids = {page.pk: page.ticket_types.first().pk for page in (event, other)}
    try:
        executor = migrate_to(previous_release())
        apps = executor.loader.project_state(previous_release()).apps
        order, offer_expires_at = make_old_rows(apps, event, other, ticket_ids)
        migrate_to(latest())

        # Every row is still there with its values.
        assert EventPage.objects.filter(pk__in=[event.pk, other.pk]).count() == 2
        assert set(TicketType.objects.filter(page=event).values_list("name", "price")) == {
            ("Standard", Decimal("120.00")),
            ("Student", Decimal("40.00")),
        }
        assert Order.objects.filter(event=event).count() == 2
        order = Order.objects.get(pk=order.pk)
        assert (order.status, order.total, order.buyer_email, order.client_key) == (
            "paid",
            Decimal("240.00"),
            "bea@example.com",
            "",
        )
        seats = Registration.objects.filter(event=event).order_by("email")
        assert [(s.email, s.status, s.price) for s in seats] == [
            ("ana@example.com", "confirmed", Decimal("120.00")),
            ("bea@example.com", "confirmed", Decimal("120.00")),
            ("carl@example.com", "confirmed", Decimal("120.00")),
        ]
        assert seats.get(email="ana@example.com").ticket_secret == ana.ticket_secret
        assert seats.get(email="bea@example.com").ticket_secret == "secret-bea@example.com"
        assert all(s.invite_facts == {} for s in seats)

        # Each ticket got its own door code, valid at the door, unique within its event.
        codes = [s.door_code for s in Registration.objects.all()]
        assert len(codes) == 4 and all(attendance.door_code(code) == code for code in codes)
        assert len(set(seats.values_list("door_code", flat=True))) == 3

        # The waitlist keeps its place: waiting entries were confirmed already, offers stand.
        assert {(w.email, w.status, w.offer_expires_at) for w in WaitlistEntry.objects.all()} == {
            ("eva@example.com", WaitlistEntry.Status.WAITING, None),
            ("fer@example.com", WaitlistEntry.Status.OFFERED, offer_expires_at),
        }

        # Refunds keep amounts and outcomes; one that already failed at Stripe under the old
        # key counts as one attempt, so the retry asks Stripe first and uses a new key.
        refunds = {r.number: r for r in Refund.objects.filter(order=order)}
        assert {n: (r.status, r.amount, r.attempts) for n, r in refunds.items()} == {
            1: ("succeeded", Decimal("50.00"), 0),
            2: ("failed", Decimal("20.00"), 1),
            3: ("pending", Decimal("10.00"), 0),
        }
        assert (refunds[1].stripe_refund_id, refunds[2].error) == ("re_old", "card_declined")

        # New event columns start from their defaults: nothing was published in a calendar yet.
        for page in EventPage.objects.filter(pk__in=[event.pk, other.pk]):
            assert (page.calendar_sequence, page.calendar_fingerprint, page.sold_out) == (0, "", False)
        assert all(TicketType.objects.filter(page=event).values_list("for_ce_credit", flat=True))
    finally:
        migrate_to(latest())

    # The listings' read model is new: `migrate` fills it, and the old events are listed again.
    assert not ListingEntry.objects.exists()
    call_command("migrate", verbosity=0)
    assert set(ListingEntry.objects.values_list("page_id", "title")) == {
        (event.pk, event.title),
        (other.pk, other.title),
    }
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())


def test_a_refund_that_failed_before_the_upgrade_succeeds_on_its_first_retry_after_it(client, stripe_emulator):
    """The previous release tried a refund once under `refund-<order>-<n>`; Stripe replays that
    failure to the same key, so the upgrade counts it as an attempt and the retry uses a new key."""
    event = make_event("Small workshop", tickets=[("Standard", "50.00")], currency="EUR")
    session_id = checkout_session_id(register(client, event))
    stripe_emulator.pay(session_id)
    client.get(f"/checkout/success/?session_id={session_id}")
    order = latest_order()
    stripe_emulator.add_fault("/v1/refunds", "error_500", method="POST")
    failed = refunds.refund(order, 20)
    assert failed.status == Refund.Status.FAILED
    Refund.objects.filter(pk=failed.pk).update(attempts=0)  # what a row of the previous release holds

    migration = importlib.import_module("registrations.migrations.0006_refund_attempts")
    migration.count_the_attempt_of_refunds_that_failed(current_apps, None)

    (retried,) = refunds.retry_failed_refunds()
    assert retried.status == Refund.Status.SUCCEEDED
    assert [r["amount"] for r in stripe_emulator.refunds.values()] == [2000]


def test_teams_approved_before_codes_existed_may_manage_codes_after_the_upgrade():
    from django.contrib.auth.models import Group

    from tests.factories import OrganizerFactory

    migrate_to([("registrations", "0007_promo_codes")])
    team = Group.objects.create(name="Organizer: Early Institute")
    OrganizerFactory(name="Early Institute", team=team)
    Group.objects.create(name="Someone else")
    migrate_to(latest())
    codenames = set(team.permissions.values_list("codename", flat=True))
    assert {"add_promocode", "change_promocode", "delete_promocode"} <= codenames
    assert not Group.objects.get(name="Someone else").permissions.exists()


def test_listed_events_get_their_topic_ids_from_the_migration_that_adds_them():
    """events 0021, on a database that lists events (PostgreSQL makes its indexes after the rows' updates)."""
    grief, loss = TopicFactory(name="Grief", slug="grief"), TopicFactory(name="Loss", slug="loss")
    make_event("Both", topics=[loss, grief])
    make_event("One", topics=[loss])
    make_event("None")
    migrate_to([("events", "0020_listing_title_document")])
    migrate_to(latest())
    assert dict(ListingEntry.objects.values_list("title", "topic_ids")) == {
        "Both": f" {min(grief.pk, loss.pk)} {max(grief.pk, loss.pk)} ",
        "One": f" {loss.pk} ",
        "None": " ",
    }


def test_listed_events_get_their_card_facts_from_the_migration_that_adds_them():
    """events 0024: what a card, a pin and the API show, copied from the page and its venue."""
    from tests.factories import VenueFactory

    at_venue = make_event("At the hall", slug="hall", venue=VenueFactory(name="The hall"))
    online = make_event("Online", slug="online")
    EventPage.objects.filter(pk=online.pk).update(sold_out=True, currency="EUR")
    expected = {
        page.pk: (page.slug, page.time_zone, page.currency, page.sold_out, page.last_published_at, venue)
        for page, venue in (
            (EventPage.objects.get(pk=at_venue.pk), "The hall"),
            (EventPage.objects.get(pk=online.pk), ""),
        )
    }
    migrate_to([("events", "0023_attendance_rules")])
    migrate_to(latest())
    copied = ListingEntry.objects.values_list(
        "page_id", "slug", "time_zone", "currency", "sold_out", "last_published_at", "venue_name"
    )
    assert {pk: tuple(facts) for pk, *facts in copied} == expected
    assert expected[online.pk][2:4] == ("EUR", True)
