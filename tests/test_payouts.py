"""Organizers paid directly (Stripe Connect, through the emulator over HTTP): a team connects its
organizer's account on Stripe's hosted onboarding, paid orders are destination charges less the
platform's fee, refunds take the organizer's share back, and the dashboard's figures are Stripe's
to the cent. An organizer that cannot take payments sells no paid tickets."""

import re
import urllib.parse
from decimal import Decimal

import pytest
import requests
import stripe
from django.test import Client

from registrations import conf, stripe_gateway
from registrations.models import Order, PayoutAccount
from registrations.services import refunds
from tests.concurrency import at_once
from tests.factories import event_index, make_event
from tests.registration_helpers import checkout_session_id, latest_order, register
from tests.test_organizer_permissions import approved_organizer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

PAYOUTS = "/admin/registrations/payouts/"


@pytest.fixture
def connect(settings):
    settings.REGISTRATIONS_CONNECT = True


@pytest.fixture
def madrid(django_user_model, connect):
    event_index()
    organizer = approved_organizer("Madrid Institute")
    member = django_user_model.objects.create_user("madrid", "madrid@example.com", "pw")
    member.groups.add(organizer.team)
    team = Client()
    team.force_login(member)
    return organizer, team


def onboard(team, organizer, stripe_emulator, country="ES"):
    """The team's way through: Connect with Stripe, Stripe's page, back to the admin."""
    connect_url = f"{PAYOUTS}{organizer.pk}/connect/"
    response = team.post(connect_url, {"country": country})
    assert response.status_code == 302 and response["Location"].startswith(stripe_emulator.base_url + "/connect/")
    stripe_page = requests.get(response["Location"], timeout=5)
    assert stripe_page.status_code == 200 and "Complete onboarding" in stripe_page.text
    done = requests.post(response["Location"], allow_redirects=False, timeout=5)
    assert done.status_code == 303
    back = urllib.parse.urlsplit(done.headers["Location"]).path
    return team.get(back, follow=True)


def test_a_team_connects_its_organizers_account_and_sees_it_can_take_payments(madrid, stripe_emulator):
    organizer, team = madrid
    page = team.get(PAYOUTS).content.decode()
    assert 'data-status="not_connected"' in page and "Connect with Stripe" in page
    result = onboard(team, organizer, stripe_emulator).content.decode()
    assert "The account can take payments" in result and 'data-status="active"' in result
    account = PayoutAccount.objects.get(organizer=organizer)
    assert account.charges_enabled and stripe_emulator.accounts[account.stripe_account_id]["country"] == "ES"
    assert stripe_emulator.drain(timeout=10)  # account.updated reached the webhook too
    assert all(delivery["ok"] for delivery in stripe_emulator.deliveries())


EDITOR_WARNING = "Madrid Institute cannot take payments yet (Registrations → Payouts)"


def test_an_unfinished_onboarding_is_shown_and_sells_no_paid_tickets(
    madrid, stripe_emulator, client, mailoutbox, admin_client
):
    organizer, team = madrid
    assert team.post(f"{PAYOUTS}{organizer.pk}/connect/", {"country": "ES"}).status_code == 302  # left Stripe's page
    assert 'data-status="pending"' in team.get(PAYOUTS).content.decode()
    event = make_event("Paid day", organizer=organizer, tickets=[("Standard", "80.00"), ("Free", "0")], currency="EUR")
    assert (
        "Paid tickets are not on sale yet: the organizer cannot take payments."
        in client.get(event.route_url("registration_box")).content.decode()  # the event page's live box
    )
    response = register(client, event, ticket=event.ticket_types.get(name="Standard"))
    assert "This organizer cannot take payments yet" in response.content.decode()
    assert not Order.objects.exists() and stripe_emulator.sessions == {}
    assert register(client, event, ticket=event.ticket_types.get(name="Free")).status_code == 302  # free still goes
    assert EDITOR_WARNING in admin_client.get(f"/admin/pages/{event.pk}/edit/").content.decode()  # editors are told
    # Stripe's refresh_url (the link was used or expired) makes a new link for the same account.
    again = team.get(f"{PAYOUTS}{organizer.pk}/connect/")
    assert again.status_code == 302 and again["Location"].startswith(stripe_emulator.base_url + "/connect/")
    assert PayoutAccount.objects.count() == 1 and len(stripe_emulator.accounts) == 1


def test_the_money_goes_to_the_organizer_less_the_fee_and_refunds_take_it_back(
    madrid, stripe_emulator, client, django_user_model
):
    organizer, team = madrid
    onboard(team, organizer, stripe_emulator)
    root = Client()
    root.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    fees = {"fee_percent": "10", "fee_fixed": "0.50", "refund_fee": "on"}
    assert root.post(f"{PAYOUTS}{organizer.pk}/fees/", fees).status_code == 302
    assert team.post(f"{PAYOUTS}{organizer.pk}/fees/", {"fee_percent": "0"}).status_code == 404  # not the team's

    event = make_event("Paid day", organizer=organizer, tickets=[("Standard", "80.00")], currency="EUR", capacity=10)
    assert "not on sale yet" not in client.get(event.route_url("registration_box")).content.decode()
    assert EDITOR_WARNING not in root.get(f"/admin/pages/{event.pk}/edit/").content.decode()
    session_id = checkout_session_id(register(client, event, quantity=2))
    order = latest_order()
    account = PayoutAccount.objects.get(organizer=organizer).stripe_account_id
    assert (order.destination_account, order.platform_fee, order.platform_fee_refundable) == (
        account,
        Decimal("16.50"),
        True,
    )
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    (charge,) = stripe_emulator.charges.values()
    transfer = stripe_emulator.transfers[charge["transfer"]]
    assert (charge["application_fee_amount"], transfer["amount"], transfer["destination"]) == (1650, 14350, account)

    refund = refunds.refund(order, 80)
    assert refund.status == "succeeded" and stripe_emulator.drain(timeout=10)
    fee = stripe_emulator.application_fees[charge["application_fee"]]
    assert (transfer["amount_reversed"], fee["amount_refunded"]) == (7175, 825)

    # The dashboard says what Stripe says: the organizer keeps what was transferred and not taken back.
    page = root.get(f"/admin/registrations/events/{event.pk}/dashboard/").content.decode()
    row = re.search(r'<tr data-currency="EUR">(.*?)</tr>', page, re.S).group(1)
    figures = dict(re.findall(r'data-figure="(\w+)">(?:<strong>)?([^<]+)', row))
    assert figures == {"paid": "160.00 EUR", "refunded": "80.00 EUR", "fees": "8.25 EUR", "net": "71.75 EUR"}
    assert Decimal(transfer["amount"] - transfer["amount_reversed"]) / 100 == Decimal("71.75")


def dashboard_money(client, event, currency="EUR"):
    page = client.get(f"/admin/registrations/events/{event.pk}/dashboard/").content.decode()
    row = re.search(rf'<tr data-currency="{currency}">(.*?)</tr>', page, re.S).group(1)
    return dict(re.findall(r'data-figure="(\w+)">(?:<strong>)?([^<]+)', row))


def test_when_the_platform_keeps_its_fee_the_organizer_gives_refunds_back_whole(
    madrid, stripe_emulator, client, django_user_model
):
    organizer, team = madrid
    onboard(team, organizer, stripe_emulator)
    PayoutAccount.objects.filter(organizer=organizer).update(fee_percent=10, fee_fixed="0.50", refund_fee=False)
    root = Client()
    root.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    event = make_event("Paid day", organizer=organizer, tickets=[("Standard", "80.00")], currency="EUR", capacity=10)
    session_id = checkout_session_id(register(client, event, quantity=2))
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    order = latest_order()
    (charge,) = stripe_emulator.charges.values()
    transfer = stripe_emulator.transfers[charge["transfer"]]
    fee = stripe_emulator.application_fees[charge["application_fee"]]
    assert (charge["amount"], fee["amount"], transfer["amount"]) == (16000, 1650, 14350)

    # A refund Stripe makes from the platform's balance; the organizer's account gives it all back.
    first = refunds.refund(order, 80)
    first.refresh_from_db()
    refund = stripe_emulator.refunds[first.stripe_refund_id]
    assert refund["transfer_reversal"] is None  # not Stripe's proportional reversal
    assert (transfer["amount_reversed"], fee["amount_refunded"]) == (8000, 0)
    assert (first.taken_back, first.transfer_reversal_id) == (Decimal("80.00"), transfer["reversals"]["data"][0]["id"])
    assert dashboard_money(root, event) == {
        "paid": "160.00 EUR", "refunded": "80.00 EUR", "fees": "16.50 EUR", "net": "63.50 EUR"
    }  # fmt: skip

    # The rest: the organizer can give back only what is left of what it was paid (63.50).
    stripe_emulator.add_fault(f"/v1/transfers/{transfer['id']}/reversals", "error_500", method="POST")
    second = refunds.refund(order, 80)
    second.refresh_from_db()
    assert second.status == "succeeded" and second.taken_back is None and second.reversal_attempts == 1
    failed = order.log_entries.get(action="reversal_failed").detail
    assert failed["number"] == 2 and "Injected fault" in failed["error"]
    # Meanwhile the platform's balance has paid it: the figures say so, and still add up.
    assert dashboard_money(root, event) == {
        "paid": "160.00 EUR", "refunded": "160.00 EUR", "fees": "-63.50 EUR", "net": "63.50 EUR"
    }  # fmt: skip
    (retried,) = refunds.retry_failed_refunds()
    assert (retried.taken_back, transfer["amount_reversed"]) == (Decimal("63.50"), 14350)
    assert refunds.retry_failed_refunds() == []
    assert [e.detail for e in order.log_entries.filter(action="taken_back")] == [
        {"number": 1, "amount": "80.00"},
        {"number": 2, "amount": "63.50"},
    ]
    assert [r["metadata"] for r in transfer["reversals"]["data"]] == [
        {"order_id": str(order.pk), "refund_number": "1"},
        {"order_id": str(order.pk), "refund_number": "2"},
    ]
    figures = dashboard_money(root, event)
    assert figures == {"paid": "160.00 EUR", "refunded": "160.00 EUR", "fees": "0.00 EUR", "net": "0.00 EUR"}
    # Stripe's books and ours: the platform kept its fee less what it paid of the refunds.
    platform = fee["amount"] - fee["amount_refunded"] - (charge["amount_refunded"] - transfer["amount_reversed"])
    assert platform == 0 and transfer["amount"] - transfer["amount_reversed"] == 0


def test_without_connect_there_is_no_payouts_page_and_payments_go_to_the_platform(
    client, stripe_emulator, admin_client
):
    assert admin_client.get(PAYOUTS).status_code == 404
    event = make_event("Paid day", tickets=[("Standard", "80.00")], currency="EUR", capacity=10)
    checkout_session_id(register(client, event))
    order = latest_order()
    assert (order.destination_account, order.platform_fee) == ("", 0)
    (session,) = stripe_emulator.sessions.values()
    assert stripe_emulator._checkout[session["id"]]["destination"] is None


def test_a_team_connects_only_its_own_organizers(madrid, stripe_emulator, django_user_model):
    other = approved_organizer("Boston Society")
    organizer, team = madrid
    assert team.post(f"{PAYOUTS}{other.pk}/connect/", {"country": "US"}).status_code == 404
    assert "Boston Society" not in team.get(PAYOUTS).content.decode()
    assert team.post(f"{PAYOUTS}{organizer.pk}/connect/", {"country": "Narnia"}).status_code == 302
    assert not PayoutAccount.objects.exists() and stripe_emulator.accounts == {}  # a bad country: nothing made


def test_the_emulator_reverses_no_more_of_a_transfer_than_is_left(madrid, stripe_emulator, client):
    organizer, team = madrid
    onboard(team, organizer, stripe_emulator)
    event = make_event("Paid day", organizer=organizer, tickets=[("Standard", "80.00")], currency="EUR", capacity=10)
    stripe_emulator.pay(checkout_session_id(register(client, event)))
    (charge,) = stripe_emulator.charges.values()
    reversals = stripe_gateway.client().v1.transfers.reversals
    with pytest.raises(stripe.InvalidRequestError, match="remaining amount"):
        reversals.create(charge["transfer"], params={"amount": 8001})
    with pytest.raises(stripe.InvalidRequestError, match="No such transfer"):
        reversals.create("tr_nope", params={"amount": 1})
    assert reversals.create(charge["transfer"]).amount == 8000  # all that is left, by default
    with pytest.raises(stripe.InvalidRequestError, match="already fully reversed"):
        reversals.create(charge["transfer"], params={"amount": 1})


def test_connect_events_signed_by_a_connect_endpoint_of_their_own_are_taken(madrid, stripe_emulator, settings):
    """Stripe sends connected accounts' events (account.updated) to a Connect endpoint, signed with
    that endpoint's secret: the webhook takes either secret, and no other."""
    organizer, team = madrid
    assert team.post(f"{PAYOUTS}{organizer.pk}/connect/", {"country": "ES"}).status_code == 302
    account = PayoutAccount.objects.get(organizer=organizer)
    stripe_emulator.complete_onboarding(account.stripe_account_id)  # its own account.updated goes out too
    assert stripe_emulator.drain(timeout=10)
    PayoutAccount.objects.filter(pk=account.pk).update(charges_enabled=False)
    updated = stripe_emulator.accounts[account.stripe_account_id]
    assert stripe_emulator.send_raw("account.updated", updated, secret="whsec_connect")["status_code"] == 400
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect"
    assert stripe_emulator.send_raw("account.updated", updated, secret="whsec_other")["status_code"] == 400
    assert not PayoutAccount.objects.get(pk=account.pk).charges_enabled
    assert stripe_emulator.send_raw("account.updated", updated, secret="whsec_connect")["status_code"] == 200
    assert PayoutAccount.objects.get(pk=account.pk).charges_enabled
    assert stripe_emulator.send_raw("account.updated", updated)["status_code"] == 200  # the main secret still works


def paid_keeping_the_fee(madrid, stripe_emulator, client):
    """A paid order of 100.00 whose 10.00 fee the platform keeps: refunds are taken back apart."""
    organizer, team = madrid
    onboard(team, organizer, stripe_emulator)
    PayoutAccount.objects.filter(organizer=organizer).update(fee_percent=10, fee_fixed=0, refund_fee=False)
    event = make_event("Paid day", organizer=organizer, tickets=[("Standard", "100.00")], currency="EUR", capacity=10)
    stripe_emulator.pay(checkout_session_id(register(client, event)))
    assert stripe_emulator.drain(timeout=10)
    return latest_order()


def test_a_reversal_whose_answer_was_lost_is_found_not_made_twice(madrid, stripe_emulator, client, settings):
    order = paid_keeping_the_fee(madrid, stripe_emulator, client)
    (charge,) = stripe_emulator.charges.values()
    transfer = stripe_emulator.transfers[charge["transfer"]]  # 90.00: the fee is 10.00
    # Stripe makes the reversal, but no answer reaches us, however often the client tries.
    settings.STRIPE_TIMEOUT = 0.5  # production's retries, a shorter wait
    tries = 1 + conf.get("STRIPE_MAX_RETRIES")
    stripe_emulator.add_fault(f"/v1/transfers/{transfer['id']}/reversals", "timeout_after_success", "POST", tries, 1)
    first = refunds.refund(order, Decimal("90.00"))
    first.refresh_from_db()
    assert first.taken_back is None and first.reversal_attempts == 1 and transfer["amount_reversed"] == 9000
    (retried,) = refunds.retry_failed_refunds()  # asks Stripe first: the reversal is there
    assert (retried.taken_back, len(transfer["reversals"]["data"]), transfer["amount_reversed"]) == (
        Decimal("90.00"),
        1,
        9000,
    )
    # Nothing is left of the transfer: the last refund is the platform's to pay, and is recorded so.
    last = refunds.refund(order, Decimal("10.00"))
    last.refresh_from_db()
    assert (last.taken_back, last.transfer_reversal_id) == (Decimal("0"), "")
    assert len(transfer["reversals"]["data"]) == 1 and refunds.retry_failed_refunds() == []


def test_only_a_refund_that_succeeded_is_taken_back_from_the_organizer(madrid, stripe_emulator, client):
    order = paid_keeping_the_fee(madrid, stripe_emulator, client)
    stripe_emulator.set_refund_mode("pending")  # a bank refund: Stripe settles it later
    pending = refunds.refund(order, Decimal("30.00"))
    assert pending.status == "pending"
    (charge,) = stripe_emulator.charges.values()
    transfer = stripe_emulator.transfers[charge["transfer"]]
    assert refunds.take_back(pending.pk).taken_back is None and transfer["amount_reversed"] == 0
    assert refunds.retry_failed_refunds() == []  # nothing owed yet
    stripe_emulator.settle_refund(pending.stripe_refund_id, succeeded=False)
    assert stripe_emulator.drain(timeout=10)
    assert refunds.take_back(pending.pk).taken_back is None and transfer["amount_reversed"] == 0
    assert not refunds.give_back(pending.pk).returned_transfer_id  # nothing was taken: nothing to give
    assert len(stripe_emulator.transfers) == 1


def test_what_the_organizer_gave_back_for_a_refund_stripe_then_failed_is_returned_once(
    madrid, stripe_emulator, client, django_user_model
):
    order = paid_keeping_the_fee(madrid, stripe_emulator, client)
    (charge,) = stripe_emulator.charges.values()
    transfer = stripe_emulator.transfers[charge["transfer"]]  # 90.00 to the organizer
    refund = refunds.refund(order, Decimal("30.00"))
    refund.refresh_from_db()
    assert refund.taken_back == Decimal("30.00") and transfer["amount_reversed"] == 3000
    assert not refunds.give_back(refund.pk).returned_transfer_id  # it succeeded: nothing to give back
    # The refund fails after it succeeded: the money is back with the platform, which owes the
    # organizer its 30.00. Giving it back fails once (Stripe answered no) and is retried.
    stripe_emulator.add_fault("/v1/transfers", "error_500", method="POST")
    stripe_emulator.settle_refund(refund.stripe_refund_id, succeeded=False)
    assert stripe_emulator.drain(timeout=10)
    refund.refresh_from_db()
    assert refund.status == "failed" and refund.returned_transfer_id == ""
    failed = order.log_entries.get(action="return_failed").detail
    assert failed["number"] == 1 and "internal error" in failed["error"]
    (retried,) = refunds.retry_failed_refunds()
    returned = stripe_emulator.transfers[retried.returned_transfer_id]
    assert (returned["amount"], returned["currency"], returned["destination"], returned["metadata"]) == (
        3000, "eur", transfer["destination"], {"order_id": str(order.pk), "refund_number": "1"},
    )  # fmt: skip
    assert order.log_entries.get(action="given_back").detail == {"number": 1, "amount": "30.00"}
    assert refunds.retry_failed_refunds() == [] and refunds.give_back(refund.pk).returned_transfer_id == returned["id"]
    # The buyer is refunded by a new refund, taken back again: the organizer ends with 90 - 30.
    again = refunds.refund(order, Decimal("30.00"))
    again.refresh_from_db()
    assert again.taken_back == Decimal("30.00")
    kept = transfer["amount"] - transfer["amount_reversed"] + returned["amount"]
    root = Client()
    root.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    assert dashboard_money(root, order.event) == {
        "paid": "100.00 EUR", "refunded": "30.00 EUR", "fees": "10.00 EUR", "net": "60.00 EUR"
    }  # fmt: skip
    assert kept == 6000


def test_a_return_whose_answer_was_lost_is_found_not_made_twice(madrid, stripe_emulator, client, settings):
    order = paid_keeping_the_fee(madrid, stripe_emulator, client)
    refund = refunds.refund(order, Decimal("90.00"))
    settings.STRIPE_TIMEOUT = 0.5
    tries = 1 + conf.get("STRIPE_MAX_RETRIES")
    stripe_emulator.add_fault("/v1/transfers", "timeout_after_success", "POST", tries, 1)
    stripe_emulator.settle_refund(refund.stripe_refund_id, succeeded=False)
    assert stripe_emulator.drain(timeout=30)
    refund.refresh_from_db()
    assert refund.returned_transfer_id == ""
    made = [t for t in stripe_emulator.transfers.values() if t["transfer_group"]]
    assert len(made) == 1  # Stripe made it; no answer reached us
    (retried,) = refunds.retry_failed_refunds()
    assert retried.returned_transfer_id == made[0]["id"]
    assert len([t for t in stripe_emulator.transfers.values() if t["transfer_group"]]) == 1


def test_two_takers_at_once_take_a_refund_back_once(madrid, stripe_emulator, client):
    """The refund's own follow-up and the periodic retry may run together: both find no reversal
    yet (their lists are answered late), and Stripe makes one, as both ask under the refund's
    idempotency key."""
    order = paid_keeping_the_fee(madrid, stripe_emulator, client)
    (charge,) = stripe_emulator.charges.values()
    transfer = stripe_emulator.transfers[charge["transfer"]]
    stripe_emulator.add_fault(f"/v1/transfers/{transfer['id']}/reversals", "error_500", method="POST")
    refund = refunds.refund(order, Decimal("40.00"))  # its reversal failed: owed
    stripe_emulator.add_fault(f"/v1/transfers/{transfer['id']}/reversals", "timeout_after_success", "GET", 2, 2.0)
    at_once([lambda: refunds.take_back(refund.pk), lambda: refunds.retry_failed_refunds()])
    refund.refresh_from_db()
    assert (len(transfer["reversals"]["data"]), transfer["amount_reversed"]) == (1, 4000)
    assert refund.taken_back == Decimal("40.00")


def test_two_givers_at_once_return_a_failed_refund_once(madrid, stripe_emulator, client):
    order = paid_keeping_the_fee(madrid, stripe_emulator, client)
    refund = refunds.refund(order, Decimal("40.00"))
    stripe_emulator.add_fault("/v1/transfers", "error_500", method="POST")
    stripe_emulator.settle_refund(refund.stripe_refund_id, succeeded=False)
    assert stripe_emulator.drain(timeout=10)
    stripe_emulator.add_fault("/v1/transfers", "timeout_after_success", "GET", 2, 2.0)
    at_once([lambda: refunds.give_back(refund.pk), lambda: refunds.retry_failed_refunds()])
    refund.refresh_from_db()
    (returned,) = [t for t in stripe_emulator.transfers.values() if t["transfer_group"]]
    assert (refund.returned_transfer_id, returned["amount"]) == (returned["id"], 4000)


def test_the_last_cent_of_a_transfer_is_taken_back_too(madrid, stripe_emulator, client):
    order = paid_keeping_the_fee(madrid, stripe_emulator, client)
    (charge,) = stripe_emulator.charges.values()
    transfer = stripe_emulator.transfers[charge["transfer"]]  # 90.00
    first, last = refunds.refund(order, Decimal("89.99")), refunds.refund(order, Decimal("0.01"))
    first.refresh_from_db(), last.refresh_from_db()
    assert (first.taken_back, last.taken_back, transfer["amount_reversed"]) == (Decimal("89.99"), Decimal("0.01"), 9000)


def paid_connected(madrid, stripe_emulator, client, **fees):
    organizer, team = madrid
    onboard(team, organizer, stripe_emulator)
    PayoutAccount.objects.filter(organizer=organizer).update(**fees)
    event = make_event("Paid day", organizer=organizer, tickets=[("Standard", "100.00")], currency="EUR", capacity=10)
    stripe_emulator.pay(checkout_session_id(register(client, event)))
    assert stripe_emulator.drain(timeout=10)
    order = latest_order()
    (charge,) = stripe_emulator.charges.values()
    return order, stripe_emulator.transfers[charge["transfer"]]


@pytest.mark.parametrize(
    "fees",
    [{"fee_percent": 0, "fee_fixed": 0, "refund_fee": False}, {"fee_percent": 10, "fee_fixed": 0, "refund_fee": True}],
)
def test_a_refund_stripe_reverses_in_proportion_is_never_taken_back_again(madrid, stripe_emulator, client, fees):
    """No fee, or a fee given back with the refund: Stripe's own reverse_transfer takes the
    organizer's share; the periodic retry finds nothing owed."""
    order, transfer = paid_connected(madrid, stripe_emulator, client, **fees)
    refund = refunds.refund(order, Decimal("30.00"))
    assert refunds.retry_failed_refunds() == []
    refund.refresh_from_db()
    assert refund.taken_back is None and len(transfer["reversals"]["data"]) == 1


def test_a_refund_made_in_stripes_dashboard_is_not_taken_back_by_us(madrid, stripe_emulator, client):
    """Stripe's dashboard asks itself whether to reverse the transfer."""
    order = paid_keeping_the_fee(madrid, stripe_emulator, client)
    stripe_emulator.dashboard_refund(order.stripe_payment_intent_id, amount=3000)
    assert stripe_emulator.drain(timeout=10)
    assert order.refunds.get().status == "succeeded"
    assert refunds.retry_failed_refunds() == []
    (charge,) = stripe_emulator.charges.values()
    assert stripe_emulator.transfers[charge["transfer"]]["amount_reversed"] == 0


def test_a_failed_reversal_is_retried_whatever_the_size_of_the_fee(madrid, stripe_emulator, client):
    order, transfer = paid_connected(madrid, stripe_emulator, client, fee_percent=0, fee_fixed="1.00", refund_fee=False)
    stripe_emulator.add_fault(f"/v1/transfers/{transfer['id']}/reversals", "error_500", method="POST")
    refund = refunds.refund(order, Decimal("20.00"))
    (retried,) = refunds.retry_failed_refunds()
    assert (retried.pk, retried.taken_back, transfer["amount_reversed"]) == (refund.pk, Decimal("20.00"), 2000)
