"""Security promises of the public site: the headers every public page sends (a Content-Security-
Policy with no inline script or style, and no inline script or style in the pages to need one);
ticket, order, waitlist and certificate secrets that cannot be guessed or enumerated; and no
attendee's name or email address in the logs, whatever the flow and whatever the log level."""

import datetime as dt
import logging
import math
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from registrations.models import CheckIn, Order, Registration, WaitlistEntry, new_secret
from registrations.services import certificates
from tests.factories import make_event, make_registration
from tests.registration_helpers import checkout_session_id

URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}


def now_plus(**delta):
    return timezone.now() + dt.timedelta(**delta)


def policy(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


class InlineCode(HTMLParser):
    """Everything in a page a strict CSP would block: inline scripts, styles and handlers."""

    def __init__(self):
        super().__init__()
        self.found = []
        self.in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") not in DATA_SCRIPT_TYPES:
            self.found.append(f"inline <script {attrs}>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs.items():
            if name == "style":
                self.found.append(f"style attribute on <{tag}>")
            if name.startswith("on"):
                self.found.append(f"{name} handler on <{tag}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL on <{tag}>")


def inline_code(html):
    parser = InlineCode()
    parser.feed(html)
    return parser.found


# Headers and CSP on every kind of public page


@pytest.fixture
def site(django_user_model):
    """One of each public page an attendee or a visitor opens, with the data to fill it."""
    event = make_event(
        "Alliance workshop",
        sessions=[(now_plus(hours=-1), now_plus(hours=2))],
        tickets=[("Standard", "120.00")],
        ce_hours="3",
    )
    ended = make_event("Past workshop", sessions=[(now_plus(days=-3), now_plus(days=-3, hours=2))], ce_hours="2")
    ana = make_registration(event, name="Ana Pérez")
    past = make_registration(ended, name="Ana Pérez")
    CheckIn.objects.create(registration=past, session=ended.ordered_sessions[0])
    code = certificates.issue(past)
    door = django_user_model.objects.create_superuser("door", "door@example.com", "pw")
    waitlist = WaitlistEntry.objects.create(
        event=event, ticket_type=event.ticket_types.first(), name="Bea", email="bea@example.com"
    )
    return {
        "home": "/",
        "listing": "/events/",
        "event page": event.url,
        "register form": f"/events/{event.slug}/register/",
        "order": f"/orders/{ana.order.token}/",
        "ticket": f"/tickets/{ana.ticket_secret}/",
        "certificate not yet": f"/tickets/{ana.ticket_secret}/certificate.pdf",
        "certificate verification": f"/certificates/{code}/",
        "waitlist offer lapsed": f"/waitlist/claim/{waitlist.token}/",
        "organizer application": "/organizers/apply/",
        "application sent": "/organizers/apply/thanks/",
        "not found": "/tickets/no-such-ticket/",
        "check-in": (f"/checkin/{event.pk}/", door),
    }


@pytest.mark.django_db
def test_every_public_page_sends_a_strict_policy_and_the_security_headers(site):
    for name, target in site.items():
        url, user = target if isinstance(target, tuple) else (target, None)
        client = Client()
        if user:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code in (200, 403, 404, 410), (name, response.status_code)
        csp = policy(response)
        assert csp["default-src"] == ["'self'"], name
        assert csp["script-src"] == ["'self'"], (name, csp["script-src"])
        assert csp["style-src"] == ["'self'"], (name, csp["style-src"])
        assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"], name
        assert csp["base-uri"] == ["'self'"] and csp["connect-src"] == ["'self'"], name
        assert "'unsafe-inline'" not in " ".join(sum(csp.values(), [])), name
        assert "'unsafe-eval'" not in " ".join(sum(csp.values(), [])), name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["X-Frame-Options"] == "DENY", name
        assert response["Referrer-Policy"] == "same-origin", name
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", name
        permissions = dict(item.split("=", 1) for item in response["Permissions-Policy"].split(", "))
        assert permissions["camera"] == permissions["geolocation"] == "(self)" and permissions["microphone"] == "()"
        if response["Content-Type"].startswith("text/html"):
            assert inline_code(response.content.decode()) == [], name


def test_the_inline_code_finder_finds_what_the_policy_would_block():
    """The check above could fail: the finder sees each kind of inline code, and lets data blocks be."""
    page = (
        '<script>alert(1)</script><script type="application/ld+json">{}</script>'
        '<script type="application/json" id="c">{}</script><script src="/s.js"></script>'
        '<p style="color:red" onclick="x()"><a href="javascript:void(0)">x</a></p><style>p{}</style>'
    )
    assert len(inline_code(page)) == 5


@pytest.mark.django_db
def test_the_event_page_keeps_its_json_ld_as_a_data_block(site, client):
    html = client.get(site["event page"]).content.decode()
    assert '<script type="application/ld+json">' in html


@pytest.mark.django_db
def test_the_wagtail_admin_is_left_out_of_the_policy_but_not_out_of_the_other_headers(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_forms_may_post_on_to_stripe_checkout_or_to_the_emulator_stripe_api_base_names(client, settings):
    event = make_event("Workshop")
    url = f"/events/{event.slug}/register/"
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    assert policy(client.get(url))["form-action"] == ["'self'", "https://checkout.stripe.com"]
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111/"
    assert policy(client.get(url))["form-action"] == ["'self'", "https://checkout.stripe.com", "http://127.0.0.1:12111"]


# Secrets: long, random, and the only way in


def bits_of(generator, samples=1000):
    """Entropy of a secret generator, from what it makes: length × log2(alphabet size), where
    every position must actually vary (a counter or a clock would not) and no value repeats."""
    values = [generator() for _ in range(samples)]
    assert len(set(values)) == samples, "a secret repeated"
    assert len({len(v) for v in values}) == 1
    alphabet = set("".join(values))
    assert alphabet <= URL_SAFE, alphabet - URL_SAFE
    for position in range(len(values[0])):
        counts = Counter(v[position] for v in values)
        # Uniform over 64 symbols (16 in a base64 string's last, partial character): none dominates.
        assert len(counts) >= 16 and counts.most_common(1)[0][1] < samples / 4, position
    return len(values[0]) * math.log2(len(URL_SAFE))


def test_ticket_order_and_waitlist_secrets_have_at_least_128_bits():
    assert bits_of(new_secret) >= 128
    for model, field in ((Registration, "ticket_secret"), (Order, "token"), (WaitlistEntry, "token")):
        assert model._meta.get_field(field).default is new_secret, (model, field)
        assert model._meta.get_field(field).unique


def test_certificate_codes_have_at_least_128_bits():
    assert bits_of(certificates.new_code) >= 128


def test_the_entropy_check_fails_a_guessable_generator():
    counter = iter(range(10**6))
    with pytest.raises(AssertionError):
        bits_of(lambda: f"{next(counter):043d}")


@pytest.mark.django_db
def test_guessed_ids_and_sequential_numbers_open_nothing(client, django_user_model):
    """Every page addressed by a secret answers 404 to the row's id or a neighbour's, and shows nothing."""
    event = make_event("Workshop", sessions=[(now_plus(days=-3), now_plus(days=-3, hours=2))], ce_hours="2")
    ana = make_registration(event, name="Ana Confidential", email="ana.confidential@example.com")
    CheckIn.objects.create(registration=ana, session=event.ordered_sessions[0])
    code = certificates.issue(ana)
    entry = WaitlistEntry.objects.create(
        event=event, ticket_type=event.ticket_types.first(), name="Ana Confidential", email="ana@example.com"
    )
    by_secret = {
        "/tickets/{}/": ana.ticket_secret,
        "/tickets/{}/invite.ics": ana.ticket_secret,
        "/tickets/{}/qr.png": ana.ticket_secret,
        "/tickets/{}/certificate.pdf": ana.ticket_secret,
        "/orders/{}/": ana.order.token,
        "/checkout/cancelled/{}/": ana.order.token,
        "/waitlist/claim/{}/": entry.token,
        "/waitlist/confirm/{}/": entry.token,
        "/certificates/{}/": code,
    }
    for pattern, secret in by_secret.items():
        assert client.get(pattern.format(secret)).status_code in (200, 302, 410), pattern  # the secret opens it
        for guess in {ana.pk, ana.order.pk, entry.pk, ana.pk + 1, 0, 1, 2, str(ana.uid)}:
            response = client.get(pattern.format(guess))
            assert response.status_code == 404, (pattern, guess, response.status_code)
            assert b"Confidential" not in response.content and b"ana." not in response.content
        assert client.post(f"/tickets/{ana.pk}/cancel/").status_code == 404
    ana.refresh_from_db()
    assert ana.status == Registration.Status.CONFIRMED


# No attendee in the logs


NAME, EMAIL = "Zephyrine Okonkwo-Lindqvist", "zephyrine.ol@example.net"


@pytest.fixture
def every_log_at_debug(caplog):
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def attendee_post(event, name=NAME, email=EMAIL, **extra):
    return {
        "ticket_type": event.ticket_types.first().pk,
        "quantity": 1,
        "attendee-0-name": name,
        "attendee-0-email": email,
        "attendee-0-profession": "Psychologist",
        "attendee-0-licence_number": "LIC-1",
        **extra,
    }


def assert_no_attendee_in(caplog):
    assert caplog.records, "nothing was logged: the check would prove nothing"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        for private in (NAME, EMAIL, EMAIL.split("@")[0], "Okonkwo"):
            assert private.lower() not in text.lower(), (record.name, text[:300])


@pytest.mark.django_db(transaction=True)
def test_no_attendee_name_or_email_in_any_log_of_the_main_flows(
    client, stripe_emulator, every_log_at_debug, django_user_model, mailoutbox
):
    staff = django_user_model.objects.create_superuser("door", "door@example.com", "pw")
    admin = Client()
    admin.force_login(staff)

    # Free registration, its ticket, invite and QR code.
    free = make_event("Free workshop", start=now_plus(days=2), capacity=1)
    response = client.post(f"/events/{free.slug}/register/", attendee_post(free))
    assert response.status_code == 302
    seat = Registration.objects.get(email=EMAIL, event=free)
    for suffix in ("", "invite.ics", "qr.png", "certificate.pdf"):
        client.get(f"/tickets/{seat.ticket_secret}/{suffix}")
    client.get(f"/tickets/{seat.ticket_secret[:-1]}/")  # a mistyped link: a 404, logged with its path

    # At the door of an event under way: a search by email, a check-in, an undo.
    today = make_event("Today's workshop", sessions=[(now_plus(hours=-1), now_plus(hours=2))])
    here = make_registration(today, name=NAME, email=EMAIL)
    search = admin.post(f"/checkin/{today.pk}/search/", {"q": EMAIL}, content_type="application/json")
    assert search.json()["results"]
    redeem = f"/checkin/{today.pk}/redeem/"
    redeemed = admin.post(redeem, {"secret": here.ticket_secret, "session": None}, content_type="application/json")
    assert redeemed.json()["result"] == "ok"
    undo = {"check_in": redeemed.json()["check_in"]}
    assert admin.post(f"/checkin/{today.pk}/undo/", undo, content_type="application/json").status_code == 200

    # The waitlist of the now full event, and an email from the organizer to its attendees.
    ticket = free.ticket_types.first().pk
    joined = client.post(f"/events/{free.slug}/waitlist/", {"ticket_type": ticket, "name": NAME, "email": EMAIL})
    assert joined.status_code == 200 and WaitlistEntry.objects.filter(email=EMAIL).exists()
    email_url = f"/admin/registrations/events/{free.pk}/email/"
    message = {"subject": "Room change", "body": "Room 4B."}
    preview = admin.post(email_url, message)
    sent = admin.post(email_url, {**message, "previewed": preview.context["fingerprint"], "send": "1"})
    assert sent.status_code == 302

    # Paid through Stripe Checkout (the emulator), then cancelled and refunded.
    paid = make_event("Paid workshop", tickets=[("Standard", "80.00")], start=now_plus(days=30))
    session_id = checkout_session_id(client.post(f"/events/{paid.slug}/register/", attendee_post(paid)))
    stripe_emulator.pay(session_id)
    assert stripe_emulator.drain(timeout=10)
    client.get(f"/checkout/success/?session_id={session_id}")
    paid_seat = Registration.objects.get(email=EMAIL, event=paid)
    assert paid_seat.status == Registration.Status.CONFIRMED
    client.post(f"/tickets/{paid_seat.ticket_secret}/cancel/", {"confirm": "yes"})
    assert stripe_emulator.drain(timeout=10)
    paid_seat.refresh_from_db()
    assert paid_seat.status == Registration.Status.CANCELLED

    # A certificate of attendance, downloaded and verified.
    ended = make_event("Past workshop", sessions=[(now_plus(days=-3), now_plus(days=-3, hours=2))], ce_hours="2")
    past = make_registration(ended, name=NAME, email=EMAIL)
    CheckIn.objects.create(registration=past, session=ended.ordered_sessions[0])
    assert client.get(f"/tickets/{past.ticket_secret}/certificate.pdf").status_code == 200
    assert client.get(f"/certificates/{certificates.issue(past)}/").status_code == 200

    assert any(EMAIL in m.to for m in mailoutbox)  # the attendee was written to: their address was at hand
    assert_no_attendee_in(every_log_at_debug)


def test_the_log_check_would_catch_an_attendee_in_a_log_line(caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("registrations").info("Confirmed %s", EMAIL)
    with pytest.raises(AssertionError):
        assert_no_attendee_in(caplog)


def test_the_stripe_librarys_request_bodies_and_paths_stay_out_of_the_logs(caplog):
    """Bodies carry the buyer's email; paths the Checkout Session id, a key to the order."""
    caplog.set_level(logging.DEBUG, logger="stripe")
    from stripe import _util

    _util.log_debug("Post details", post_data=f"customer_email={EMAIL}")
    _util.log_info("Request to Stripe api", method="get", url="https://api.stripe.com/v1/checkout/sessions/cs_1")
    logging.getLogger("stripe").warning("Stripe is slow")
    assert [r.getMessage() for r in caplog.records if r.name == "stripe"] == ["Stripe is slow"]
