"""No address answers a server error, whatever is put in its path or its query string, for a
visitor or for staff, on SQLite and on PostgreSQL.

The URL patterns are read from the URL configuration (as test_url_access.py reads them), so a new
view is fuzzed without being listed here: each path parameter gets odd values (ids past 64 bits,
"²", NUL, other scripts' digits, nothing) while the others stay valid, and each view gets odd values
of every query parameter the project reads. Wagtail's own admin is left to Wagtail.
"""

import re
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import get_resolver
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from registrations.services import certificates
from tests.test_property_inputs import NUMBERISH, TEXT, in_rolled_back_savepoint
from tests.test_url_access import is_wagtails_own_admin, walk, world  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ROUTES = [
    (route, name)
    for route, name, module in walk(get_resolver().url_patterns)
    if not is_wagtails_own_admin(route, module)
]
PARAMETER = re.compile(r"<(?:\w+:)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")

# What a path parameter is tried with: past SQLite's and PostgreSQL's integers, Unicode digits,
# NUL (PostgreSQL refuses it in text), very long, empty, negative.
ODD_PATH_VALUES = [
    "0",
    "-1",
    str(2**63 - 1),
    str(2**63),
    "9" * 20,
    "9" * 5000,
    "²",
    "١٢",
    "\x00",
    "a\x00b",
    "",
    "x" * 300,
    "😀",
    "..",
]
# Every query parameter a view of ours reads (listing, API, feeds, check-in, admin filters...).
QUERY_PARAMETERS = [
    "page", "page_size", "p", "session", "ticket", "quantity", "q", "start", "end", "format", "topic",
    "organizer", "city", "sort", "ordering", "event", "status", "ticket_type", "session_id", "next",
    "export", "lang", "tz", "after", "exact",
]  # fmt: skip


def valid_values(name, w):
    """A working value of each path parameter of `name`'s pattern, from the test_url_access world."""
    event, order, seat, waiting = w["event"], w["order"], w["seat"], w["waiting"]
    code = certificates.issue(seat) if certificates.eligible(seat) else "none-yet"
    pk = {
        "registrations_orders": order.pk,
        "registrations_attendees": seat.pk,
        "wagtailsnippets_events_organizerapplication": w["application"].pk,
    }.get(name.split(":")[0], event.pk)
    return {
        "event_id": event.pk,
        "registration_id": seat.pk,
        "pk": pk,
        "refund_pk": w["refund"].pk,
        "token": waiting.token if name == "registrations:waitlist_claim" else order.token,
        "secret": seat.ticket_secret,
        "code": code,
        "slug": event.slug,
        "spreadsheet_format": "csv",
    }


def address(route, values):
    """`route` (a path() route or a regex, as walk() gives them) with its parameters filled in."""

    def fill(match):
        return quote(str(values.get(match["name"] or match["group"], "1")), safe="")

    path = PARAMETER.sub(fill, route).replace("^", "").replace("$", "").replace("\\.", ".")
    if "(" in path:  # an unnamed group (Wagtail's page serving, document serving): a plain path
        path = re.sub(r"\(.*\)", "1/x", path)
    return "/" + path


def parameters(route):
    return [match["name"] or match["group"] for match in PARAMETER.finditer(route)]


@pytest.fixture
def clients(world):  # noqa: F811
    staff = Client()
    staff.force_login(world["users"]["superuser"])
    team = Client()
    team.force_login(world["users"]["own_team"])
    return {"anonymous": Client(), "team": team, "superuser": staff}


def answer(client, method, url, body=None):
    def send():
        if method == "post":
            return client.post(url, body or {}, content_type="application/json")
        return client.get(url)

    return in_rolled_back_savepoint(send)


def test_every_pattern_is_fuzzed():
    """The walker found our views, including the admin ones and those with several parameters."""
    names = {name for route, name in ROUTES}
    assert {"registrations:checkin_redeem", "registrations_orders:retry_refund", "api_events"} <= names
    assert parameters("admin/registrations/orders/<id:pk>/refunds/<id:refund_pk>/retry/") == ["pk", "refund_pk"]


@pytest.mark.parametrize("role", ["anonymous", "superuser"])
def test_no_path_parameter_value_is_a_server_error(world, clients, role):  # noqa: F811
    client, errors = clients[role], []
    for route, name in ROUTES:
        valid = valid_values(name, world)
        for parameter in parameters(route):
            for odd in ODD_PATH_VALUES:
                url = address(route, {**valid, parameter: odd})
                status = answer(client, "get", url).status_code
                if status == 405:  # a POST endpoint (check-in's, the webhook)
                    status = answer(client, "post", url).status_code
                if status >= 500:
                    errors.append((name, parameter, odd[:30], status))
    assert errors == []


@pytest.mark.parametrize("role", ["anonymous", "superuser"])
def test_no_view_fails_on_every_query_parameter_at_once(world, clients, role):  # noqa: F811
    client, errors = clients[role], []
    for route, name in ROUTES:
        url = address(route, valid_values(name, world))
        for odd in ("²", "9" * 20, "\x00", "-1"):
            status = answer(client, "get", f"{url}?{urlencode(dict.fromkeys(QUERY_PARAMETERS, odd))}").status_code
            if status >= 500:
                errors.append((name, odd, status))
    assert errors == []


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    route=st.sampled_from(ROUTES),
    role=st.sampled_from(["anonymous", "team", "superuser"]),
    query=st.dictionaries(st.sampled_from(QUERY_PARAMETERS), st.one_of(NUMBERISH, TEXT), min_size=1, max_size=4),
)
@example(route=("api/events/", "api_events"), role="anonymous", query={"page": "²"})
@example(route=("api/events/suggest/", "api_events_suggest"), role="anonymous", query={"q": "a\x00b"})
@example(route=("api/events/", "api_events"), role="anonymous", query={"page_size": "²"})
@example(route=("checkin/<id:event_id>/", "registrations:checkin"), role="superuser", query={"session": "²"})
@example(
    route=("admin/registrations/orders/", "registrations_orders:index"), role="superuser", query={"event": "9" * 20}
)
@example(
    route=("admin/registrations/attendees/", "registrations_attendees:index"),
    role="superuser",
    query={"ticket_type": "9" * 20},
)
def test_no_query_string_is_a_server_error(world, clients, route, role, query):  # noqa: F811
    route, name = route
    url = address(route, valid_values(name, world)) + "?" + urlencode(query)
    response = answer(clients[role], "get", url)
    assert response.status_code < 500, (url, response.status_code)
