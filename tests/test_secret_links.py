"""A link that carries a secret (a ticket, an order, a waitlist offer, Stripe's return with the
Checkout Session id) opens only what it is the key to, is kept by no cache, is told to no other
site, and is written to no log."""

import logging

import pytest
from django.test import Client

from registrations.models import Order, Registration
from tests.factories import make_event
from tests.registration_helpers import checkout_session_id, latest_order, register
from tests.test_url_access import POSTED, secret_requests, world  # noqa: F401  (the fixture)

# Stripe's return: the session id alone is no key to the order


@pytest.fixture
def paid_event():
    return make_event("Paid workshop", tickets=[("Standard", "80.00")], currency="USD", capacity=10)


@pytest.mark.django_db(transaction=True)
def test_stripes_return_opens_the_order_page_in_the_browser_that_placed_the_order(client, stripe_emulator, paid_event):
    session_id = checkout_session_id(register(client, paid_event))
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    response = client.get(f"/checkout/success/?session_id={session_id}")
    assert response.status_code == 302 and response["Location"] == f"/orders/{latest_order().token}/"


@pytest.mark.django_db(transaction=True)
def test_a_paid_session_id_in_another_browser_shows_thanks_and_no_ticket(client, stripe_emulator, paid_event):
    session_id = checkout_session_id(register(client, paid_event))
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    order = latest_order()
    response = Client().get(f"/checkout/success/?session_id={session_id}")
    page = response.content.decode()
    assert response.status_code == 200 and "Thank you" in page and "email" in page
    assert order.token not in page and "Attendee 0" not in page
    for secret in order.registrations.values_list("ticket_secret", flat=True):
        assert secret not in page


@pytest.mark.django_db(transaction=True)
def test_an_unpaid_session_id_in_another_browser_leads_to_nothing(client, stripe_emulator, paid_event):
    session_id = checkout_session_id(register(client, paid_event))
    order = latest_order()
    response = Client().get(f"/checkout/success/?session_id={session_id}")
    page = response.content.decode()
    assert response.status_code == 200 and "not received" in page
    assert order.token not in page and "/orders/" not in page
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


# Headers of every page behind a secret link


SHARED_BY_DESIGN = {"registrations:certificate_verify"}  # a certificate's code is shown to whoever checks it


def test_every_secret_link_is_kept_by_no_cache_and_told_to_no_other_site(world):  # noqa: F811
    client = Client()
    checked = []
    for name, (pattern, secret, status) in secret_requests(world).items():
        if name in SHARED_BY_DESIGN:
            continue
        method = client.post if name in POSTED else client.get
        response = method(pattern.format(secret))
        assert response.status_code == status, (name, response.status_code)
        directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
        assert {"private", "no-store"} <= directives, (name, response.get("Cache-Control"))
        assert response.get("Referrer-Policy") == "same-origin", name
        checked.append(name)
    assert "registrations:ticket" in checked and "registrations:checkout_success" in checked
    assert "registrations:order" in checked and "registrations:waitlist_claim" in checked


# Logs


@pytest.fixture
def every_log_at_debug(caplog):
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.mark.django_db(transaction=True)
def test_no_key_to_an_order_or_ticket_is_written_to_any_log(client, stripe_emulator, paid_event, every_log_at_debug):
    session_id = checkout_session_id(register(client, paid_event, quantity=2))
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    order_page = client.get(f"/checkout/success/?session_id={session_id}")["Location"]
    Client().get(f"/checkout/success/?session_id={session_id}")
    order = latest_order()
    assert client.get(order_page).status_code == 200
    secrets = list(order.registrations.values_list("ticket_secret", flat=True))
    for secret in secrets:
        assert client.get(f"/tickets/{secret}/").status_code == 200
        assert client.get(f"/tickets/{secret}/qr.png").status_code == 200
    # Mistyped links (one character off a real one) are 404s, which Django logs with their address.
    assert client.get(f"/tickets/{secrets[0][:-1]}/").status_code == 404
    assert client.get(f"/orders/{order.token[:-1]}/").status_code == 404
    assert client.get(f"/tickets/{secrets[1][:-1]}/qr.png").status_code == 404
    # A form posted without its CSRF token: Django logs the refusal with the address.
    refused = Client(enforce_csrf_checks=True).post(f"/tickets/{secrets[1]}/cancel/", {"confirm": "yes"})
    assert refused.status_code == 403

    assert order.registrations.filter(status=Registration.Status.CONFIRMED).count() == 2
    logged = "\n".join(record.getMessage() for record in every_log_at_debug.records)
    assert "Not Found" in logged and "CSRF" in logged, "nothing was logged: the check would prove nothing"
    for key in (session_id, order.token, order.token[:-1], *secrets, secrets[0][:-1], secrets[1][:-1]):
        assert key not in logged, key
