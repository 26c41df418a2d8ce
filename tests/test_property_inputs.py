"""Whatever a visitor posts to the registration form, or a phone sends to the check-in endpoint,
the answer is never a server error and never a partial write.

Each example runs inside a savepoint that is rolled back afterwards, so every example starts from
the same seats and the same check-ins. (The listing's query string has its own property test in
test_listing_robustness.py.)
"""

import datetime as dt
import json
from urllib.parse import quote

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from registrations.models import CheckIn, Order, Registration
from tests.factories import make_event, make_registration

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

PROPERTY_SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

# Strings people (and scripts) type: any unicode, numbers of every shape, very long text.
AWKWARD = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "1.5",
        "1e3",
        "²",  # a digit to str.isdigit(), not to int()
        "١",  # Arabic-Indic one: a decimal digit
        "9" * 5000,  # more digits than int() converts
        "99999999999999999999",
        "NaN",
        "\x00",
        "a\x00b",
        "null",
        "true",
        "[]",
        "😀" * 50,
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "x" * 20_000,
        "ana@example.com",
        "ana@exämple.com",
    ]
)
TEXT = st.one_of(st.text(max_size=60), AWKWARD, st.integers().map(str))
# What a number field gets: numbers, and characters Python calls digits (², ١, ⅷ) in any mix.
NUMBERISH = st.one_of(
    AWKWARD,
    st.integers(-(2**70), 2**70).map(str),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=4),
)


def savepoint_counts():
    return {
        "orders": Order.objects.count(),
        "registrations": Registration.objects.count(),
        "holds": Registration.objects.filter(status=Registration.Status.HELD).count(),
        "check_ins": CheckIn.objects.count(),
    }


class Ref:
    """Stands in, inside a drawn example, for an object the test's fixture makes (its id or
    secret is only known then): `Ref("ticket", 0)` is the first ticket type's id."""

    def __init__(self, kind, index, suffix=""):
        self.kind, self.index, self.suffix = kind, index, suffix

    def __repr__(self):
        return f"Ref({self.kind!r}, {self.index}{f', {self.suffix!r}' if self.suffix else ''})"


def resolve(value, refs):
    """`value` with every Ref replaced by what it stands for."""
    if isinstance(value, Ref):
        found = refs[value.kind][value.index]
        return f"{found}{value.suffix}" if value.suffix else found
    if isinstance(value, list):
        return [resolve(item, refs) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, refs) for key, item in value.items()}
    return value


def in_rolled_back_savepoint(action):
    """Run `action()` in a savepoint that is then rolled back; return its result."""
    with transaction.atomic():
        result = action()
        transaction.set_rollback(True)
    return result


# The registration form


@pytest.fixture
def ce_event():
    """Free tickets (so success needs no payment), CE fields required, a ticket type with one seat,
    one no longer on sale; and another event's ticket type, which must be refused here."""
    event = make_event(
        "Property workshop", tickets=[("Free", "0"), ("Last seat", "0"), ("Closed", "0")], capacity=6, ce_hours=3
    )
    last_seat = event.ticket_types.get(name="Last seat")
    last_seat.capacity = 1
    last_seat.save()
    closed = event.ticket_types.get(name="Closed")
    closed.sales_end = timezone.now() - dt.timedelta(days=1)
    closed.save()
    other = make_event("Other workshop", tickets=[("Other", "0")])
    ticket_ids = [t.pk for t in event.ticket_types.order_by("pk")] + [other.ticket_types.get().pk]
    return event, {"ticket": ticket_ids}


TICKET_REFS = [Ref("ticket", i) for i in range(4)]
ATTENDEE_FIELDS = ("name", "email", "profession", "licence_number")
FORM_FIELDS = (
    ["ticket_type", "quantity", "consent", "csrfmiddlewaretoken", "unknown"]
    + [f"attendee-{i}-{field}" for i in range(4) for field in ATTENDEE_FIELDS]
    + ["attendee--1-name", "attendee-10-email", "attendee-0-name-extra"]
)


def valid_form(ticket_type, quantity):
    data = {"ticket_type": ticket_type, "quantity": str(quantity)}
    for i in range(quantity):
        data.update(
            {
                f"attendee-{i}-name": f"Attendee {i}",
                f"attendee-{i}-email": f"attendee{i}@example.com",
                f"attendee-{i}-profession": "Psychologist",
                f"attendee-{i}-licence_number": f"LIC-{i}",
            }
        )
    return data


# A field's new value: removed (None), one value, or the field repeated with several values.
FIELD_VALUE = st.one_of(st.none(), TEXT, st.lists(TEXT, min_size=2, max_size=3))


@st.composite
def registration_posts(draw):
    """Mostly valid forms with a few fields broken, removed or repeated, so both outcomes occur."""
    data = valid_form(draw(st.sampled_from(TICKET_REFS)), draw(st.integers(1, 3)))
    changes = draw(st.dictionaries(st.sampled_from(FORM_FIELDS), FIELD_VALUE, max_size=4))
    for field in ("ticket_type", "quantity"):
        if draw(st.booleans()):
            changes[field] = draw(st.one_of(NUMBERISH, FIELD_VALUE))
    for field, value in changes.items():
        if value is None:
            data.pop(field, None)
        else:
            data[field] = value
    return data


@PROPERTY_SETTINGS
@given(post=registration_posts())
@example(post={**valid_form(TICKET_REFS[0], 1), "quantity": "²"})
@example(post={**valid_form(TICKET_REFS[0], 1), "quantity": "9" * 5000})
@example(post={**valid_form(TICKET_REFS[1], 2)})  # one seat of this type left
@example(post={**valid_form(TICKET_REFS[2], 1)})  # not on sale any more
@example(post={**valid_form(TICKET_REFS[3], 1)})  # another event's ticket
def test_any_registration_post_is_answered_and_writes_all_or_nothing(client, ce_event, post):
    event, refs = ce_event
    post = resolve(post, refs)
    url = f"/events/{event.slug}/register/"

    def attempt():
        before = savepoint_counts()
        response = client.post(url, post)
        return response, before, savepoint_counts()

    response, before, after = in_rolled_back_savepoint(attempt)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert response["Location"].startswith("/orders/")
        seats = after["registrations"] - before["registrations"]
        assert after["orders"] == before["orders"] + 1 and 1 <= seats <= 10
        assert after["holds"] == before["holds"]  # free tickets confirm at once
    else:
        assert after == before
    # The form's first view takes the ticket and the quantity from the query string.
    query = {"ticket": post.get("ticket_type", ""), "quantity": post.get("quantity", "")}
    assert client.get(url, query).status_code == 200


@PROPERTY_SETTINGS
@given(
    body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/json",
            "text/plain",
            "application/octet-stream",
        ]
    ),
)
def test_a_malformed_registration_body_is_refused_without_writing(client, ce_event, body, content_type):
    event, _ = ce_event
    before = savepoint_counts()
    response = in_rolled_back_savepoint(
        lambda: client.post(f"/events/{event.slug}/register/", body, content_type=content_type)
    )
    assert response.status_code in (200, 400)
    assert savepoint_counts() == before


# The check-in endpoint


RESULTS = {"ok", "already", "unpaid", "cancelled", "wrong_event", "unknown"}
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
# The door's fixture: a confirmed, a held and a cancelled ticket at this event, one at another.
SECRETS = [Ref("secret", i) for i in range(4)]
REGISTRATIONS = [Ref("registration", i) for i in range(4)]
SESSIONS = [Ref("session", i) for i in range(3)]


@pytest.fixture
def door(client, django_user_model):
    """A superuser at the door of an event with two sessions, and tickets in every state."""
    now = timezone.now()
    event = make_event(
        "Door workshop",
        sessions=[(now - dt.timedelta(hours=1), now + dt.timedelta(hours=2)), (now + dt.timedelta(days=1, hours=1), now + dt.timedelta(days=1, hours=3))],
        tickets=[("Standard", "0")],
    )  # fmt: skip
    other = make_event("Elsewhere", tickets=[("Standard", "0")])
    registrations = [
        make_registration(event, name="Ana Confirmed", email="ana@example.com"),
        make_registration(event, name="Hal Held", email="hal@example.com", status=Registration.Status.HELD),
        make_registration(event, name="Cas Cancelled", email="cas@example.com", status=Registration.Status.CANCELLED),
        make_registration(other, name="Wen Elsewhere", email="wen@example.com"),
    ]
    client.force_login(django_user_model.objects.create_superuser("door", "door@example.com", "pw"))
    refs = {
        "secret": [r.ticket_secret for r in registrations],
        "registration": [r.pk for r in registrations],
        "session": [s.pk for s in event.ordered_sessions] + [other.ordered_sessions[0].pk],
    }
    return event, refs


SECRET_VALUES = st.one_of(
    st.sampled_from(SECRETS),
    st.builds(Ref, st.just("secret"), st.integers(0, 3), st.sampled_from(["\x00", " ", "x", "\n", "😀"])),
    TEXT,
    JSON_VALUES,
)
OPTIONAL_FIELDS = {
    "session": st.one_of(st.none(), st.sampled_from(SESSIONS), st.integers(), JSON_VALUES),
    "method": st.one_of(st.sampled_from(["scan", "typed", "search", "bulk"]), JSON_VALUES),
    "extra": JSON_VALUES,
}
REDEEM_BODIES = st.one_of(
    # What the page sends: a ticket code, or a registration found by name; any field of any type.
    st.fixed_dictionaries({"secret": SECRET_VALUES}, optional=OPTIONAL_FIELDS),
    st.fixed_dictionaries(
        {"registration": st.one_of(st.sampled_from(REGISTRATIONS), st.integers(), JSON_VALUES)},
        optional={"secret": SECRET_VALUES, **OPTIONAL_FIELDS},
    ),
    JSON_VALUES,
).map(lambda value: ("json", value))
RAW_BODIES = st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)).map(lambda raw: ("raw", raw))
CONTENT_TYPES = st.sampled_from(
    ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)


@PROPERTY_SETTINGS
@given(body=st.one_of(REDEEM_BODIES, REDEEM_BODIES, RAW_BODIES), content_type=CONTENT_TYPES)
@example(body=("json", {"secret": Ref("secret", 0, "\x00")}), content_type="application/json")
@example(body=("json", {"registration": 2**70}), content_type="application/json")
@example(body=("json", {"secret": Ref("secret", 0), "session": 2**70}), content_type="application/json")
@example(body=("json", {"secret": Ref("secret", 0), "session": Ref("session", 2)}), content_type="application/json")
@example(body=("json", {"registration": Ref("registration", 3)}), content_type="application/json")
def test_any_check_in_request_gets_a_json_answer_and_checks_in_only_on_ok(client, door, body, content_type):
    event, refs = door
    kind, value = body
    raw = json.dumps(resolve(value, refs)).encode() if kind == "json" else value

    def attempt():
        before = CheckIn.objects.count()
        response = client.post(f"/checkin/{event.pk}/redeem/", raw, content_type=content_type)
        return response, before, CheckIn.objects.count()

    response, before, after = in_rolled_back_savepoint(attempt)
    assert response.status_code in (200, 400), response.status_code
    payload = response.json()
    if response.status_code == 200:
        assert payload["result"] in RESULTS
        assert after == before + (1 if payload["result"] == "ok" else 0)
    else:
        assert isinstance(payload["error"], str) and payload["error"]
        assert after == before


# The links that carry a secret


SECRET_URLS = [
    "/tickets/{}/",
    "/tickets/{}/invite.ics",
    "/tickets/{}/qr.png",
    "/tickets/{}/certificate.pdf",
    "/orders/{}/",
    "/waitlist/claim/{}/",
    "/waitlist/confirm/{}/",
    "/checkout/cancelled/{}/",
    "/certificates/{}/",
    "/checkout/success/?session_id={}",
]
TOKENS = st.one_of(TEXT, st.sampled_from(["cs_test_123", "cs_\x00", "a\x00b", "%00", "..", "-", "_"]))


@PROPERTY_SETTINGS
@given(url=st.sampled_from(SECRET_URLS), token=TOKENS, method=st.sampled_from(["get", "post"]))
@example(url="/tickets/{}/", token="a\x00b", method="get")
@example(url="/checkout/success/?session_id={}", token="cs_\x00", method="get")
@example(url="/certificates/{}/", token="\x00", method="get")
def test_no_secret_in_a_link_makes_a_server_error(client, settings, url, token, method):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE = "sk_test_nobody", "http://127.0.0.1:9"  # Stripe unreachable
    settings.STRIPE_MAX_RETRIES = 0
    response = getattr(client, method)(url.format(quote(token, safe="")))
    assert response.status_code < 500
