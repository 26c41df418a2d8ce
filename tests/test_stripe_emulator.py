"""The Stripe emulator (registrations/stripe_emulator), driven by the real stripe client.

If these pass, the app's payment tests can trust what the emulator answers and
the webhooks it signs.
"""

import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from registrations.stripe_emulator import StripeEmulator

SECRET = "whsec_emulator_tests"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Receiver:
    """A webhook endpoint that records requests and answers scripted statuses."""

    def __init__(self):
        self.requests = []
        self.statuses = []  # answered in turn, then 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append((self.headers["Stripe-Signature"], body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe/webhook/"

    def wait_for(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.requests) >= count, f"only {len(self.requests)} webhooks"
        return self.requests

    def events(self):
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver():
    receiver = Receiver()
    threading.Thread(target=receiver.server.serve_forever, args=(0.05,), daemon=True).start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def emulator(receiver):
    with StripeEmulator(webhook_url=receiver.url, webhook_secret=SECRET, retry_delays=(0.05, 0.1)) as emulator:
        yield emulator


@pytest.fixture
def client(emulator):
    return make_client(emulator)


def make_client(emulator, **options):
    options.setdefault("max_network_retries", 0)
    return stripe.StripeClient("sk_test_emulator", base_addresses={"api": emulator.base_url}, **options)


def session_params(**overrides):
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "usd", "unit_amount": 12000, "product_data": {"name": "Conference ticket"}},
                "quantity": 2,
            }
        ],
        "success_url": "http://shop.test/paid/?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cancelled/",
        "expires_at": int(time.time()) + 3600,
        "metadata": {"order_id": "12"},
        "client_reference_id": "order-12",
        "customer_email": "ada@example.com",
        "payment_intent_data": {"metadata": {"order_id": "12"}},
    }
    return {**params, **overrides}


def control(emulator, path, body=None, method="POST"):
    """Call a /_emulator/ control endpoint over HTTP; returns (status, JSON)."""
    data = None if method == "GET" else json.dumps(body or {}).encode()
    request = urllib.request.Request(emulator.base_url + path, data, method=method)
    try:
        with NO_PROXY.open(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def page(emulator, method, session_id):
    """GET or POST the hosted checkout page without following redirects."""
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=5)
    connection.request(method, f"/pay/{session_id}")
    response = connection.getresponse()
    result = response.status, response.getheader("Location"), response.read().decode()
    connection.close()
    return result


def paid_session(client, emulator):
    session = client.v1.checkout.sessions.create(params=session_params())
    status, paid = control(emulator, f"/_emulator/pay/{session.id}")
    assert status == 200
    return paid


def test_create_retrieve_and_expire_session(client, emulator, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_total, session.currency) == (24000, "usd")
    assert session.url == f"{emulator.base_url}/pay/{session.id}"
    assert session.metadata["order_id"] == "12"
    assert session.client_reference_id == "order-12"
    assert session.payment_intent is None and session.livemode is False
    assert client.v1.checkout.sessions.retrieve(session.id).id == session.id

    expired = client.v1.checkout.sessions.expire(session.id)

    assert expired.status == "expired"
    assert control(emulator, f"/_emulator/sessions/{session.id}", method="GET")[1]["status"] == "expired"
    event = json.loads(receiver.wait_for(1)[0][1])
    assert event["type"] == "checkout.session.expired"
    assert event["data"]["object"]["id"] == session.id
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert missing.value.http_status == 404


def test_unknown_parameter_is_rejected(client, emulator):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.create(params=session_params(colour="red"))

    assert (error.value.param, error.value.code) == ("colour", "parameter_unknown")
    assert "Received unknown parameter: colour" in str(error.value)
    assert emulator.sessions == {}


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (
            lambda c, _: c.v1.checkout.sessions.create(
                params=session_params(line_items=[{**line_item()[0], "colour": "red"}])
            ),
            "line_items[0][colour]",
        ),
        (
            lambda c, _: c.v1.checkout.sessions.create(
                params=session_params(
                    line_items=[{"price_data": {**line_item()[0]["price_data"], "amount": 5}, "quantity": 1}]
                )
            ),
            "line_items[0][price_data][amount]",
        ),
        (
            lambda c, _: c.v1.checkout.sessions.create(params=session_params(payment_intent_data={"colour": "red"})),
            "payment_intent_data[colour]",
        ),
        (lambda c, s: c.v1.checkout.sessions.retrieve(s, params={"colour": "red"}), "colour"),
        (lambda c, s: c.v1.checkout.sessions.list(params={"payment_intnt": "pi_1"}), "payment_intnt"),
        (lambda c, s: c.v1.refunds.list(params={"order": "1"}), "order"),
    ],
)
def test_unknown_nested_and_query_parameters_are_rejected(client, emulator, call, param):
    session = client.v1.checkout.sessions.create(params=session_params())
    with pytest.raises(stripe.InvalidRequestError) as error:
        call(client, session.id)
    assert (error.value.http_status, error.value.code, error.value.param) == (400, "parameter_unknown", param)


@pytest.mark.parametrize(
    ("currency", "unit_amount", "code"),
    [
        ("usd", 50, None),
        ("usd", 49, "amount_too_small"),
        ("eur", 49, "amount_too_small"),
        ("gbp", 30, None),
        ("gbp", 29, "amount_too_small"),
        ("jpy", 50, None),
        ("jpy", 49, "amount_too_small"),
        ("kwd", 1230, None),
        ("kwd", 1235, "invalid_amount"),  # three decimals, the last one zero
        ("isk", 150000, None),
        ("isk", 150050, "invalid_amount"),  # whole krónur in two decimals
        ("usd", 100_000_000, "amount_too_large"),
        ("xts", 500, None),  # not a currency Stripe takes
        ("ves", 500, None),
    ],
)
def test_currencies_and_amounts_stripe_refuses_are_refused(client, emulator, currency, unit_amount, code):
    params = session_params(line_items=line_item(currency=currency, unit_amount=unit_amount))
    if code is None and currency in ("xts", "ves"):
        with pytest.raises(stripe.InvalidRequestError) as error:
            client.v1.checkout.sessions.create(params=params)
        assert error.value.param == "line_items[0][price_data][currency]"
        assert "Invalid currency" in str(error.value)
    elif code is None:
        assert client.v1.checkout.sessions.create(params=params).amount_total == unit_amount
    else:
        with pytest.raises(stripe.InvalidRequestError) as error:
            client.v1.checkout.sessions.create(params=params)
        assert error.value.code == code
    assert len(emulator.sessions) == (1 if code is None and currency not in ("xts", "ves") else 0)


def line_item(currency="usd", unit_amount=500, quantity=1):
    price = {"currency": currency, "unit_amount": unit_amount}
    price["product_data"] = {"name": "Item"}
    return [{"price_data": price, "quantity": quantity}]


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"expires_at": int(time.time()) + 600}, "expires_at"),
        ({"expires_at": int(time.time()) + 2 * 86400}, "expires_at"),
        ({"line_items": line_item(currency="USD")}, "line_items[0][price_data][currency]"),
        ({"line_items": line_item(currency="xts")}, "line_items[0][price_data][currency]"),
        ({"line_items": line_item(unit_amount=-1)}, "line_items[0][price_data][unit_amount]"),
        ({"line_items": line_item(quantity=0)}, "line_items[0][quantity]"),
        ({"line_items": line_item(quantity=1000)}, "line_items[0][quantity]"),
        ({"line_items": None}, "line_items"),
        ({"mode": None}, "mode"),
        ({"success_url": None}, "success_url"),
    ],
)
def test_invalid_session_params_are_rejected(client, overrides, param):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.create(params=session_params(**overrides))

    assert error.value.http_status == 400
    assert error.value.param == param


def test_wrong_api_key_is_an_authentication_error(emulator):
    client = stripe.StripeClient("sk_live_oops", base_addresses={"api": emulator.base_url})

    with pytest.raises(stripe.AuthenticationError):
        client.v1.checkout.sessions.create(params=session_params())


def test_idempotent_replay_returns_the_same_session(client, emulator):
    options = {"idempotency_key": "checkout-12-1"}
    params = session_params()

    first = client.v1.checkout.sessions.create(params=params, options=options)
    again = client.v1.checkout.sessions.create(params=params, options=options)

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert list(emulator.sessions) == [first.id]


def test_idempotency_key_reuse_with_other_params_fails(client, emulator):
    options = {"idempotency_key": "checkout-12-1"}
    params = session_params()
    client.v1.checkout.sessions.create(params=params, options=options)

    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(params={**params, "client_reference_id": "order-13"}, options=options)
    assert len(emulator.sessions) == 1


def test_payment_sends_a_correctly_signed_completed_webhook(client, emulator, receiver):
    paid = paid_session(client, emulator)

    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert paid["customer_details"]["email"] == "ada@example.com"
    intent = client.v1.payment_intents.retrieve(paid["payment_intent"])
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", 24000, "usd")
    assert intent.metadata["order_id"] == "12"
    assert intent.latest_charge in emulator.charges
    listed = client.v1.checkout.sessions.list(params={"payment_intent": intent.id})
    assert [s.id for s in listed.data] == [paid["id"]]

    header, payload = receiver.wait_for(1)[0]
    event = stripe.Webhook.construct_event(payload, header, SECRET)
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == paid["id"]
    assert event.data.object.payment_intent == intent.id
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_someone_else")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.replace(b"12", b"13"), header, SECRET)


def test_completed_session_cannot_be_expired_or_paid_again(client, emulator):
    paid = paid_session(client, emulator)

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.expire(paid["id"])
    assert 'status in ["open"]' in str(error.value)
    status, body = control(emulator, f"/_emulator/pay/{paid['id']}")
    assert status == 400 and "cannot be paid" in body["error"]["message"]
    assert len(emulator.payment_intents) == 1


def test_partial_full_and_over_refunds(client, emulator, receiver):
    intent_id = paid_session(client, emulator)["payment_intent"]

    partial = client.v1.refunds.create(
        params={"payment_intent": intent_id, "amount": 500, "metadata": {"n": "1"}},
        options={"idempotency_key": "refund-12-1"},
    )
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 23501})
    rest = client.v1.refunds.create(params={"payment_intent": intent_id})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": intent_id})

    assert (partial.amount, partial.status, partial.metadata["n"]) == (500, "succeeded", "1")
    assert too_much.value.param == "amount"
    assert rest.amount == 23500
    assert again.value.code == "charge_already_refunded"
    assert client.v1.refunds.retrieve(partial.id).amount == 500
    charge = client.v1.charges.retrieve(rest.charge)
    assert (charge.amount_refunded, charge.refunded) == (24000, True)
    receiver.wait_for(5)
    types = [event["type"] for event in receiver.events()]
    assert types[1:] == ["charge.refunded", "refund.created"] * 2


def test_dashboard_refund_sends_the_same_webhooks(client, emulator, receiver):
    intent_id = paid_session(client, emulator)["payment_intent"]

    status, refund = control(emulator, "/_emulator/dashboard_refund", {"payment_intent": intent_id, "amount": 700})

    assert status == 200 and refund["amount"] == 700
    receiver.wait_for(3)
    charge_event, refund_event = receiver.events()[1:]
    assert charge_event["type"] == "charge.refunded"
    assert charge_event["data"]["object"]["amount_refunded"] == 700
    assert refund_event["type"] == "refund.created"
    assert refund_event["data"]["object"]["id"] == refund["id"]
    assert refund_event["request"]["id"] is None  # not made through the API
    status, _ = control(emulator, "/_emulator/dashboard_refund", {"payment_intent": intent_id, "amount": 10**6})
    assert status == 400


def test_an_injected_500_is_replayed_under_its_key_and_a_new_key_goes_through(client, emulator):
    """As at Stripe: the first answer to an idempotency key is replayed, errors included."""
    fault = {"path": "/v1/checkout/sessions", "method": "POST", "mode": "error_500"}
    assert control(emulator, "/_emulator/faults", fault)[0] == 200
    params = session_params()

    with pytest.raises(stripe.APIError):
        client.v1.checkout.sessions.create(params=params, options={"idempotency_key": "checkout-12-1"})
    with pytest.raises(stripe.APIError) as replayed:
        client.v1.checkout.sessions.create(params=params, options={"idempotency_key": "checkout-12-1"})
    assert replayed.value.headers["Idempotent-Replayed"] == "true"
    assert emulator.sessions == {}
    session = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": "checkout-12-2"})

    assert list(emulator.sessions) == [session.id]


def test_a_refused_refund_is_replayed_under_its_key(client, emulator):
    intent_id = paid_session(client, emulator)["payment_intent"]
    client.v1.refunds.create(params={"payment_intent": intent_id})
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.refunds.create(params={"payment_intent": intent_id}, options={"idempotency_key": "refund-12-2"})
        assert refused.value.code == "charge_already_refunded"
    assert refused.value.headers["Idempotent-Replayed"] == "true"


def test_a_request_refused_by_validation_saves_nothing_under_its_key(client, emulator):
    options = {"idempotency_key": "checkout-12-1"}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.create(params=session_params(colour="red"), options=options)
    session = client.v1.checkout.sessions.create(params=session_params(), options=options)
    assert list(emulator.sessions) == [session.id]


def test_injected_rate_limit(client, emulator):
    emulator.add_fault("/v1/checkout/sessions/*", "rate_limit_429", method="GET")
    session = client.v1.checkout.sessions.create(params=session_params())

    with pytest.raises(stripe.RateLimitError):
        client.v1.checkout.sessions.retrieve(session.id)
    assert client.v1.checkout.sessions.retrieve(session.id).id == session.id


def test_injected_timeout_is_a_connection_error(emulator):
    client = make_client(emulator, http_client=stripe.RequestsClient(timeout=0.5))
    fault = {"path": "/v1/checkout/sessions", "mode": "timeout", "seconds": 1.5}
    control(emulator, "/_emulator/faults", fault)

    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        client.v1.checkout.sessions.create(params=session_params())

    assert time.monotonic() - started < 1.4
    assert emulator.sessions == {}


def test_lost_response_is_recovered_by_retrying_with_the_same_key(emulator):
    client = make_client(emulator, http_client=stripe.RequestsClient(timeout=0.3))
    emulator.add_fault("/v1/checkout/sessions", "timeout_after_success", seconds=1)
    options = {"idempotency_key": "checkout-12-1"}
    params = session_params()

    with pytest.raises(stripe.APIConnectionError):
        client.v1.checkout.sessions.create(params=params, options=options)
    session = client.v1.checkout.sessions.create(params=params, options=options)

    assert list(emulator.sessions) == [session.id]


def test_duplicate_webhooks(client, emulator, receiver):
    control(emulator, "/_emulator/faults", {"webhooks": "duplicate", "times": 3})

    paid_session(client, emulator)

    events = [json.loads(body) for _, body in receiver.wait_for(3)]
    assert emulator.drain()
    assert len({event["id"] for event in events}) == 1
    assert len(receiver.requests) == 3
    assert [d["ok"] for d in emulator.deliveries()] == [True] * 3


def test_held_webhooks_are_flushed_in_reverse_order(client, emulator, receiver):
    control(emulator, "/_emulator/faults", {"webhooks": "hold"})
    first = client.v1.checkout.sessions.create(params=session_params())
    second = client.v1.checkout.sessions.create(params=session_params())
    client.v1.checkout.sessions.expire(first.id)
    client.v1.checkout.sessions.expire(second.id)
    time.sleep(0.1)
    assert receiver.requests == []

    status, flushed = control(emulator, "/_emulator/webhooks/flush", {"order": "reverse"})

    assert status == 200 and len(flushed["delivered"]) == 2
    receiver.wait_for(2)
    ids = [event["data"]["object"]["id"] for event in receiver.events()]
    assert ids == [second.id, first.id]


def test_dropped_webhooks_are_recorded_but_not_sent(client, emulator, receiver):
    emulator.set_webhook_mode("drop")

    paid_session(client, emulator)

    assert emulator.drain()
    assert receiver.requests == []
    (delivery,) = control(emulator, "/_emulator/deliveries", method="GET")[1]
    assert delivery["type"] == "checkout.session.completed"
    assert delivery["error"] == "dropped by fault"


def test_failed_deliveries_are_retried_and_recorded(client, emulator, receiver):
    receiver.statuses = [500, 503]

    paid_session(client, emulator)

    assert emulator.drain()
    attempts = [(d["attempt"], d["status_code"]) for d in emulator.deliveries()]
    assert attempts == [(1, 500), (2, 503), (3, 200)]
    emulator.webhook_url = "http://127.0.0.1:9/unreachable"
    emulator.resend_event(emulator.deliveries()[0]["event_id"])
    assert emulator.drain()
    unreachable = emulator.deliveries()[3:]
    assert [d["status_code"] for d in unreachable] == [None] * 3
    assert all(d["error"] for d in unreachable)


def test_old_timestamp_fails_the_tolerance_check(emulator, receiver):
    body = {
        "type": "checkout.session.completed",
        "object": {"id": "cs_test_old", "object": "checkout.session"},
        "timestamp": int(time.time()) - 600,
    }

    status, sent = control(emulator, "/_emulator/webhooks/send_raw", body)

    assert status == 200 and sent["status_code"] == 200
    header, payload = receiver.wait_for(1)[0]
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(payload, header, SECRET)
    event = stripe.Webhook.construct_event(payload, header, SECRET, tolerance=900)
    assert event.id == sent["event_id"]
    emulator.send_raw("charge.refunded", {}, secret="whsec_forged")
    header, payload = receiver.wait_for(2)[1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, SECRET)


@pytest.mark.parametrize(
    ("currency", "unit_amount", "quantity", "expected"),
    [("jpy", 5000, 1, "¥5,000 JPY"), ("usd", 12000, 2, "$120.00 USD")],
)
def test_hosted_page_shows_the_order(client, emulator, currency, unit_amount, quantity, expected):
    items = line_item(currency=currency, unit_amount=unit_amount, quantity=quantity)
    session = client.v1.checkout.sessions.create(params=session_params(line_items=items))

    status, _, html = page(emulator, "GET", session.id)

    assert status == 200
    assert "Stripe test emulator — no real payment" in html
    assert expected in html
    assert f'action="/pay/{session.id}"' in html
    assert 'href="http://shop.test/cancelled/"' in html


def test_hosted_page_pays_once_and_redirects(client, emulator, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())

    status, location, _ = page(emulator, "POST", session.id)

    assert status == 303
    assert location == f"http://shop.test/paid/?session={session.id}"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "complete"
    status, _, html = page(emulator, "POST", session.id)
    assert status == 409 and "No payment was made" in html
    assert len(emulator.payment_intents) == 1
    assert page(emulator, "GET", "cs_test_unknown")[0] == 404


def test_overdue_sessions_expire_on_access_or_on_request(client, emulator, receiver):
    first = client.v1.checkout.sessions.create(params=session_params())
    second = client.v1.checkout.sessions.create(params=session_params())
    for session_id in (first.id, second.id):
        emulator.sessions[session_id]["expires_at"] = int(time.time()) - 1

    assert client.v1.checkout.sessions.retrieve(first.id).status == "expired"
    status, result = control(emulator, "/_emulator/expire_due")

    assert status == 200 and result["expired"] == [second.id]
    receiver.wait_for(2)
    assert [e["type"] for e in receiver.events()] == ["checkout.session.expired"] * 2
    assert page(emulator, "POST", first.id)[0] == 409


def test_fifty_concurrent_clients(client, emulator):
    def checkout(n):
        options = {"idempotency_key": f"checkout-{n}-1"}
        params = session_params(metadata={"order_id": str(n)})
        session = client.v1.checkout.sessions.create(params=params, options=options)
        status, paid = control(emulator, f"/_emulator/pay/{session.id}")
        return status, paid["id"]

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(checkout, range(50)))

    assert {status for status, _ in results} == {200}
    assert len({session_id for _, session_id in results}) == 50
    assert all(s["status"] == "complete" for s in emulator.sessions.values())


def test_config_changes_the_webhook_secret_and_drain_waits(client, emulator, receiver):
    assert control(emulator, "/_emulator/config", {"webhook_secret": "whsec_rotated"})[0] == 200

    paid_session(client, emulator)

    assert control(emulator, "/_emulator/webhooks/drain", {"timeout": 5})[1] == {"drained": True}
    header, payload = receiver.requests[0]
    assert stripe.Webhook.construct_event(payload, header, "whsec_rotated").type == "checkout.session.completed"
    assert control(emulator, "/_emulator/faults", {"path": "/v1/refunds", "mode": "explode"})[0] == 400
    assert control(emulator, "/_emulator/faults", {"webhooks": "duplicate", "times": "x"})[0] == 400


def test_reset_forgets_everything(client, emulator):
    paid_session(client, emulator)
    emulator.add_fault("/v1/checkout/sessions", "error_500")

    assert control(emulator, "/_emulator/reset")[0] == 200

    assert emulator.sessions == {} and emulator.payment_intents == {}
    assert client.v1.checkout.sessions.create(params=session_params()).status == "open"


def test_charges_carry_their_refunds_only_when_asked(client, emulator):
    intent_id = paid_session(client, emulator)["payment_intent"]
    refund = client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 500})

    charge = client.v1.charges.retrieve(refund.charge)
    assert "refunds" not in charge and charge.amount_refunded == 500
    expanded = client.v1.charges.retrieve(refund.charge, params={"expand": ["refunds"]})
    assert [r.id for r in expanded.refunds.data] == [refund.id]


def test_a_declined_card_pays_nothing(client, emulator, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())

    status, body = control(emulator, f"/_emulator/pay/{session.id}", {"card": "4000000000000002"})

    assert status == 402
    assert (body["error"]["type"], body["error"]["code"]) == ("card_error", "card_declined")
    assert body["error"]["decline_code"] == "generic_decline"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert emulator.charges == {} and emulator.payment_intents == {}
    status, html = emulator.checkout_page(session.id)
    assert status == 200 and "4000000000000002 is declined" in html


@pytest.mark.parametrize("succeeded", [True, False])
def test_a_delayed_payment_completes_unpaid_then_settles(client, emulator, receiver, succeeded):
    session = client.v1.checkout.sessions.create(params=session_params())
    status, completed = control(emulator, f"/_emulator/pay/{session.id}", {"method": "delayed"})
    assert status == 200
    assert (completed["status"], completed["payment_status"]) == ("complete", "unpaid")
    intent = client.v1.payment_intents.retrieve(completed["payment_intent"])
    assert (intent.status, intent.amount_received) == ("processing", 0)
    with pytest.raises(stripe.InvalidRequestError) as early:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    assert early.value.code == "charge_not_refundable"

    status, settled = control(emulator, f"/_emulator/settle/{session.id}", {"succeeded": succeeded})

    assert status == 200
    assert settled["payment_status"] == ("paid" if succeeded else "unpaid")
    intent = client.v1.payment_intents.retrieve(intent.id)
    assert intent.status == ("succeeded" if succeeded else "requires_payment_method")
    receiver.wait_for(2)
    assert [e["type"] for e in receiver.events()] == [
        "checkout.session.completed",
        f"checkout.session.async_payment_{'succeeded' if succeeded else 'failed'}",
    ]
    assert control(emulator, f"/_emulator/settle/{session.id}", {})[0] == 400  # only once


@pytest.mark.parametrize("succeeded", [True, False])
def test_a_pending_refund_succeeds_or_fails_later_with_its_events(client, emulator, receiver, succeeded):
    intent_id = paid_session(client, emulator)["payment_intent"]
    assert control(emulator, "/_emulator/refunds/mode", {"mode": "pending"})[0] == 200
    refund = client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 1000})
    assert refund.status == "pending"
    assert client.v1.charges.retrieve(refund.charge).amount_refunded == 1000

    status, settled = control(emulator, f"/_emulator/refunds/settle/{refund.id}", {"succeeded": succeeded})

    assert status == 200
    refund = client.v1.refunds.retrieve(refund.id)
    assert refund.status == ("succeeded" if succeeded else "failed")
    assert refund.failure_reason == (None if succeeded else "expired_or_canceled_card")
    assert client.v1.charges.retrieve(refund.charge).amount_refunded == (1000 if succeeded else 0)
    expected = ["refund.updated", "charge.refund.updated"] + ([] if succeeded else ["refund.failed"])
    receiver.wait_for(3 + len(expected))
    assert [e["type"] for e in receiver.events()][3:] == expected
    assert control(emulator, f"/_emulator/refunds/settle/{refund.id}", {})[0] == 400


# Connect: connected accounts, hosted onboarding, destination charges, refunds that take back the transfer


def onboarding(emulator, method, url):
    """GET or POST an onboarding link's page without following redirects."""
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=5)
    connection.request(method, urllib.parse.urlsplit(url).path)
    response = connection.getresponse()
    result = response.status, response.getheader("Location"), response.read().decode()
    connection.close()
    return result


def connected_account(client, emulator, onboarded=True):
    account = client.v1.accounts.create(params={"type": "express", "country": "ES", "email": "madrid@example.com"})
    if onboarded:
        emulator.complete_onboarding(account.id)
    return account


def test_an_account_is_onboarded_through_its_link_once(client, emulator, receiver):
    account = connected_account(client, emulator, onboarded=False)
    assert (account.charges_enabled, account.details_submitted, account.country) == (False, False, "ES")
    assert account.requirements.currently_due
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "http://shop.test/payouts/refresh/",
            "return_url": "http://shop.test/payouts/return/",
        }
    )
    assert link.expires_at > time.time() and link.url.startswith(emulator.base_url)
    status, _, html = onboarding(emulator, "GET", link.url)
    assert status == 200 and account.id in html and "test emulator" in html
    assert onboarding(emulator, "POST", link.url)[:2] == (303, "http://shop.test/payouts/return/")
    assert onboarding(emulator, "GET", link.url)[:2] == (303, "http://shop.test/payouts/refresh/")  # used
    done = client.v1.accounts.retrieve(account.id)
    assert (done.charges_enabled, done.payouts_enabled, done.requirements.currently_due) == (True, True, [])
    event = receiver.wait_for(1) and receiver.events()[-1]
    assert (event["type"], event["account"], event["data"]["object"]["id"]) == (
        "account.updated",
        account.id,
        account.id,
    )


@pytest.mark.parametrize(
    "params,param",
    [
        ({"country": "ES"}, "type"),
        ({"type": "premium"}, "type"),
        ({"type": "express", "country": "Spain"}, "country"),
        ({"type": "express", "colour": "blue"}, "colour"),
    ],
)
def test_bad_accounts_are_refused(client, params, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.accounts.create(params=params)
    assert refused.value.param == param


def test_bad_account_links_are_refused(client, emulator):
    account = connected_account(client, emulator, onboarded=False)
    good = {
        "account": account.id,
        "type": "account_onboarding",
        "refresh_url": "http://a.test/",
        "return_url": "http://a.test/",
    }
    for change, param in [
        ({"account": "acct_nope"}, "account"),
        ({"type": "login"}, "type"),
        ({"return_url": "nope"}, "return_url"),
    ]:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.account_links.create(params={**good, **change})
        assert refused.value.param == param


def destination_session(client, account_id, fee=2400, **intent):
    data = {"metadata": {"order_id": "12"}, "transfer_data": {"destination": account_id}, **intent}
    if fee is not None:
        data["application_fee_amount"] = fee
    return client.v1.checkout.sessions.create(params=session_params(payment_intent_data=data))


def test_a_destination_charge_pays_the_account_less_the_platforms_fee(client, emulator):
    account = connected_account(client, emulator)
    session = destination_session(client, account.id)
    paid = control(emulator, f"/_emulator/pay/{session.id}")[1]
    intent = client.v1.payment_intents.retrieve(paid["payment_intent"])
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (intent.application_fee_amount, intent.transfer_data.destination) == (2400, account.id)
    assert (charge.application_fee_amount, charge.transfer_data.destination) == (2400, account.id)
    transfer = client.v1.transfers.retrieve(charge.transfer)
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (transfer.amount, transfer.destination, transfer.amount_reversed) == (24000 - 2400, account.id, 0)
    assert (fee.amount, fee.account, fee.amount_refunded) == (2400, account.id, 0)


def test_destination_charges_stripe_refuses_are_refused(client, emulator):
    pending = connected_account(client, emulator, onboarded=False)
    ready = connected_account(client, emulator)
    param = "payment_intent_data[transfer_data][destination]"
    for account_id, code in [("acct_nope", "resource_missing"), (pending.id, "insufficient_capabilities_for_transfer")]:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            destination_session(client, account_id)
        assert (refused.value.param, refused.value.code) == (param, code)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        destination_session(client, ready.id, fee=24001)
    assert refused.value.param == "payment_intent_data[application_fee_amount]"
    with pytest.raises(stripe.InvalidRequestError) as refused:  # a fee needs a destination
        client.v1.checkout.sessions.create(params=session_params(payment_intent_data={"application_fee_amount": 100}))
    assert refused.value.param == "payment_intent_data[application_fee_amount]"


def test_refunds_take_back_the_transfer_and_the_fee_in_proportion(client, emulator):
    account = connected_account(client, emulator)
    paid = control(emulator, f"/_emulator/pay/{destination_session(client, account.id, fee=2401).id}")[1]
    intent = paid["payment_intent"]
    charge = client.v1.charges.retrieve(client.v1.payment_intents.retrieve(intent).latest_charge)
    quarter = client.v1.refunds.create(
        params={"payment_intent": intent, "amount": 6000, "reverse_transfer": True, "refund_application_fee": True}
    )
    assert quarter.transfer_reversal
    transfer, fee = (
        client.v1.transfers.retrieve(charge.transfer),
        client.v1.application_fees.retrieve(charge.application_fee),
    )
    assert (transfer.amount_reversed, fee.amount_refunded) == (5400, 600)  # a quarter of 21599 and of 2401, rounded
    client.v1.refunds.create(
        params={"payment_intent": intent, "reverse_transfer": True, "refund_application_fee": True}
    )
    transfer, fee = (
        client.v1.transfers.retrieve(charge.transfer),
        client.v1.application_fees.retrieve(charge.application_fee),
    )
    assert (transfer.amount_reversed, transfer.reversed, fee.amount_refunded, fee.refunded) == (21599, True, 2401, True)


def test_a_refund_keeps_the_fee_unless_asked_and_reverses_only_destination_charges(client, emulator):
    account = connected_account(client, emulator)
    intent = control(emulator, f"/_emulator/pay/{destination_session(client, account.id).id}")[1]["payment_intent"]
    client.v1.refunds.create(params={"payment_intent": intent, "amount": 12000, "reverse_transfer": True})
    charge = client.v1.charges.retrieve(client.v1.payment_intents.retrieve(intent).latest_charge)
    assert client.v1.application_fees.retrieve(charge.application_fee).amount_refunded == 0
    assert client.v1.transfers.retrieve(charge.transfer).amount_reversed == 10800
    plain = paid_session(client, emulator)["payment_intent"]
    for flag in ("reverse_transfer", "refund_application_fee"):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.refunds.create(params={"payment_intent": plain, flag: True})
        assert refused.value.param == flag
