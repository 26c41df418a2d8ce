"""A stateful Stripe API emulator for tests and local development.

It speaks enough of Stripe's v1 API (Checkout Sessions, PaymentIntents, Charges,
Refunds) for the real ``stripe`` client to talk to it, serves a hosted checkout
page and sends signed webhooks, so the app's payment flow can be tested end to
end without network access. Control endpoints under ``/_emulator/`` let tests
pay sessions, inject faults and reorder webhooks without monkeypatching.

Object shapes: from github.com/stripe/openapi fixtures3.json, MIT licence,
Copyright (c) 2011- Stripe, Inc. (the objects used are copied to fixtures.json).
"""

import base64
import copy
import hashlib
import hmac
import html
import json
import queue
import re
import secrets
import string
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-10-28.endive"  # the version stripe==16.1.0 pins
FIXTURES = json.loads(Path(__file__).with_name("fixtures.json").read_text("utf-8"))

# Fixture values that only make sense as documentation examples (random shipping
# amounts, a cancelled-at date on a live intent, ...) are reset to what a plain
# card payment has.
_CLEAN = {
    "checkout.session": {
        "after_expiration": None,
        "adaptive_pricing": {"enabled": False},
        "collected_information": None,
        "currency_conversion": None,
        "custom_text": dict.fromkeys(("after_submit", "shipping_address", "submit", "terms_of_service_acceptance")),
        "customer_details": None,
        "payment_method_configuration_details": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
    },
    "payment_intent": {
        "canceled_at": None,
        "last_payment_error": None,
        "next_action": None,
        "payment_method_configuration_details": None,
        "processing": None,
        "shipping": None,
        "transfer_data": None,
    },
    "charge": {
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "receipt_url": None,
        "shipping": None,
        "source": None,
        "transfer_data": None,
    },
    "refund": {},
    "event": {},
    "account": {"business_profile": {}, "email": None, "external_accounts": None, "settings": None},
    "account_link": {},
    "application_fee": {"application": None, "balance_transaction": None, "originating_transaction": None},
    "transfer": {"balance_transaction": None, "destination_payment": None, "source_transaction": None},
    "transfer_reversal": {"destination_payment_refund": None},
    "tax_rate": {
        "description": None,
        "flat_amount": None,
        "rate_type": "percentage",
        "jurisdiction": None,
        "state": None,
        "tax_type": None,
    },
}

SESSION_PARAMS = frozenset(
    """adaptive_pricing after_expiration allow_promotion_codes automatic_tax
    billing_address_collection cancel_url client_reference_id consent_collection
    currency custom_fields custom_text customer customer_creation customer_email
    customer_update discounts expand expires_at invoice_creation line_items locale
    metadata mode optional_items origin_context payment_intent_data
    payment_method_collection payment_method_configuration payment_method_data
    payment_method_options payment_method_types permissions phone_number_collection
    redirect_on_completion return_url saved_payment_method_options setup_intent_data
    shipping_address_collection shipping_options submit_type subscription_data
    success_url tax_id_collection ui_mode wallet_options""".split()
)
REFUND_MODES = frozenset(("succeeded", "pending"))
REFUND_REASONS = frozenset(("duplicate", "fraudulent", "requested_by_customer"))
FAULT_MODES = frozenset(("error_500", "rate_limit_429", "timeout", "timeout_after_success"))
WEBHOOK_MODES = frozenset(("normal", "duplicate", "hold", "drop"))
# From docs.stripe.com/currencies: presentment currencies, zero- and three-decimal ones (three-decimal
# amounts must end in 0), ISK (two decimals in the API, always 00), the minimum charge per currency
# (minor units; elsewhere one minor unit here, the equivalent of USD 0.50 at Stripe) and the maximum.
STRIPE_CURRENCIES = frozenset(
    """usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp byn
    bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf
    gtq gyd hkd hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt lak lbp lkr lrd lsl
    mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr
    pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs top try ttd twd
    tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw bhd jod kwd omr tnd""".split()
)
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])
MINIMUM_CHARGE = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
    "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000,
    "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}  # fmt: skip
MAXIMUM_CHARGE = {"idr": 999_999_999_999}
MAXIMUM_CHARGE_DEFAULT = 99_999_999

# The parameters each request accepts, nested as Stripe nests them: a dict is an object (or, for
# a list of objects, each item) whose keys are checked; ANY is a value not looked into (metadata,
# or parts of Stripe's API the app never sends). Anything else → 400 parameter_unknown.
ANY = None
RETRIEVE = {"expand": ANY}
PAGE = {"ending_before": ANY, "expand": ANY, "limit": ANY, "starting_after": ANY, "created": ANY}
LINE_ITEM = {
    "adjustable_quantity": ANY,
    "dynamic_tax_rates": ANY,
    "price": ANY,
    "price_data": {
        "currency": ANY,
        "product": ANY,
        "product_data": {
            "name": ANY,
            "description": ANY,
            "images": ANY,
            "metadata": ANY,
            "tax_code": ANY,
            "unit_label": ANY,
        },
        "recurring": ANY,
        "tax_behavior": ANY,
        "unit_amount": ANY,
        "unit_amount_decimal": ANY,
    },
    "quantity": ANY,
    "tax_rates": ANY,
}
PAYMENT_INTENT_DATA = {
    **dict.fromkeys(
        """application_fee_amount capture_method description metadata on_behalf_of receipt_email
        setup_future_usage shipping statement_descriptor statement_descriptor_suffix transfer_group""".split()
    ),
    "transfer_data": {"amount": ANY, "destination": ANY},
}
# Connect (docs.stripe.com/connect): accounts the platform creates, and the links to Stripe's hosted
# onboarding for them.
ACCOUNT_SCHEMA = dict.fromkeys(
    """business_profile business_type capabilities company controller country default_currency
    email expand external_account individual metadata settings tos_acceptance type""".split()
)
ACCOUNT_TYPES = frozenset(("express", "standard", "custom"))
ACCOUNT_LINK_SCHEMA = dict.fromkeys("account collect collection_options expand refresh_url return_url type".split())
ACCOUNT_LINK_TYPES = frozenset(("account_onboarding", "account_update"))
ACCOUNT_LINK_SECONDS = 300  # a link works once, for a few minutes (Stripe's are as short-lived)
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}
# Stripe's test cards (docs.stripe.com/testing): one that pays, and some that are declined.
SUCCEEDING_CARD = "4242424242424242"
DECLINING_CARDS = {
    "4000000000000002": "generic_decline",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
}
DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
}
SESSION_SCHEMA = {**dict.fromkeys(SESSION_PARAMS), "line_items": LINE_ITEM, "payment_intent_data": PAYMENT_INTENT_DATA}
REFUND_PARAMS = frozenset(
    """amount charge expand instructions_email metadata origin payment_intent reason refund_application_fee
    reverse_transfer""".split()
)
REFUND_SCHEMA = dict.fromkeys(REFUND_PARAMS)
LIST_SESSIONS_SCHEMA = {
    **PAGE,
    **dict.fromkeys("customer customer_details payment_intent payment_link status subscription".split()),
}
LIST_REFUNDS_SCHEMA = {**PAGE, "charge": ANY, "payment_intent": ANY}
# Stripe Tax (automatic_tax): the tax of the buyer's country, where the liable account is registered
# to collect it. The emulator's stand-in for Stripe's tax engine and an account's registrations: the
# standard rate of these countries (elsewhere, as where an account has no registration: no tax).
EMULATED_TAX = {
    "AU": ("GST", "10"), "DE": ("VAT", "19"), "ES": ("VAT", "21"), "FR": ("VAT", "20"), "GB": ("VAT", "20"),
    "IE": ("VAT", "23"), "IT": ("VAT", "22"), "JP": ("JCT", "10"), "NL": ("VAT", "21"), "NZ": ("GST", "15"),
    "PT": ("VAT", "23"),
}  # fmt: skip
TAX_BEHAVIORS = frozenset(("inclusive", "exclusive"))
# Transfers to a connected account (docs.stripe.com/api/transfers/create), and their list's filters.
TRANSFER_SCHEMA = dict.fromkeys(
    "amount currency description destination expand metadata source_transaction source_type transfer_group".split()
)
LIST_TRANSFERS_SCHEMA = {**PAGE, **dict.fromkeys("created destination transfer_group".split())}
REVERSAL_SCHEMA = dict.fromkeys("amount description expand metadata refund_application_fee".split())
# Tax rates (docs.stripe.com/tax/tax-rates): applied to Checkout's line items, percentage-based.
TAX_RATE_SCHEMA = dict.fromkeys(
    "active country description display_name expand inclusive jurisdiction metadata percentage state tax_type".split()
)
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class StripeError(Exception):
    """An error answered in Stripe's ``{"error": {...}}`` shape, which the client maps
    to its exception classes by HTTP status and ``type``."""

    def __init__(
        self,
        message,
        param=None,
        code=None,
        status=400,
        type="invalid_request_error",
        decline_code=None,
        executed=False,
    ):
        super().__init__(message)
        self.status = status
        self.executed = executed  # refused while running, not by validation: saved under the idempotency key
        self.error = {"type": type, "message": message, "param": param, "code": code, "decline_code": decline_code}

    def body(self):
        return {"error": {k: v for k, v in self.error.items() if v is not None}}


def new_id(prefix, length=24):
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def sign(payload, timestamp, secret):
    """Stripe-Signature header value, computed the way Stripe does."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def format_amount(amount, currency):
    """Amounts are in the currency's smallest unit: cents for USD, but yen for JPY."""
    code = currency.lower()
    decimals = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    number = f"{Decimal(amount).scaleb(-decimals):,.{decimals}f}"
    return f"{SYMBOLS.get(code, '')}{number} {code.upper()}"


def decode_form(pairs):
    """Rebuild nested params from the client's bracket encoding (``a[0][b]=1``)."""
    root = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise StripeError(f"Invalid hash: {key}", key)
        node[parts[-1]] = value
    return _listify(root)


def _listify(node, parent=None):
    if not isinstance(node, dict):
        return node
    node = {k: _listify(v, k) for k, v in node.items()}
    if parent != "metadata" and node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


def _check_known(params, schema, path=""):
    """Refuse a parameter Stripe does not know, at any depth, as Stripe does."""
    if schema is ANY:
        return
    items = params if isinstance(params, list) else [params]
    for index, item in enumerate(items):
        here = f"{path}[{index}]" if isinstance(params, list) else path
        if not isinstance(item, dict):
            continue  # a malformed value: the handler says what is wrong with it
        for key, value in item.items():
            name = f"{here}[{key}]" if here else key
            if key not in schema:
                raise StripeError(f"Received unknown parameter: {name}", name, "parameter_unknown")
            _check_known(value, schema[key], name)


def _expand(params):
    value = params.get("expand") or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StripeError("Invalid array: expand", "expand")
    return value


def _int(value, param, low=None, high=None):
    if value is None or value == "":
        raise StripeError(f"Missing required param: {param}.", param)
    if isinstance(value, bool) or not re.fullmatch(r"-?\d+", str(value)):
        raise StripeError(f"Invalid integer: {value}", param)
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise StripeError(f"{param} must be between {low} and {high}, got {number}.", param)
    return number


def _list_object(url, data=()):
    """A list as Stripe nests one in an object (a transfer's reversals, a charge's refunds)."""
    return {"object": "list", "data": list(data), "has_more": False, "url": url}


def _bool(value, param):
    """A boolean parameter, as the client sends it ("true"/"false")."""
    if value in (None, "", "false", False):
        return False
    if value in ("true", True):
        return True
    raise StripeError(f"Invalid boolean: {value}", param)


def _dict(value, param):
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise StripeError(f"Invalid object: {param}", param)
    return value


def _metadata(value, param="metadata"):
    metadata = {k: v for k, v in _dict(value, param).items() if v != ""}
    if len(metadata) > 50:
        raise StripeError("Metadata can have at most 50 keys.", param)
    for key, val in metadata.items():
        if len(key) > 40 or not isinstance(val, str) or len(val) > 500:
            raise StripeError(
                "Metadata keys are at most 40 characters, values strings of at most 500.", f"{param}[{key}]"
            )
    return metadata


def _url(params, name, required=False):
    value = params.get(name)
    if value is None and required:
        raise StripeError(f"Missing required param: {name}.", name)
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"https?://[^\s/]+", value):
        raise StripeError(f"Not a valid URL: {name}", name)
    return value


def _line_tax(amount, rate, currency):
    """A tax rate's tax on a line's amount (unit amount times quantity), rounded half up: within
    the amount when the rate is inclusive, on top of it when not."""
    percentage = Decimal(rate["percentage"])
    share = amount * percentage / (100 + percentage) if rate["inclusive"] else amount * percentage / 100
    step = _amount_step(currency)
    return int((share / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * step


def _line_items(raw, tax_rates):
    if not raw:
        raise StripeError("Missing required param: line_items.", "line_items")
    if not isinstance(raw, list):
        raise StripeError("Invalid array: line_items", "line_items")
    items = []
    for i, item in enumerate(raw):
        p = f"line_items[{i}]"
        item = _dict(item, p)
        if "price" in item:  # no Price objects here: the app sends price_data
            raise StripeError(f"No such price: '{item['price']}'", f"{p}[price]", "resource_missing")
        data = _dict(item.get("price_data"), f"{p}[price_data]")
        currency = data.get("currency")
        if not isinstance(currency, str) or currency not in STRIPE_CURRENCIES:
            raise StripeError(
                f"Invalid currency: {currency}. Stripe currently supports these currencies: "
                + ", ".join(sorted(STRIPE_CURRENCIES)),
                f"{p}[price_data][currency]",
            )
        name = _dict(data.get("product_data"), f"{p}[price_data][product_data]").get("name")
        if not name:
            param = f"{p}[price_data][product_data][name]"
            raise StripeError(f"Missing required param: {param}.", param)
        unit_amount = _int(data.get("unit_amount"), f"{p}[price_data][unit_amount]", 0)
        _check_amount_digits(unit_amount, currency, f"{p}[price_data][unit_amount]")
        quantity = _int(item.get("quantity"), f"{p}[quantity]", 1, 999)
        behavior = data.get("tax_behavior")
        if behavior not in (None, "unspecified", *TAX_BEHAVIORS):
            raise StripeError(f"Invalid tax_behavior: {behavior}", f"{p}[price_data][tax_behavior]")
        rates = item.get("tax_rates") or []
        if not isinstance(rates, list):
            raise StripeError(f"Invalid array: {p}[tax_rates]", f"{p}[tax_rates]")
        taxes = []
        for j, rate_id in enumerate(rates):
            rate = tax_rates.get(rate_id)
            if rate is None:
                raise StripeError(f"No such tax rate: '{rate_id}'", f"{p}[tax_rates][{j}]", "resource_missing")
            if not rate["active"]:
                raise StripeError(f"Tax rate {rate_id} is archived.", f"{p}[tax_rates][{j}]")
            tax = _line_tax(unit_amount * quantity, rate, currency)
            taxes.append({"amount": tax, "rate": copy.deepcopy(rate), "inclusive": rate["inclusive"]})
        items.append(
            {
                "name": name,
                "currency": currency,
                "unit_amount": unit_amount,
                "quantity": quantity,
                "taxes": taxes,
                "tax_behavior": behavior,
            }  # fmt: skip
        )
    if len({item["currency"] for item in items}) > 1:
        raise StripeError("All line items must use the same currency.", "line_items")
    return items


def _amount_step(currency):
    """Three-decimal amounts end in 0; ISK amounts are whole krónur (two decimals, always 00)."""
    return 10 if currency in THREE_DECIMAL else 100 if currency == "isk" else 1


def _check_amount_digits(amount, currency, param):
    step = _amount_step(currency)
    if amount % step:
        raise StripeError(
            f"Invalid {currency.upper()} amount: {amount} must be a multiple of {step}.", param, "invalid_amount"
        )


def _check_charge(amount, currency, param):
    """Stripe's smallest and largest charge in the currency (minor units)."""
    low = MINIMUM_CHARGE.get(currency, 1)
    if amount < low:
        raise StripeError(
            f"The Checkout Session's total amount due must add up to at least {format_amount(low, currency)}.",
            param,
            "amount_too_small",
        )
    high = MAXIMUM_CHARGE.get(currency, MAXIMUM_CHARGE_DEFAULT)
    if amount > high:
        raise StripeError(
            f"The Checkout Session's total amount due must be at most {format_amount(high, currency)}.",
            param,
            "amount_too_large",
        )


class StripeEmulator:
    """The emulator: state, API logic and webhook delivery; the HTTP layer is _Handler.

    One re-entrant lock guards all state. Webhooks are delivered by a single
    background thread, never while holding the lock, so a webhook handler may call
    back into the emulator.
    """

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        webhook_url=None,
        webhook_secret="whsec_test",
        retry_delays=(0.2, 0.5),
        verbose=False,
    ):
        self.host, self.port = host, port
        self.base_url = None
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.retry_delays = retry_delays  # waits before each retry of a failed delivery
        self.verbose = verbose
        self.lock = threading.RLock()
        # Public for inspection in tests: read freely, change under self.lock.
        self.sessions, self.payment_intents, self.charges = {}, {}, {}
        self.refunds, self.events = {}, {}
        self.accounts, self.application_fees, self.transfers = {}, {}, {}
        self.tax_rates = {}
        self._links = {}  # onboarding link token -> account, return and refresh URLs, expiry
        self._checkout = {}  # session id -> line items and payment_intent_data
        self._idempotency, self._faults, self._held, self._deliveries = {}, [], [], []
        self._webhook_mode = ("normal", 1)
        self._refund_mode = "succeeded"
        self._queue = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._stopping = threading.Event()
        self._server = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self):
        self._server = _Server((self.host, self.port), _Handler)
        self._server.emulator = self
        self.port = self._server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        # A short poll interval keeps stop(), and so each test's teardown, fast.
        serve = {"target": self._server.serve_forever, "kwargs": {"poll_interval": 0.05}}
        threading.Thread(**serve, daemon=True).start()
        threading.Thread(target=self._delivery_loop, daemon=True).start()
        return self

    def stop(self):
        self._stopping.set()
        self._queue.put(None)
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def reset(self):
        """Forget all objects, faults and queued webhooks (the webhook URL stays)."""
        with self.lock:
            for store in (self.sessions, self.payment_intents, self.charges, self.refunds):
                store.clear()
            for store in (self.events, self._checkout, self._idempotency):
                store.clear()
            for store in (self.accounts, self.application_fees, self.transfers, self.tax_rates, self._links):
                store.clear()
            self._faults.clear()
            self._held.clear()
            self._deliveries.clear()
            self._webhook_mode = ("normal", 1)
            self._refund_mode = "succeeded"

    # -- API ---------------------------------------------------------------------------

    def call_api(self, method, path, params, api_key, idempotency_key, request_id, fault=None):
        """Run one /v1 request; returns (status, body, replayed).

        Like Stripe, a POST with a known Idempotency-Key replays the first response, errors
        included (an injected error_500, a refused refund), or fails with an idempotency_error if
        the parameters differ. As at Stripe, a request refused before it ran (an unknown or invalid
        parameter) saves nothing, so it can be corrected and sent again with the same key.
        """
        routes = [
            ("POST", r"/v1/checkout/sessions", self._create_session, SESSION_SCHEMA),
            ("GET", r"/v1/checkout/sessions", self._list_sessions, LIST_SESSIONS_SCHEMA),
            ("GET", r"/v1/checkout/sessions/([^/]+)", self._retrieve_session, RETRIEVE),
            ("POST", r"/v1/checkout/sessions/([^/]+)/expire", self._expire_session, RETRIEVE),
            (
                "GET",
                r"/v1/payment_intents/([^/]+)",
                self._get(self.payment_intents, "payment_intent"),
                {**RETRIEVE, "client_secret": ANY},
            ),
            ("GET", r"/v1/charges/([^/]+)", self._retrieve_charge, RETRIEVE),
            ("POST", r"/v1/refunds", self._create_refund, REFUND_SCHEMA),
            ("GET", r"/v1/refunds", self._list_refunds, LIST_REFUNDS_SCHEMA),
            ("GET", r"/v1/refunds/([^/]+)", self._get(self.refunds, "refund"), RETRIEVE),
            ("POST", r"/v1/accounts", self._create_account, ACCOUNT_SCHEMA),
            ("GET", r"/v1/accounts/([^/]+)", self._get(self.accounts, "account"), RETRIEVE),
            ("POST", r"/v1/account_links", self._create_account_link, ACCOUNT_LINK_SCHEMA),
            ("GET", r"/v1/application_fees/([^/]+)", self._get(self.application_fees, "application fee"), RETRIEVE),
            ("POST", r"/v1/transfers", self._create_transfer, TRANSFER_SCHEMA),
            ("GET", r"/v1/transfers", self._list_transfers, LIST_TRANSFERS_SCHEMA),
            ("GET", r"/v1/transfers/([^/]+)", self._get(self.transfers, "transfer"), RETRIEVE),
            ("POST", r"/v1/transfers/([^/]+)/reversals", self._create_reversal, REVERSAL_SCHEMA),
            ("GET", r"/v1/transfers/([^/]+)/reversals", self._list_reversals, PAGE),
            ("POST", r"/v1/tax_rates", self._create_tax_rate, TAX_RATE_SCHEMA),
            ("GET", r"/v1/tax_rates/([^/]+)", self._get(self.tax_rates, "tax rate"), RETRIEVE),
        ]
        found = [
            (handler, schema, match)
            for verb, pattern, handler, schema in routes
            if verb == method and (match := re.fullmatch(pattern, path))
        ]
        if not found:
            raise StripeError(f"Unrecognized request URL ({method}: {path}).", status=404)
        handler, schema, match = found[0]
        key = (api_key, idempotency_key) if method == "POST" and idempotency_key else None
        with self.lock:
            saved = self._idempotency.get(key)
            if saved and saved["request"] != (path, params):
                raise StripeError(
                    "Keys for idempotent requests can only be used with the same "
                    "parameters they were first used with. Try using a key other than "
                    f"'{idempotency_key}' if you meant to execute a different request.",
                    type="idempotency_error",
                )
            if saved:
                return saved["status"], copy.deepcopy(saved["body"]), True
            _check_known(params, schema)
            request = {"id": request_id, "idempotency_key": idempotency_key}
            try:
                if fault == "error_500":
                    raise StripeError("Injected fault: internal error.", status=500, type="api_error", executed=True)
                status, body = 200, copy.deepcopy(handler(params, *match.groups(), request=request))
            except StripeError as exc:
                if not exc.executed:
                    raise
                status, body = exc.status, exc.body()
            if key:
                self._idempotency[key] = {"request": (path, params), "status": status, "body": body}
            return status, copy.deepcopy(body), False

    def _create_session(self, params, request):
        if params.get("mode") != "payment":
            raise StripeError("The emulator supports only mode=payment.", "mode")
        if params.get("ui_mode", "hosted") != "hosted":
            raise StripeError("The emulator supports only ui_mode=hosted.", "ui_mode")
        items = _line_items(params.get("line_items"), self.tax_rates)
        now = int(time.time())
        expires_at = now + 86400
        if "expires_at" in params:
            expires_at = _int(params["expires_at"], "expires_at")
            if not now + 1800 <= expires_at <= now + 86400:
                raise StripeError(
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours "
                    "after Checkout Session creation.",
                    "expires_at",
                )
        email = params.get("customer_email")
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(email)):
            raise StripeError(f"Invalid email address: {email}", "customer_email")
        reference = params.get("client_reference_id")
        if reference is not None and (not isinstance(reference, str) or len(reference) > 200):
            raise StripeError("client_reference_id must be at most 200 characters.", "client_reference_id")
        automatic = self._automatic_tax(params, items)
        intent_data = _dict(params.get("payment_intent_data"), "payment_intent_data")
        intent_metadata = _metadata(intent_data.get("metadata"), "payment_intent_data[metadata]")
        subtotal = sum(item["unit_amount"] * item["quantity"] for item in items)
        taxes = [tax for item in items for tax in item["taxes"]]
        total = subtotal + sum(tax["amount"] for tax in taxes if not tax["inclusive"])
        if total > 0:  # a free session needs no payment
            _check_charge(total, items[0]["currency"], "line_items")
        destination, fee = self._destination(intent_data, total)
        session_id = new_id("cs_test_", 58)
        session = self._fixture(
            "checkout.session",
            id=session_id,
            amount_subtotal=subtotal,
            amount_total=total,
            automatic_tax=automatic,
            total_details={
                **_CLEAN["checkout.session"]["total_details"],
                "amount_tax": sum(t["amount"] for t in taxes),
            },
            cancel_url=_url(params, "cancel_url"),
            client_reference_id=reference,
            created=now,
            currency=items[0]["currency"],
            customer_email=email,
            expires_at=expires_at,
            metadata=_metadata(params.get("metadata")),
            mode="payment",
            payment_intent=None,
            payment_status="unpaid",
            status="open",
            success_url=_url(params, "success_url", required=True),
            url=f"{self.base_url}/pay/{session_id}",
        )
        self.sessions[session_id] = session
        self._checkout[session_id] = {
            "line_items": items, "intent_metadata": intent_metadata, "destination": destination, "fee": fee,
        }  # fmt: skip
        return session

    def _automatic_tax(self, params, items):
        """The session's automatic_tax, checked as Stripe checks it: each price says whether it
        includes the tax, no tax rates beside it, and a liable account that exists."""
        settings = _dict(params.get("automatic_tax"), "automatic_tax")
        if not _bool(settings.get("enabled"), "automatic_tax[enabled]"):
            return {**FIXTURES["checkout.session"]["automatic_tax"], "enabled": False, "liability": None}
        for i, item in enumerate(items):
            if item["taxes"]:
                raise StripeError(
                    "You cannot use `tax_rates` together with `automatic_tax[enabled]`.", f"line_items[{i}][tax_rates]"
                )
            if item["tax_behavior"] not in TAX_BEHAVIORS:
                raise StripeError(
                    "Stripe Tax needs each price's tax_behavior (inclusive or exclusive), or a default in the "
                    "account's tax settings.",
                    f"line_items[{i}][price_data][tax_behavior]",
                )
        liability = _dict(settings.get("liability"), "automatic_tax[liability]") or {"type": "self"}
        if liability.get("type") not in ("self", "account"):
            raise StripeError("Invalid liability type: must be self or account.", "automatic_tax[liability][type]")
        if liability["type"] == "account" and liability.get("account") not in self.accounts:
            raise StripeError(
                f"No such account: '{liability.get('account')}'",
                "automatic_tax[liability][account]",
                "resource_missing",
            )
        return {"enabled": True, "liability": liability, "provider": "stripe", "status": "requires_location_inputs"}

    def _tax_by_location(self, session, items, country):
        """Stripe Tax once the buyer's country is known: each line's tax at that country's rate."""
        if country not in EMULATED_TAX and country not in ("US", "CA"):
            raise StripeError(f"Invalid country: {country}", "country")
        name, percentage = EMULATED_TAX.get(country, ("Sales tax", "0"))
        rate = self._fixture(
            "tax_rate", id=new_id("txr_", 24), active=False, country=country, created=int(time.time()),
            display_name=name, inclusive=False, jurisdiction=country, percentage=float(percentage),
            effective_percentage=float(percentage), tax_type="vat" if name == "VAT" else None,
        )  # fmt: skip
        for item in items:
            inclusive = item["tax_behavior"] == "inclusive"
            amount = _line_tax(
                item["unit_amount"] * item["quantity"], {**rate, "inclusive": inclusive}, session["currency"]
            )
            item["taxes"] = (
                [{"amount": amount, "rate": {**rate, "inclusive": inclusive}, "inclusive": inclusive}] if amount else []
            )
        taxes = [tax for item in items for tax in item["taxes"]]
        session["amount_total"] = session["amount_subtotal"] + sum(t["amount"] for t in taxes if not t["inclusive"])
        session["total_details"]["amount_tax"] = sum(t["amount"] for t in taxes)
        session["automatic_tax"]["status"] = "complete"

    def _destination(self, intent_data, total):
        """(connected account, application fee) of a destination charge, checked as Stripe does."""
        transfer = _dict(intent_data.get("transfer_data"), "payment_intent_data[transfer_data]")
        destination = transfer.get("destination")
        fee_param = "payment_intent_data[application_fee_amount]"
        fee = (
            None
            if intent_data.get("application_fee_amount") is None
            else _int(intent_data["application_fee_amount"], fee_param, 0)
        )
        if destination is None:
            if fee is not None:
                raise StripeError(
                    "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct "
                    "payment (using an OAuth key or Stripe-Account header) or destination payment (using "
                    "`transfer_data[destination]`).",
                    fee_param,
                )
            return None, None
        param = "payment_intent_data[transfer_data][destination]"
        account = self.accounts.get(destination)
        if account is None:
            raise StripeError(f"No such destination: '{destination}'", param, "resource_missing")
        if account["capabilities"].get("transfers") != "active":
            raise StripeError(
                "Your destination account needs to have at least one of the following capabilities enabled: "
                "transfers, crypto_transfers, legacy_payments",
                param,
                "insufficient_capabilities_for_transfer",
            )
        if fee is not None and fee > total:
            raise StripeError("The application fee amount must be less than or equal to the total amount.", fee_param)
        return destination, fee or 0

    def _create_tax_rate(self, params, request):
        name = params.get("display_name")
        if not name:
            raise StripeError("Missing required param: display_name.", "display_name")
        if not isinstance(name, str) or len(name) > 50:
            raise StripeError("display_name must be a string of at most 50 characters.", "display_name")
        if params.get("percentage") in (None, ""):
            raise StripeError("Missing required param: percentage.", "percentage")
        raw = str(params["percentage"])
        percentage = Decimal(raw) if re.fullmatch(r"\d+(\.\d+)?", raw) else None  # a plain number, as Stripe reads one
        if percentage is None or not percentage.is_finite() or not 0 <= percentage <= 100:
            raise StripeError("Invalid percentage: must be a number between 0 and 100.", "percentage")
        if percentage != percentage.quantize(Decimal("0.0001")):
            raise StripeError("percentage may have at most 4 decimal places.", "percentage")
        if params.get("inclusive") in (None, ""):
            raise StripeError("Missing required param: inclusive.", "inclusive")
        country = params.get("country")
        if country is not None and not (isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country)):
            raise StripeError(f"Invalid country: {country}", "country")
        rate = self._fixture(
            "tax_rate",
            id=new_id("txr_", 24),
            active=params.get("active") is None or _bool(params["active"], "active"),
            country=country,
            created=int(time.time()),
            description=params.get("description"),
            display_name=name,
            effective_percentage=float(percentage),
            inclusive=_bool(params["inclusive"], "inclusive"),
            jurisdiction=params.get("jurisdiction"),
            metadata=_metadata(params.get("metadata")),
            percentage=float(percentage),
            state=params.get("state"),
            tax_type=params.get("tax_type"),
        )
        self.tax_rates[rate["id"]] = rate
        return rate

    def _create_account(self, params, request):
        kind = params.get("type")
        if kind is None and not params.get("controller"):
            raise StripeError("Missing required param: type.", "type")
        if kind is not None and kind not in ACCOUNT_TYPES:
            raise StripeError(f"Invalid type: must be one of {', '.join(sorted(ACCOUNT_TYPES))}", "type")
        country = params.get("country", "US")
        if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country):
            raise StripeError(f"Invalid country: {country}", "country")
        due = ["business_profile.url", "external_account", "tos_acceptance.date", "tos_acceptance.ip"]
        account = self._fixture(
            "account",
            id=new_id("acct_", 16),
            type=kind or "custom",
            country=country,
            created=int(time.time()),
            default_currency=params.get("default_currency", "usd"),
            email=params.get("email"),
            metadata=_metadata(params.get("metadata")),
            charges_enabled=False,
            details_submitted=False,
            payouts_enabled=False,
            capabilities={"card_payments": "inactive", "transfers": "inactive"},
            requirements={**FIXTURES["account"]["requirements"], "currently_due": due, "eventually_due": due,
                          "disabled_reason": "requirements.past_due"},
        )  # fmt: skip
        self.accounts[account["id"]] = account
        return account

    def _create_account_link(self, params, request):
        account_id = params.get("account")
        if account_id not in self.accounts:
            raise StripeError(f"No such account: '{account_id}'", "account", "resource_missing")
        kind = params.get("type")
        if kind not in ACCOUNT_LINK_TYPES:
            raise StripeError(f"Invalid type: must be one of {', '.join(sorted(ACCOUNT_LINK_TYPES))}", "type")
        refresh, back = _url(params, "refresh_url", required=True), _url(params, "return_url", required=True)
        token, now = new_id("", 32), int(time.time())
        self._links[token] = {"account": account_id, "refresh_url": refresh, "return_url": back,
                              "expires_at": now + ACCOUNT_LINK_SECONDS, "used": False}  # fmt: skip
        return self._fixture(
            "account_link", created=now, expires_at=now + ACCOUNT_LINK_SECONDS, url=f"{self.base_url}/connect/{token}"
        )

    def _session(self, session_id):
        """Look a session up, expiring it first if its expires_at has passed."""
        session = self.sessions.get(session_id)
        if session is None:
            message = f"No such checkout.session: '{session_id}'"
            raise StripeError(message, "session", "resource_missing", status=404)
        if session["status"] == "open" and session["expires_at"] <= time.time():
            self._expire(session)
        return session

    def _retrieve_session(self, params, session_id, request):
        session = self._session(session_id)
        if "total_details.breakdown" not in _expand(params):
            return session
        taxes = {}
        for item in self._checkout[session_id]["line_items"]:
            for tax in item["taxes"]:
                entry = taxes.setdefault(tax["rate"]["id"], {"amount": 0, "rate": tax["rate"], "taxable_amount": 0,
                                                              "taxability_reason": "standard_rated"})  # fmt: skip
                entry["amount"] += tax["amount"]
                entry["taxable_amount"] += item["unit_amount"] * item["quantity"] - (
                    tax["amount"] if tax["inclusive"] else 0
                )
        breakdown = {"discounts": [], "taxes": list(taxes.values())}
        return {**session, "total_details": {**session["total_details"], "breakdown": breakdown}}

    def _list_sessions(self, params, request):
        for session_id in list(self.sessions):
            self._session(session_id)
        wanted = params.get("payment_intent")
        return self._list("/v1/checkout/sessions", self.sessions, params, payment_intent=wanted)

    def _expire_session(self, params, session_id, request):
        session = self._session(session_id)
        if session["status"] != "open":
            raise StripeError('Only Checkout Sessions with a status in ["open"] can be expired.', executed=True)
        self._expire(session, request)
        return session

    def _expire(self, session, request=None):
        session.update(status="expired", url=None)
        self._emit("checkout.session.expired", session, request)

    def _get(self, store, kind):
        """A retrieve handler for one object store."""

        def retrieve(params, object_id, request):
            if object_id not in store:
                raise StripeError(f"No such {kind}: '{object_id}'", "id", "resource_missing", 404)
            return store[object_id]

        return retrieve

    def _retrieve_charge(self, params, charge_id, request):
        """A charge; its refunds only when asked for (expand[]=refunds), as since API version 2022-11-15."""
        charge = copy.deepcopy(self._get(self.charges, "charge")(params, charge_id, request))
        if "refunds" in _expand(params):
            data = [r for r in self.refunds.values() if r["charge"] == charge_id]
            data.sort(key=lambda r: r["created"], reverse=True)
            charge["refunds"] = _list_object(f"/v1/charges/{charge_id}/refunds", data)
        return charge

    def _list(self, url, store, params, **filters):
        limit = _int(params.get("limit", 10), "limit", 1, 100)
        data = [
            obj
            for obj in reversed(store.values())
            if all(value is None or obj[name] == value for name, value in filters.items())
        ]
        data.sort(key=lambda obj: obj["created"], reverse=True)
        return {"object": "list", "data": data[:limit], "has_more": len(data) > limit, "url": url}

    def _create_refund(self, params, request):
        return self._refund(params, request)

    def _list_refunds(self, params, request):
        filters = {"payment_intent": params.get("payment_intent"), "charge": params.get("charge")}
        return self._list("/v1/refunds", self.refunds, params, **filters)

    def _refund(self, params, request):
        if params.get("payment_intent"):
            intent = self.payment_intents.get(params["payment_intent"])
            if intent is None:
                message = f"No such payment_intent: '{params['payment_intent']}'"
                raise StripeError(message, "payment_intent", "resource_missing")
            charge = self.charges[intent["latest_charge"]]
        elif params.get("charge"):
            charge = self.charges.get(params["charge"])
            if charge is None:
                raise StripeError(f"No such charge: '{params['charge']}'", "charge", "resource_missing")
        else:
            raise StripeError("One of `payment_intent` or `charge` is required.", "payment_intent")
        if charge["status"] != "succeeded":
            message = f"Charge {charge['id']} is {charge['status']}: only a succeeded charge can be refunded."
            raise StripeError(message, "payment_intent", "charge_not_refundable", executed=True)
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining == 0:
            message = f"Charge {charge['id']} has already been refunded."
            raise StripeError(message, "amount", "charge_already_refunded", executed=True)
        amount = remaining if params.get("amount") is None else _int(params["amount"], "amount", 1)
        _check_amount_digits(amount, charge["currency"], "amount")
        if amount > remaining:
            raise StripeError(
                f"Refund amount ({format_amount(amount, charge['currency'])}) is greater than "
                f"unrefunded amount on charge ({format_amount(remaining, charge['currency'])})",
                "amount",
                "amount_too_large",
                executed=True,
            )
        reason = params.get("reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise StripeError(f"Invalid reason: {reason}", "reason")
        reverse = _bool(params.get("reverse_transfer"), "reverse_transfer")
        refund_fee = _bool(params.get("refund_application_fee"), "refund_application_fee")
        if reverse and not charge.get("transfer"):
            raise StripeError(
                "This charge has no transfer to reverse: it is not a destination charge.", "reverse_transfer"
            )
        if refund_fee and not charge.get("application_fee"):
            raise StripeError("This charge has no application fee to refund.", "refund_application_fee")
        refund = self._fixture(
            "refund",
            id=new_id("re_"),
            amount=amount,
            balance_transaction=new_id("txn_"),
            charge=charge["id"],
            created=int(time.time()),
            currency=charge["currency"],
            failure_reason=None,
            metadata=_metadata(params.get("metadata")),
            payment_intent=charge["payment_intent"],
            reason=reason,
            status=self._refund_mode,
        )
        self.refunds[refund["id"]] = refund
        refund["transfer_reversal"] = (
            self._reverse(self.transfers, charge, amount, "amount_reversed", refund["id"]) if reverse else None
        )
        if refund_fee:
            self._reverse(self.application_fees, charge, amount, "amount_refunded")
        charge["amount_refunded"] += amount  # a pending refund counts, as at Stripe
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self._emit("charge.refunded", charge, request)
        self._emit("refund.created", refund, request)
        return refund

    def _reverse(self, store, charge, amount, field, refund_id=None):
        """Take back from the charge's transfer (or application fee) the refund's share of it, as
        Stripe does: in proportion, the last refund taking back all that is left. Returns the
        transfer reversal's id."""
        key = "transfer" if store is self.transfers else "application_fee"
        obj = store[charge[key]]
        left = obj["amount"] - obj[field]
        if charge["amount_refunded"] + amount >= charge["amount"]:
            share = left
        else:
            share = min(left, (obj["amount"] * amount + charge["amount"] // 2) // charge["amount"])
        if key == "application_fee":
            obj[field] += share
            obj["refunded"] = obj[field] == obj["amount"]
            return None
        return self._add_reversal(obj, share, {}, refund_id)["id"]

    def _add_reversal(self, transfer, amount, metadata, refund_id=None):
        reversal = self._fixture(
            "transfer_reversal", id=new_id("trr_"), amount=amount, created=int(time.time()),
            currency=transfer["currency"], metadata=metadata, source_refund=refund_id, transfer=transfer["id"],
        )  # fmt: skip
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].append(reversal)
        return reversal

    def _create_transfer(self, params, request):
        """Money from the platform's balance to a connected account that can take transfers."""
        for required in ("amount", "currency", "destination"):
            if params.get(required) in (None, ""):
                raise StripeError(f"Missing required param: {required}.", required)
        amount = _int(params["amount"], "amount", 1)
        currency = params["currency"]
        if currency not in STRIPE_CURRENCIES:
            raise StripeError(f"Invalid currency: {currency}.", "currency")
        account = self.accounts.get(params["destination"])
        if account is None:
            raise StripeError(f"No such destination: '{params['destination']}'", "destination", "resource_missing")
        if account["capabilities"].get("transfers") != "active":
            raise StripeError(
                "Your destination account needs to have at least one of the following capabilities enabled: "
                "transfers, crypto_transfers, legacy_payments",
                "destination",
                "insufficient_capabilities_for_transfer",
            )
        transfer = self._fixture(
            "transfer", id=new_id("tr_"), amount=amount, amount_reversed=0, created=int(time.time()),
            currency=currency, destination=account["id"], metadata=_metadata(params.get("metadata")), reversed=False,
            source_transaction=params.get("source_transaction"), transfer_group=params.get("transfer_group"),
        )  # fmt: skip
        transfer["reversals"] = _list_object(f"/v1/transfers/{transfer['id']}/reversals")
        self.transfers[transfer["id"]] = transfer
        return transfer

    def _list_transfers(self, params, request):
        filters = {"destination": params.get("destination"), "transfer_group": params.get("transfer_group")}
        return self._list("/v1/transfers", self.transfers, params, **filters)

    def _create_reversal(self, params, transfer_id, request):
        """A reversal of part of a transfer (the connected account gives it back to the platform):
        at most what is left of the transfer, all of it by default."""
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            raise StripeError(f"No such transfer: '{transfer_id}'", "id", "resource_missing", 404)
        left = transfer["amount"] - transfer["amount_reversed"]
        if left == 0:
            raise StripeError("This transfer is already fully reversed.", code="transfer_already_reversed")
        amount = left if params.get("amount") in (None, "") else _int(params["amount"], "amount", 1)
        if amount > left:
            raise StripeError(
                f"Amount must be no more than the transfer's remaining amount ({left}).", "amount", "amount_too_large"
            )
        return self._add_reversal(transfer, amount, _metadata(params.get("metadata")))

    def _list_reversals(self, params, transfer_id, request):
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            raise StripeError(f"No such transfer: '{transfer_id}'", "id", "resource_missing", 404)
        reversals = {reversal["id"]: reversal for reversal in transfer["reversals"]["data"]}
        return self._list(f"/v1/transfers/{transfer_id}/reversals", reversals, params)

    def settle_refund(self, refund_id, succeeded=True):
        """A pending refund succeeds, or fails (the card was closed: the money stays with the
        merchant); sends refund.updated and charge.refund.updated, and refund.failed on failure.
        As at Stripe, a refund that succeeded may still fail later (never the other way)."""
        with self.lock:
            refund = self.refunds.get(refund_id)
            if refund is None or refund["status"] not in ("pending",) + (() if succeeded else ("succeeded",)):
                raise StripeError(f"Refund {refund_id} is not pending.", "refund")
            if succeeded:
                refund["status"] = "succeeded"
            else:
                refund.update(status="failed", failure_reason="expired_or_canceled_card")
                charge = self.charges[refund["charge"]]
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = False
            self._emit("refund.updated", refund)
            self._emit("charge.refund.updated", refund)
            if not succeeded:
                self._emit("refund.failed", refund)
            return copy.deepcopy(refund)

    def cancel_refund(self, refund_id):
        """A pending refund is canceled (as Stripe's dashboard can, before the money moves): the
        money stays with the merchant; sends refund.updated and charge.refund.updated."""
        with self.lock:
            refund = self.refunds.get(refund_id)
            if refund is None or refund["status"] != "pending":
                raise StripeError(f"Refund {refund_id} is not pending.", "refund")
            refund["status"] = "canceled"
            charge = self.charges[refund["charge"]]
            charge["amount_refunded"] -= refund["amount"]
            charge["refunded"] = False
            self._emit("refund.updated", refund)
            self._emit("charge.refund.updated", refund)
            return copy.deepcopy(refund)

    def set_refund_mode(self, mode):
        """New refunds are created "succeeded" (cards, usually) or "pending" until settle_refund."""
        if mode not in REFUND_MODES:
            raise StripeError(f"Refund mode must be one of {sorted(REFUND_MODES)}.", "mode")
        with self.lock:
            self._refund_mode = mode

    def _fixture(self, kind, **fields):
        return {**copy.deepcopy(FIXTURES[kind]), **copy.deepcopy(_CLEAN[kind]), **fields}

    # -- helpers for tests (also behind the /_emulator/ control endpoints) -------------

    def pay(self, session_id, method="card", card=SUCCEEDING_CARD, country=None):
        """Pay an open session as the hosted page does; returns the session.

        method "card": `card` is a Stripe test card number; DECLINING_CARDS are refused with a
        402 card_error (the session stays open, nothing is charged, no webhook). method "delayed"
        (a bank debit): the session completes with payment_status "unpaid" and its PaymentIntent
        is processing until `settle` says whether the money arrived. `country`: the buyer's, as the
        page asks it when Stripe Tax needs a location (automatic_tax).
        """
        with self.lock:
            session = self._session(session_id)
            if session["status"] != "open":
                raise StripeError(
                    f"Checkout Session {session_id} is {session['status']}; it cannot be paid.",
                    code="checkout_session_not_open",
                )
            if method not in ("card", "delayed"):
                raise StripeError(f"Unknown payment method: {method}", "method")
            card = re.sub(r"\D", "", str(card))
            if method == "card" and card in DECLINING_CARDS:
                code = DECLINING_CARDS[card]
                raise StripeError(
                    DECLINE_MESSAGES[code],
                    code="card_declined" if code != "incorrect_number" else code,
                    status=402,
                    type="card_error",
                    decline_code=code if code != "incorrect_number" else None,
                )
            email = session["customer_email"] or "customer@example.com"
            details = copy.deepcopy(FIXTURES["checkout.session"]["customer_details"])
            details.update(email=email, name="Test Customer")
            if session["automatic_tax"]["enabled"]:
                if not country:
                    raise StripeError("Enter your country: the tax depends on it.", "country", "tax_location_required")
                self._tax_by_location(session, self._checkout[session_id]["line_items"], country)
                details["address"]["country"] = country
                if session["amount_total"] > 0:
                    _check_charge(session["amount_total"], session["currency"], "amount_total")
            delayed = method == "delayed"
            intent_id = self._charge(session, email, delayed) if session["amount_total"] > 0 else None
            session.update(
                status="complete",
                payment_status=("unpaid" if delayed else "paid") if intent_id else "no_payment_required",
                payment_intent=intent_id,
                customer_details=details,
                url=None,
            )
            self._emit("checkout.session.completed", session)
            return copy.deepcopy(session)

    def settle(self, session_id, succeeded=True):
        """The delayed payment of a completed, unpaid session arrives (or fails); returns the session.

        Sends checkout.session.async_payment_succeeded or ..._failed, as Stripe does days later.
        """
        with self.lock:
            session = self._session(session_id)
            intent = self.payment_intents.get(session["payment_intent"] or "")
            if session["status"] != "complete" or intent is None or intent["status"] != "processing":
                raise StripeError(f"Checkout Session {session_id} has no delayed payment to settle.", "session")
            charge = self.charges[intent["latest_charge"]]
            if succeeded:
                intent.update(status="succeeded", amount_received=intent["amount"])
                charge.update(status="succeeded", paid=True, captured=True, amount_captured=charge["amount"])
                session["payment_status"] = "paid"
                self._emit("checkout.session.async_payment_succeeded", session)
            else:
                error = {"type": "card_error", "code": "payment_intent_payment_attempt_failed"}
                intent.update(status="requires_payment_method", last_payment_error=error)
                charge.update(status="failed", paid=False, failure_code="debit_not_authorized")
                self._emit("checkout.session.async_payment_failed", session)
            return copy.deepcopy(session)

    def _charge(self, session, email, delayed=False):
        """Create the PaymentIntent and Charge of a paid session (processing and pending if delayed)."""
        now, total, currency = int(time.time()), session["amount_total"], session["currency"]
        intent_id, charge_id, method = new_id("pi_"), new_id("ch_"), new_id("pm_")
        metadata = self._checkout[session["id"]]["intent_metadata"]
        charge = self._fixture(
            "charge",
            id=charge_id,
            amount=total,
            amount_captured=0 if delayed else total,
            amount_refunded=0,
            balance_transaction=new_id("txn_"),
            captured=not delayed,
            created=now,
            currency=currency,
            metadata=dict(metadata),
            paid=not delayed,
            payment_intent=intent_id,
            payment_method=method,
            refunded=False,
            status="pending" if delayed else "succeeded",
        )
        del charge["refunds"]  # expandable: only there when a request asks for it (expand[]=refunds)
        charge["billing_details"].update(email=email, name="Test Customer")
        self.charges[charge_id] = charge
        destination, fee = self._checkout[session["id"]]["destination"], self._checkout[session["id"]]["fee"]
        charge.update(application_fee=None, application_fee_amount=None, transfer=None)
        if destination is not None:  # a destination charge: the rest goes to the connected account
            transfer = self._fixture(
                "transfer", id=new_id("tr_"), amount=total - fee, amount_reversed=0, created=now, currency=currency,
                destination=destination, metadata={}, reversed=False, source_transaction=charge_id,
            )  # fmt: skip
            transfer["reversals"] = _list_object(f"/v1/transfers/{transfer['id']}/reversals")
            self.transfers[transfer["id"]] = transfer
            charge.update(transfer=transfer["id"], transfer_data={"amount": None, "destination": destination})
            if fee:
                application_fee = self._fixture(
                    "application_fee", id=new_id("fee_"), account=destination, amount=fee, amount_refunded=0,
                    charge=charge_id, created=now, currency=currency, refunded=False,
                    fee_source={"charge": charge_id, "type": "charge"},
                )  # fmt: skip
                application_fee["refunds"] = _list_object(f"/v1/application_fees/{application_fee['id']}/refunds")
                self.application_fees[application_fee["id"]] = application_fee
                charge.update(application_fee=application_fee["id"], application_fee_amount=fee)
        self.payment_intents[intent_id] = self._fixture(
            "payment_intent",
            id=intent_id,
            amount=total,
            amount_received=0 if delayed else total,
            client_secret=f"{intent_id}_secret_{new_id('', 25)}",
            created=now,
            currency=currency,
            latest_charge=charge_id,
            metadata=dict(metadata),
            payment_method=method,
            status="processing" if delayed else "succeeded",
            application_fee_amount=charge["application_fee_amount"],
            transfer_data={"destination": destination} if destination else None,
        )
        return intent_id

    def expire_due(self):
        """Expire every open session whose expires_at has passed; returns their ids."""
        with self.lock:
            due = [s["id"] for s in self.sessions.values() if s["status"] == "open"]
            return [sid for sid in due if self._session(sid)["status"] == "expired"]

    def dashboard_refund(self, payment_intent, amount=None, reason=None, metadata=None):
        """A refund made outside the app (Stripe dashboard): same objects and webhooks."""
        with self.lock:
            params = {"payment_intent": payment_intent, "amount": amount}
            params.update(reason=reason, metadata=metadata)
            return copy.deepcopy(self._refund(params, None))

    def complete_onboarding(self, account_id):
        """The account's owner finishes Stripe's onboarding: it can take payments and be paid out
        (sends account.updated, as a Connect event)."""
        with self.lock:
            account = self.accounts.get(account_id)
            if account is None:
                raise StripeError(f"No such account: '{account_id}'", "account", "resource_missing", 404)
            account.update(
                charges_enabled=True, details_submitted=True, payouts_enabled=True,
                capabilities={"card_payments": "active", "transfers": "active"},
                requirements={**account["requirements"], "currently_due": [], "eventually_due": [],
                              "past_due": [], "disabled_reason": None},
            )  # fmt: skip
            self._emit("account.updated", account, account=account_id)
            return copy.deepcopy(account)

    def onboarding_page(self, token, method):
        """(status, html, redirect) of Stripe's hosted onboarding behind an account link: a link
        used or expired goes to its refresh_url; finishing goes to its return_url."""
        with self.lock:
            link = self._links.get(token)
            if link is None:
                return 404, _page("Not found", "<p>There is no such onboarding link.</p>"), None
            if link["used"] or link["expires_at"] <= time.time():
                return 303, _page("Link expired", "<p>Redirecting…</p>"), link["refresh_url"]
            if method == "POST":
                link["used"] = True
                self.complete_onboarding(link["account"])
                return 303, _page("Done", "<p>Redirecting…</p>"), link["return_url"]
            account = self.accounts[link["account"]]
        body = f"""<p>Onboarding of the connected account <code>{html.escape(account["id"])}</code>
({html.escape(account["country"])}): Stripe would ask here for the business's details and bank account.</p>
<form method="post" action="/connect/{html.escape(token)}"><button type="submit">Complete onboarding</button></form>"""
        return 200, _page("Set up payouts", body), None

    def add_fault(self, path, mode, method=None, count=1, seconds=5.0):
        """Make the next `count` /v1 requests to `path` (a trailing * matches a prefix) fail.

        Modes: error_500, rate_limit_429, timeout (hold `seconds`, then 500),
        timeout_after_success (do the work, hold `seconds`, then answer: the client
        gave up but the object exists, as when a response is lost on the way).
        """
        if mode not in FAULT_MODES or not isinstance(path, str):
            raise StripeError(f"A fault needs a path and a mode in {sorted(FAULT_MODES)}.", "mode")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise StripeError("seconds must be a non-negative number.", "seconds")
        fault = {"path": path, "method": method, "mode": mode, "count": _int(count, "count", 1), "seconds": seconds}
        with self.lock:
            self._faults.append(fault)

    def set_webhook_mode(self, mode, times=2):
        """normal, duplicate (deliver each event `times` times), hold (queue until
        flush_webhooks) or drop (record, never deliver)."""
        if mode not in WEBHOOK_MODES:
            raise StripeError(f"Webhook mode must be one of {sorted(WEBHOOK_MODES)}.", "webhooks")
        with self.lock:
            self._webhook_mode = (mode, _int(times, "times", 1))

    def flush_webhooks(self, order="fifo"):
        """Deliver held events (in `order`: fifo or reverse) and stop holding."""
        if order not in ("fifo", "reverse"):
            raise StripeError("order must be fifo or reverse.", "order")
        with self.lock:
            held = self._held[::-1] if order == "reverse" else list(self._held)
            self._held.clear()
            self._webhook_mode = ("normal", 1)
            for event_id in held:
                self._enqueue(event_id)
            return held

    def resend_event(self, event_id):
        """Deliver an old event once more (a late or repeated delivery)."""
        with self.lock:
            if event_id not in self.events:
                raise StripeError(f"No such event: '{event_id}'", "event_id", "resource_missing", 404)
            self._enqueue(event_id)

    def send_raw(self, type, obj, timestamp=None, secret=None):
        """Deliver one event now, signed with the given timestamp and secret, so the
        app's signature and tolerance checks can be tested; returns the outcome."""
        if not isinstance(type, str) or not isinstance(obj, dict):
            raise StripeError("send_raw needs a type and an object.", "type")
        timestamp = None if timestamp is None else _int(timestamp, "timestamp")
        with self.lock:
            event_id = self._emit(type, obj, deliver=False)
            payload = json.dumps(self.events[event_id], indent=2)
        status, error = self._post_webhook(payload, timestamp, secret)
        self._record(event_id, type, 1, status, error)
        return {"event_id": event_id, "status_code": status, "error": error}

    def deliveries(self):
        """Every delivery attempt so far, oldest first."""
        with self.lock:
            return copy.deepcopy(self._deliveries)

    def drain(self, timeout=5.0):
        """Wait until queued webhooks are delivered (or failed); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def control(self, method, path, body):
        """Serve the /_emulator/ control endpoints with the helpers above."""
        action = path.removeprefix("/_emulator/")
        if method == "GET" and action == "deliveries":
            return self.deliveries()
        if method == "GET" and action.startswith("sessions/"):
            with self.lock:
                return copy.deepcopy(self._session(action.removeprefix("sessions/")))
        if method != "POST":
            action = None
        match action:
            case "reset":
                self.reset()
            case "config":
                self.webhook_url = body.get("webhook_url", self.webhook_url)
                self.webhook_secret = body.get("webhook_secret", self.webhook_secret)
            case "faults" if "webhooks" in body:
                self.set_webhook_mode(body["webhooks"], body.get("times", 2))
            case "faults":
                self.add_fault(
                    body.get("path"),
                    body.get("mode"),
                    body.get("method"),
                    body.get("count", 1),
                    body.get("seconds", 5.0),
                )
            case "expire_due":
                return {"expired": self.expire_due()}
            case "dashboard_refund":
                return self.dashboard_refund(
                    body.get("payment_intent"), body.get("amount"), body.get("reason"), body.get("metadata")
                )
            case "webhooks/flush":
                return {"delivered": self.flush_webhooks(body.get("order", "fifo"))}
            case "webhooks/resend":
                self.resend_event(body.get("event_id"))
            case "webhooks/send_raw":
                return self.send_raw(
                    body.get("type"), body.get("object", {}), body.get("timestamp"), body.get("secret")
                )
            case "webhooks/drain":
                return {"drained": self.drain(body.get("timeout", 5.0))}
            case str() if action.startswith("pay/"):
                return self.pay(
                    action.removeprefix("pay/"), body.get("method", "card"), body.get("card", SUCCEEDING_CARD)
                )
            case str() if action.startswith("accounts/complete/"):
                return self.complete_onboarding(action.removeprefix("accounts/complete/"))
            case "refunds/mode":
                self.set_refund_mode(body.get("mode"))
            case str() if action.startswith("refunds/settle/"):
                return self.settle_refund(
                    action.removeprefix("refunds/settle/"), body.get("succeeded", True) is not False
                )
            case str() if action.startswith("settle/"):
                return self.settle(action.removeprefix("settle/"), body.get("succeeded", True) is not False)
            case _:
                raise StripeError(f"Unknown control endpoint ({method}: {path}).", status=404)
        return {"ok": True}

    # -- webhooks ----------------------------------------------------------------------

    def _emit(self, type, obj, request=None, deliver=True, account=None):
        """An event, queued for delivery; `account`: the connected account it happened on (a
        Connect event, which Stripe sends to the platform's Connect endpoint; here to the one URL)."""
        event = self._fixture(
            "event",
            id=new_id("evt_"),
            api_version=API_VERSION,
            created=int(time.time()),
            data={"object": copy.deepcopy(obj)},
            livemode=False,
            pending_webhooks=1 if self.webhook_url else 0,
            request=request or {"id": None, "idempotency_key": None},
            type=type,
        )
        if account is not None:
            event["account"] = account
        self.events[event["id"]] = event
        mode, times = self._webhook_mode
        if not deliver:
            return event["id"]
        if mode == "drop":
            self._record(event["id"], type, 0, None, "dropped by fault")
        elif mode == "hold":
            self._held.append(event["id"])
        else:
            for _ in range(times if mode == "duplicate" else 1):
                self._enqueue(event["id"])
        return event["id"]

    def _enqueue(self, event_id):
        with self._idle:
            self._pending += 1
        self._queue.put(event_id)

    def _delivery_loop(self):
        while (event_id := self._queue.get()) is not None:
            try:
                self._deliver(event_id)
            except Exception:  # an emulator bug must not stop later deliveries
                traceback.print_exc()
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, event_id):
        with self.lock:
            event = self.events.get(event_id)
            if event is None:  # reset since it was queued
                return
            payload = json.dumps(event, indent=2)
        for attempt, delay in enumerate((0, *self.retry_delays), start=1):
            if self._stopping.wait(delay):
                return
            status, error = self._post_webhook(payload)
            ok = self._record(event_id, event["type"], attempt, status, error)
            if ok or not self.webhook_url:
                return

    def _post_webhook(self, payload, timestamp=None, secret=None):
        """POST one signed payload; returns (status code or None, error text or None)."""
        if not self.webhook_url:
            return None, "no webhook_url configured"
        timestamp = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(payload, timestamp, secret or self.webhook_secret),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        request = urllib.request.Request(self.webhook_url, payload.encode(), headers)
        try:
            with _NO_PROXY.open(request, timeout=10) as response:
                return response.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, None
        except OSError as exc:
            return None, str(exc)

    def _record(self, event_id, type, attempt, status, error):
        ok = status is not None and 200 <= status < 300
        record = {"event_id": event_id, "type": type, "attempt": attempt}
        record.update(status_code=status, ok=ok, error=error)
        with self.lock:
            self._deliveries.append(record)
        return ok

    # -- faults and the hosted page ----------------------------------------------------

    def _take_fault(self, method, path):
        with self.lock:
            for fault in self._faults:
                pattern = fault["path"]
                prefix = pattern.endswith("*") and path.startswith(pattern[:-1])
                if (path == pattern or prefix) and fault["method"] in (None, method):
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def checkout_page(self, session_id, error=None):
        """(status, html) of the hosted checkout page (with a card's decline message, if any)."""
        with self.lock:
            if session_id not in self.sessions:
                return 404, _page("Not found", "<p>There is no such checkout session.</p>")
            session = copy.deepcopy(self._session(session_id))
            items = self._checkout[session_id]["line_items"]
        if session["status"] != "open":
            return 200, _page("Not payable", f"<p>This checkout session is {session['status']}.</p>")
        currency = session["currency"]
        rows = "".join(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                html.escape(item["name"]),
                item["quantity"],
                format_amount(item["unit_amount"], currency),
                format_amount(item["unit_amount"] * item["quantity"], currency),
            )
            for item in items
        )
        total = format_amount(session["amount_total"], currency)
        taxes = "".join(
            '<tr><th scope="row" colspan="3">{} ({}%{})</th><td>{}</td></tr>'.format(
                html.escape(tax["rate"]["display_name"]),
                f"{Decimal(str(tax['rate']['percentage'])).normalize():f}",
                " included" if tax["inclusive"] else "",
                format_amount(tax["amount"], currency),
            )
            for item in items
            for tax in item["taxes"]
        )
        cancel = session["cancel_url"]
        location = ""
        if session["automatic_tax"]["enabled"]:  # Stripe Tax asks where the buyer is
            options = "".join(f'<option value="{code}">{code}</option>' for code in sorted({*EMULATED_TAX, "US", "CA"}))
            location = (
                '<p><label for="country">Country (for the tax)</label><br>'
                f'<select id="country" name="country" required><option value="">—</option>{options}</select></p>'
            )
        cancel_link = f'<p><a href="{html.escape(cancel)}">Cancel and go back</a></p>' if cancel else ""
        alert = f'<p role="alert" class="notice">{html.escape(error)} No payment was made.</p>' if error else ""
        body = f"""{alert}
<table><caption>Your order</caption>
<thead><tr><th scope="col">Item</th><th scope="col">Quantity</th>
<th scope="col">Unit price</th><th scope="col">Amount</th></tr></thead>
<tbody>{rows}</tbody>
<tfoot>{taxes}<tr><th scope="row" colspan="3">Total</th><td>{total}</td></tr></tfoot></table>
<form method="post" action="/pay/{html.escape(session_id)}">{location}
<p><label for="card">Card number</label><br>
<input id="card" name="card" inputmode="numeric" autocomplete="cc-number" value="{SUCCEEDING_CARD}">
<br><small>Test cards: {SUCCEEDING_CARD} pays; 4000000000000002 is declined.</small></p>
<button type="submit" name="method" value="card">Pay {total}</button>
<button type="submit" name="method" value="delayed">Pay by bank debit (settles later)</button></form>
{cancel_link}"""
        return 200, _page("Checkout", body)


def _page(title, body):
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – Stripe test emulator</title>
<style>
body {{ font: 1rem/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem;
  color: #1a1a1a; }}
.notice {{ border: 2px solid #8a4b00; background: #fff4e0; padding: .5rem 1rem; }}
table {{ border-collapse: collapse; width: 100%; margin: 1rem 0; }}
th, td {{ text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #767676; }}
caption {{ text-align: left; font-weight: bold; }}
button {{ font-size: 1.1rem; padding: .5rem 1.5rem; background: #0a2540; color: #fff; border: 0; }}
:focus-visible {{ outline: 3px solid #0055cc; outline-offset: 2px; }}
</style></head>
<body><main><h1>{title}</h1>
<p class="notice" role="note"><strong>Stripe test emulator — no real payment.</strong>
Nothing is charged; this page stands in for Stripe Checkout in tests.</p>
{body}
</main></body></html>"""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 stalls bursts of clients


class _Handler(BaseHTTPRequestHandler):
    """HTTP plumbing: auth, injected faults, form decoding; logic is in StripeEmulator."""

    protocol_version = "HTTP/1.1"
    server_version = "StripeEmulator/1.0"

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def log_message(self, format, *args):
        if self.server.emulator.verbose:
            super().log_message(format, *args)

    def _route(self, method):
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        emulator = self.server.emulator
        try:
            if url.path.startswith("/v1/"):
                self._api(method, url, body)
            elif url.path.startswith("/pay/"):
                self._hosted_page(method, url.path.removeprefix("/pay/"), dict(parse_qsl(body.decode())))
            elif url.path.startswith("/connect/"):
                status, page, location = emulator.onboarding_page(url.path.removeprefix("/connect/"), method)
                self._send_html(status, page, {"Location": location} if location else None)
            elif url.path.startswith("/_emulator/"):
                try:
                    data = json.loads(body or b"{}")
                except ValueError:
                    data = None
                if not isinstance(data, dict):
                    raise StripeError("The body must be a JSON object.")
                self._send(200, emulator.control(method, url.path, data))
            else:
                raise StripeError(f"Unrecognized request URL ({method}: {url.path}).", status=404)
        except StripeError as exc:
            self._send(exc.status, exc.body())
        except Exception:  # an emulator bug: answer 500 like Stripe, not a reset
            traceback.print_exc(file=sys.stderr)
            self._send(500, StripeError("Emulator bug.", status=500, type="api_error").body())

    def _api(self, method, url, body):
        emulator = self.server.emulator
        scheme, _, credentials = self.headers.get("Authorization", "").partition(" ")
        if scheme == "Basic":  # curl -u sk_test_...: as in Stripe's docs
            try:
                credentials = base64.b64decode(credentials).decode().partition(":")[0]
            except ValueError:
                credentials = ""
        api_key = credentials.strip()
        if not api_key.startswith("sk_test_"):
            raise StripeError(f"Invalid API Key provided: {api_key[:12]}…", status=401)
        fault = emulator._take_fault(method, url.path)
        if fault and fault["mode"] == "rate_limit_429":
            raise StripeError("Injected fault: too many requests.", code="rate_limit", status=429)
        if fault and fault["mode"] == "timeout":  # the request never ran: nothing is saved under its key
            emulator._stopping.wait(fault["seconds"])
            raise StripeError("Injected fault: internal error.", status=500, type="api_error")
        query = body.decode() if method == "POST" else url.query
        params = decode_form(parse_qsl(query, keep_blank_values=True))
        request_id = new_id("req_", 14)
        idempotency_key = self.headers.get("Idempotency-Key")
        status, payload, replayed = emulator.call_api(
            method, url.path, params, api_key, idempotency_key, request_id, fault and fault["mode"]
        )
        if fault and fault["mode"] == "timeout_after_success":  # the work is done, the answer comes too late
            emulator._stopping.wait(fault["seconds"])
        headers = {"Request-Id": request_id, "Stripe-Version": API_VERSION}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        self._send(status, payload, headers)

    def _hosted_page(self, method, session_id, form):
        emulator = self.server.emulator
        if method == "GET":
            self._send_html(*emulator.checkout_page(session_id))
            return
        try:
            session = emulator.pay(
                session_id, form.get("method", "card"), form.get("card", SUCCEEDING_CARD), form.get("country")
            )
        except StripeError as exc:
            if exc.error["type"] == "card_error":  # declined: the page stays open for another card
                status, page = emulator.checkout_page(session_id, error=exc.error["message"])
                self._send_html(402, page)
                return
            text = f"<p>{html.escape(exc.error['message'])} No payment was made.</p>"
            self._send_html(404 if exc.status == 404 else 409, _page("Payment not possible", text))
            return
        location = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        self._send_html(303, _page("Paid", "<p>Redirecting…</p>"), {"Location": location})

    def _send(self, status, data, headers=None):
        self._write(status, json.dumps(data, indent=2).encode(), "application/json", headers)

    def _send_html(self, status, page, headers=None):
        self._write(status, page.encode(), "text/html; charset=utf-8", headers)

    def _write(self, status, payload, content_type, headers):
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up, e.g. on an injected timeout.
            self.close_connection = True
