""" "My events" (registrations/my_events.py, services/sign_in.py): a clinician signs in with a link
emailed to the address they registered with, and finds every registration made with it.

The link works once and for a short time, only its hash is stored, and asking for one tells nobody
whether an address registered; the record shows that person's seats and orders and no one else's."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registrations.models import CheckIn, Registration, SignInLink
from registrations.services import sign_in
from registrations.tasks import sweep
from tests.concurrency import at_once
from tests.factories import OrganizerFactory, make_event, make_registration

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/my-events/sign-in/[\w-]+/)")


@pytest.fixture
def ana():
    """Ana registered (as "Ana@Example.com") for an upcoming event and for one that is over."""
    soon = make_event("Alliance workshop", starts_in=dt.timedelta(days=10), organizer=OrganizerFactory(name="Org A"))
    over = make_event("Grief seminar", starts_in=dt.timedelta(days=-10), organizer=OrganizerFactory(name="Org B"))
    return {
        "soon": make_registration(soon, email="Ana@Example.com"),
        "over": make_registration(over, email="ana@example.com"),
    }


def ask(client, email):
    return client.post("/my-events/sign-in/", {"email": email})


def emailed_link(index=-1):
    return LINK.search(mail.outbox[index].body).group(1)


def signed_in(email="ana@example.com"):
    client = Client()
    ask(client, email)
    client.post(emailed_link())
    return client


# Asking for a link


def test_a_link_is_emailed_to_the_address_with_its_upcoming_tickets(client, ana):
    response = ask(client, "  ANA@example.com ")
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["ana@example.com"]
    assert LINK.search(message.body) and LINK.search(message.alternatives[0][0])
    # The upcoming ticket's own link is in it (for whoever lost it), not the one of the event that is over.
    assert f"/tickets/{ana['soon'].ticket_secret}/" in message.body
    assert ana["over"].ticket_secret not in message.body
    link = SignInLink.objects.get()
    assert link.email == "ana@example.com" and link.used_at is None
    assert link.expires_at - link.created_at == dt.timedelta(minutes=30)


def test_the_email_is_in_the_language_it_was_asked_in(client, ana):
    client.post("/my-events/sign-in/", {"email": "ana@example.com"}, HTTP_ACCEPT_LANGUAGE="es")
    (message,) = mail.outbox
    assert message.subject == "Sus eventos: su enlace para entrar"
    assert "Sus próximas entradas" in message.body and LINK.search(message.body)


def test_the_answer_is_the_same_for_an_address_that_registered_nothing_and_nothing_is_sent(client, ana):
    known = ask(client, "ana@example.com").content.decode().replace("ana@example.com", "ADDRESS")
    mail.outbox.clear()
    unknown = ask(Client(), "nobody@example.com").content.decode().replace("nobody@example.com", "ADDRESS")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip.sub("", known) == strip.sub("", unknown)
    assert mail.outbox == [] and not SignInLink.objects.filter(email="nobody@example.com").exists()


def test_a_buyer_who_registered_others_gets_a_link_too(client):
    event = make_event("Team day")
    make_registration(event, name="Ben", email="ben@example.com", buyer=("Boss", "boss@example.com"))
    ask(client, "boss@example.com")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["boss@example.com"]


@pytest.mark.parametrize("email", ["", "not an address", "a@", "x" * 250 + "@example.com", "ana@example.com\nBcc: x@y"])
def test_a_wrong_address_gets_a_message_and_nothing_is_sent(client, ana, email):
    response = ask(client, email)
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert mail.outbox == [] and not SignInLink.objects.exists()


def test_an_address_gets_at_most_five_links_an_hour(client, ana):
    for _ in range(7):
        ask(Client(), "ana@example.com")
    assert len(mail.outbox) == sign_in.LINKS_PER_ADDRESS_PER_HOUR == 5
    SignInLink.objects.update(created_at=timezone.now() - dt.timedelta(minutes=61))
    ask(client, "ana@example.com")
    assert len(mail.outbox) == 6


def test_one_client_asking_too_often_gets_429_and_nothing_is_sent(client, ana, settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMITS = {"sign_in": "3/h"}
    for _ in range(3):
        assert ask(client, "ana@example.com").status_code == 200
    assert ask(client, "ana@example.com").status_code == 429
    assert len(mail.outbox) == 3


# Using it


def test_opening_the_link_asks_first_and_uses_nothing(client, ana):
    ask(client, "ana@example.com")
    path = emailed_link()
    for _ in range(2):  # a mail scanner, then the person
        response = Client().get(path)
        assert response.status_code == 200 and "Sign in as ana@example.com" in response.content.decode()
    assert SignInLink.objects.get().used_at is None
    assert Client().get("/my-events/").status_code == 302


def test_the_link_signs_in_once(ana):
    client = Client()
    ask(client, "ana@example.com")
    path = emailed_link()
    session = client.session  # a session the browser had before (someone may have planted its key)
    session["seen"] = True
    session.save()
    before = client.cookies["sessionid"].value
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/my-events/"
    assert client.cookies["sessionid"].value != before  # a new session key: no fixation
    assert "Alliance workshop" in client.get("/my-events/").content.decode()
    for other in (client, Client()):
        again = other.post(path)
        assert again.status_code == 404 and "no longer works" in again.content.decode()
        assert other.get(path).status_code == 404
    assert Client().get("/my-events/").status_code == 302


@pytest.mark.postgres
def test_two_uses_at_once_sign_in_once(transactional_db):
    event = make_event("Workshop")
    make_registration(event, email="ana@example.com")
    sign_in.deliver_link.call("ana@example.com", "en", "http://testserver")
    token = emailed_link().rsplit("/", 2)[-2]
    results = at_once([lambda: sign_in.use(token)] * 4)
    assert results.count("ana@example.com") == 1 and results.count(None) == 3


def test_an_expired_link_signs_nobody_in(client, ana):
    ask(client, "ana@example.com")
    path, token = emailed_link(), emailed_link().rsplit("/", 2)[-2]
    link = SignInLink.objects.get()
    assert sign_in.pending(token, now=link.expires_at) is None
    assert sign_in.use(token, now=link.expires_at) is None
    SignInLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert client.get("/my-events/").status_code == 302
    assert SignInLink.objects.get().used_at is None


def test_a_guessed_link_or_the_stored_hash_signs_nobody_in(client, ana):
    ask(client, "ana@example.com")
    stored = SignInLink.objects.get().token_hash
    assert stored not in mail.outbox[0].body  # the database holds only the hash of what was sent
    for token in (stored, "A" * 43, "x"):
        assert client.post(f"/my-events/sign-in/{token}/").status_code == 404
    assert client.get("/my-events/sign-in/not a token/").status_code == 404
    assert client.get("/my-events/").status_code == 302


def test_the_sweep_forgets_links_a_day_after_they_expire(client, ana):
    ask(client, "ana@example.com")
    ask(client, "ana@example.com")
    now = timezone.now()
    SignInLink.objects.filter(pk=SignInLink.objects.first().pk).update(expires_at=now - dt.timedelta(hours=25))
    SignInLink.objects.filter(pk=SignInLink.objects.last().pk).update(expires_at=now - dt.timedelta(hours=23))
    assert sweep.call()["sign_in_links_deleted"] == 1
    assert SignInLink.objects.count() == 1


# The record


def test_the_record_shows_every_registration_of_the_address_and_no_one_elses(ana):
    other = make_registration(ana["soon"].event, name="Zed Other", email="zed@example.com")
    make_registration(ana["soon"].event, name="Ana Unpaid", email="ana@example.com", status="held")
    cancelled = make_registration(make_event("Cancelled one"), email="ana@example.com", status="cancelled")
    page = signed_in().get("/my-events/").content.decode()
    upcoming, past = page.split('id="past-heading"')
    assert "Alliance workshop" in upcoming and "Org A" in upcoming and "Grief seminar" in past
    assert f"/tickets/{ana['soon'].ticket_secret}/invite.ics" in upcoming
    assert "Cancelled one" in upcoming and f"/tickets/{cancelled.ticket_secret}/invite.ics" not in page
    assert "Zed Other" not in page and other.ticket_secret not in page and "Ana Unpaid" not in page


def test_a_certificate_is_offered_for_a_past_event_attended_only(ana):
    certificate = f"/tickets/{ana['over'].ticket_secret}/certificate.pdf"
    client = signed_in()
    assert certificate not in client.get("/my-events/").content.decode()
    CheckIn.objects.create(registration=ana["over"], session=ana["over"].event.sessions.first())
    assert certificate in client.get("/my-events/").content.decode()
    assert client.get(certificate).status_code == 200
    Registration.objects.filter(pk=ana["over"].pk).update(status="cancelled")
    assert certificate not in client.get("/my-events/").content.decode()


def test_the_buyer_sees_the_orders_they_placed(client):
    event = make_event("Team day")
    registration = make_registration(event, name="Ben", email="ben@example.com", buyer=("Boss", "boss@example.com"))
    page = signed_in("boss@example.com").get("/my-events/").content.decode()
    assert f"/orders/{registration.order.token}/" in page and "Team day" in page
    assert registration.ticket_secret not in page  # Ben's ticket is Ben's


def test_the_record_costs_the_same_queries_for_one_registration_or_many(ana):
    client = signed_in()
    with CaptureQueriesContext(connection) as few:
        client.get("/my-events/")
    for n in range(4):
        make_registration(make_event(f"More {n}", organizer=OrganizerFactory()), email="ana@example.com")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/my-events/")
    assert "More 3" in response.content.decode()
    assert len(many) == len(few)


def test_signing_out_ends_it(ana):
    client = signed_in()
    assert client.get("/my-events/").status_code == 200
    response = client.post("/my-events/sign-out/", follow=True)
    assert "You are signed out." in response.content.decode()
    assert client.get("/my-events/").status_code == 302
    assert client.get("/my-events/sign-out/").status_code == 405


def test_no_cache_keeps_any_of_these_pages(client, ana):
    ask(client, "ana@example.com")
    path = emailed_link()
    responses = [client.get("/my-events/sign-in/"), ask(client, "ana@example.com"), client.get(path)]
    client.post(path)
    responses.append(client.get("/my-events/"))
    for response in responses:
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert response["Referrer-Policy"] == "same-origin"
