"""Following an organizer or a saved search by email: the subscribe page (never cached, no address
enumeration, rate limited), the confirmation link (once, for a week), the weekly digest (only what is
new, in the reader's language, once), and unsubscribing in one click."""

import asyncio
import datetime as dt
import email
import email.policy
import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.digests import send_digests
from events.listing import EventFilterSet
from events.models import EventPage, ListingEntry, Subscription
from events.subscriptions import confirm
from tests.factories import OrganizerFactory, TopicFactory, VenueFactory, delete_all_events, event_index, make_event
from tests.local_servers import smtp_server

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# The fixed clock: subscribed on 1 June 2030, the digest runs a week later; events are in 2031.
SUBSCRIBED = dt.datetime(2030, 6, 1, 7, tzinfo=dt.UTC)
DURING_THE_WEEK = dt.datetime(2030, 6, 4, 12, tzinfo=dt.UTC)
DIGEST_RUN = dt.datetime(2030, 6, 8, 7, tzinfo=dt.UTC)
NEXT_WEEK = dt.datetime(2030, 6, 15, 7, tzinfo=dt.UTC)
IN_2031 = dt.datetime(2031, 3, 10, 14, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def listing(request):
    if "some_filters" not in request.fixturenames:
        return event_index()


@pytest.fixture
def alliance():
    return OrganizerFactory(name="Alliance Institute", slug="alliance-institute", email="hello@alliance.example")


@pytest.fixture
def trauma():
    return TopicFactory(name="Trauma", slug="trauma")


@pytest.fixture
def boston():
    return VenueFactory(name="Harbor Hall", city="Boston", country="US", time_zone="America/New_York")


def published(event, moment):
    """As if `event` had first been published at `moment` (the fixed clock)."""
    EventPage.objects.filter(pk=event.pk).update(first_published_at=moment)
    ListingEntry.objects.filter(page_id=event.pk).update(first_published_at=moment)
    return event


def new_event(title, moment=DURING_THE_WEEK, start=IN_2031, **fields):
    return published(make_event(title, start=start, **fields), moment)


def subscription(email="ana@example.com", *, query="", organizer=None, language="en", confirmed=SUBSCRIBED):
    listing = event_index()
    kind = Subscription.Kind.ORGANIZER if organizer else Subscription.Kind.SEARCH
    made = Subscription.objects.create(
        email=email, listing=listing, kind=kind, organizer=organizer, query=query, language=language
    )
    made.confirmation_sent_at = confirmed or SUBSCRIBED
    made.save()
    if confirmed:
        confirm(made, now=confirmed)
        made.refresh_from_db()
    return made


def confirm_link(message):
    return re.search(r"http://testserver(/subscriptions/confirm/[^/\s]+/)", message.body).group(1)


def same_page(response):
    """The page without its CSRF tokens (the language switcher's), which differ at each request."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


# The subscribe page


def test_the_subscribe_page_says_in_words_what_is_followed_and_is_never_cached(client, alliance, trauma):
    response = client.get("/events/subscribe/?city=Boston&topic=trauma&sort=newest")
    assert response.status_code == 200
    assert "Events in Boston about Trauma" in response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-cache"} <= cache_control

    by_organizer = client.get("/events/subscribe/?organizer=alliance-institute")
    assert "Events by Alliance Institute" in by_organizer.content.decode()


def test_the_listing_and_the_event_page_link_to_it_and_carry_no_form(client, alliance, boston):
    event = make_event("Rupture and repair", organizer=alliance, venue=boston)
    listing = client.get("/events/?city=Boston")
    assert 'href="/events/subscribe/?city=Boston"' in listing.content.decode()
    assert "Email me new events like these" in listing.content.decode()
    page = client.get(event.url)
    assert 'href="/events/subscribe/?organizer=alliance-institute"' in page.content.decode()
    for response in (listing, page):  # no subscribe form: no CSRF token of ours in a publicly cached page
        assert 'type="email"' not in response.content.decode()
        assert 'method="post" action=""' not in response.content.decode()


def test_subscribing_saves_the_filters_canonically_and_emails_a_confirmation(client, mailoutbox, trauma):
    response = client.post(
        "/events/subscribe/?topic=trauma&city=Boston&sort=newest&page=2&junk=1", {"email": "Ana@Example.com"}
    )
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    (saved,) = Subscription.objects.all()
    assert (saved.email, saved.kind, saved.query, saved.language) == (
        "ana@example.com",
        "search",
        "city=Boston&topic=trauma",
        "en",
    )
    assert saved.confirmed_at is None
    (message,) = mailoutbox
    assert message.to == ["ana@example.com"]
    assert message.subject == "Confirm your email updates: Events in Boston about Trauma"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert saved.confirm_token in confirm_link(message)
    assert "ana@example.com" not in message.body.replace(message.to[0], "")  # (only as the recipient)


def test_a_search_of_only_an_organizer_follows_the_organizer_itself(client, alliance, mailoutbox):
    client.post("/events/subscribe/?organizer=alliance-institute", {"email": "ana@example.com"})
    (saved,) = Subscription.objects.all()
    assert (saved.kind, saved.organizer, saved.query) == ("organizer", alliance, "")


def test_the_answer_is_the_same_whether_the_address_is_new_pending_or_confirmed(client, mailoutbox, trauma):
    url = "/events/subscribe/?topic=trauma"
    first = client.post(url, {"email": "ana@example.com"})
    again = client.post(url, {"email": "ana@example.com"})
    Subscription.objects.update(confirmed_at=SUBSCRIBED)
    confirmed = client.post(url, {"email": "ana@example.com"})
    assert first.status_code == again.status_code == confirmed.status_code == 200
    assert same_page(first) == same_page(again) == same_page(confirmed)
    assert Subscription.objects.count() == 1  # no duplicate
    assert len(mailoutbox) == 1  # asked again at once: not sent again; confirmed: never


def test_asking_again_later_sends_the_confirmation_again(client, mailoutbox, trauma):
    url = "/events/subscribe/?topic=trauma"
    client.post(url, {"email": "ana@example.com"})
    Subscription.objects.update(confirmation_sent_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    client.post(url, {"email": "ana@example.com"}, headers={"Accept-Language": "es"})
    assert len(mailoutbox) == 2
    assert Subscription.objects.get().language == "es"  # the language asked in last


def test_one_address_gets_only_a_few_unanswered_confirmations_a_day(client, mailoutbox):
    for n in range(7):
        client.post(f"/events/subscribe/?q=word{n}", {"email": "victim@example.com"})
    assert len(mailoutbox) == 5
    client.post("/events/subscribe/?q=other", {"email": "someone.else@example.com"})
    assert len(mailoutbox) == 6


def test_the_other_filters_are_listed_in_words(client):
    page = client.get("/events/subscribe/?format=online&max_price=0&ce=1&start=2031-01-05").content.decode()
    for line in ("Format: Online (includes hybrid)", "Maximum price: 0", "Offers CE credits", "From: Jan. 5, 2031"):
        assert line in page


def test_a_bad_address_gets_a_form_error_and_creates_nothing(client, mailoutbox):
    response = client.post("/events/subscribe/?city=Boston", {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not Subscription.objects.exists() and not mailoutbox


def test_subscribing_is_rate_limited_per_address(client, settings, mailoutbox):
    settings.RATELIMIT_ENABLE, settings.CLIENT_IP_HEADER = True, ""
    settings.RATELIMITS = {"subscribe": "2/h"}  # (an hour: a minute's window could end mid-test)
    for n in range(2):
        assert client.post("/events/subscribe/", {"email": f"reader{n}@example.com"}).status_code == 200
    refused = client.post("/events/subscribe/", {"email": "reader2@example.com"})
    assert refused.status_code == 429
    assert Subscription.objects.count() == 2 and len(mailoutbox) == 2
    assert client.get("/events/subscribe/").status_code == 200  # reading the form is never limited


# Confirming


def test_the_confirmation_link_works_once(client, mailoutbox, trauma):
    client.post("/events/subscribe/?topic=trauma", {"email": "ana@example.com"})
    link = confirm_link(mailoutbox[0])
    shown = client.get(link)
    assert shown.status_code == 200 and "Events about Trauma" in shown.content.decode()
    assert Subscription.objects.get().confirmed_at is None  # opening the link (a mail scanner) confirms nothing
    assert client.post(link).status_code == 200
    saved = Subscription.objects.get()
    assert saved.confirmed_at is not None and saved.sent_until == saved.confirmed_at
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404


def test_an_expired_or_tampered_confirmation_link_is_404_and_confirms_nothing(client, mailoutbox, trauma):
    client.post("/events/subscribe/?topic=trauma", {"email": "ana@example.com"})
    link = confirm_link(mailoutbox[0])
    assert client.post(link[:-3] + "x/").status_code == 404
    Subscription.objects.update(confirmation_sent_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=7, minutes=1))
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404
    assert Subscription.objects.get().confirmed_at is None


# The digest


def test_unconfirmed_subscriptions_get_nothing_and_are_purged_after_a_week(mailoutbox, trauma):
    pending = subscription(query="topic=trauma", confirmed=None)
    new_event("Trauma workshop", topics=[trauma])
    assert send_digests(now=DIGEST_RUN)["sent"] == 0
    assert not mailoutbox
    assert Subscription.objects.filter(pk=pending.pk).exists()  # its link works until 8 June, 07:00
    assert send_digests(now=NEXT_WEEK) == {
        "sent": 0,
        "nothing new": 0,
        "invalid": 0,
        "failed": 0,
        "queued": 0,
        "purged": 1,
    }
    assert not Subscription.objects.filter(pk=pending.pk).exists()


def test_a_digest_lists_what_is_new_for_the_saved_filters(mailoutbox, trauma, boston, alliance):
    subscription(query="city=Boston&topic=trauma")
    new_event("Trauma in Boston", topics=[trauma], venue=boston, organizer=alliance)
    new_event("Trauma online", topics=[trauma])  # not in Boston
    new_event("Grief in Boston", venue=boston)  # not about trauma
    new_event("Trauma of last month", moment=SUBSCRIBED - dt.timedelta(days=30), topics=[trauma], venue=boston)
    new_event("Trauma after the run", moment=DIGEST_RUN + dt.timedelta(minutes=1), topics=[trauma], venue=boston)
    ended = new_event("Trauma, over", topics=[trauma], venue=boston)
    EventPage.objects.filter(pk=ended.pk).update(end=DURING_THE_WEEK)
    ListingEntry.objects.filter(page_id=ended.pk).update(end=DURING_THE_WEEK)

    assert send_digests(now=DIGEST_RUN)["sent"] == 1
    (message,) = mailoutbox
    assert message.subject == "New: Events in Boston about Trauma"
    assert message.to == ["ana@example.com"]
    titles = re.findall(r"^(Trauma.*|Grief.*)$", message.body, re.MULTILINE)
    assert titles == ["Trauma in Boston"]
    assert "http://localhost/events/trauma-in-boston/" in message.body
    html = message.alternatives[0][0]
    assert 'href="http://localhost/events/trauma-in-boston/"' in html and '<html lang="en">' in html
    assert "Monday, March 10, 2031" not in message.body  # (a weekday name is not in DATETIME_FORMAT)
    assert "March 10, 2031, 10 a.m. EDT" in message.body  # in the event's own zone
    assert "Boston, United States of America · Alliance Institute" in message.body


def test_a_digest_of_a_text_search_finds_what_the_listing_finds(mailoutbox):
    subscription(query="q=alliance+rupture")
    new_event("Alliance ruptures and repair")
    new_event("Alliance basics")
    send_digests(now=DIGEST_RUN)
    (message,) = mailoutbox
    assert message.subject == "New: Events matching “alliance rupture”"
    assert "Alliance ruptures and repair" in message.body and "Alliance basics" not in message.body


def test_a_digest_of_an_organizer_lists_its_new_events_anywhere(mailoutbox, alliance, boston):
    subscription(organizer=alliance)
    new_event("Alliance online", organizer=alliance)
    new_event("Someone else's", organizer=OrganizerFactory(name="Other Society"))
    alliance.slug = "alliance"  # renamed: still followed
    alliance.save()

    send_digests(now=DIGEST_RUN)
    (message,) = mailoutbox
    assert message.subject == "New: Events by Alliance Institute"
    assert "Alliance online" in message.body and "Someone else" not in message.body
    assert "http://localhost/events/?organizer=alliance" in message.body


def test_a_spanish_subscriber_gets_the_digest_in_spanish(mailoutbox, trauma):
    subscription(query="topic=trauma", language="es")
    new_event("Trauma workshop", topics=[trauma])
    send_digests(now=DIGEST_RUN)
    (message,) = mailoutbox
    assert message.subject == "Nuevo: Eventos sobre Trauma"
    assert "1 evento nuevo coincide" in message.body
    assert "Cancelar la suscripción" in message.body
    assert '<html lang="es">' in message.alternatives[0][0]
    assert "10 de marzo de 2031" in message.body


def test_nothing_new_sends_nothing(mailoutbox, trauma):
    subscription(query="topic=trauma")
    new_event("Grief", moment=DURING_THE_WEEK)
    assert send_digests(now=DIGEST_RUN) == {
        "sent": 0,
        "nothing new": 1,
        "invalid": 0,
        "failed": 0,
        "queued": 0,
        "purged": 0,
    }
    assert not mailoutbox


def test_a_saved_search_whose_topic_was_deleted_sends_nothing_rather_than_everything(mailoutbox, trauma):
    subscription(query="topic=trauma")
    new_event("Grief")
    trauma.delete()
    assert send_digests(now=DIGEST_RUN)["invalid"] == 1
    assert not mailoutbox


def test_a_long_digest_shows_the_first_events_and_how_many_more(mailoutbox, settings):
    settings.EVENTS_DIGEST_MAX_EVENTS = 3
    subscription()
    for n in range(5):
        new_event(f"Event {n}", start=IN_2031 + dt.timedelta(days=n))
    send_digests(now=DIGEST_RUN)
    (message,) = mailoutbox
    assert re.findall(r"^Event \d$", message.body, re.MULTILINE) == ["Event 0", "Event 1", "Event 2"]
    assert "And 2 more events: http://localhost/events/?sort=newest\n" in message.body
    assert "5 new events match" in message.body


def test_running_twice_sends_each_event_once(mailoutbox, trauma):
    subscription(query="topic=trauma")
    new_event("Trauma workshop", topics=[trauma])
    assert send_digests(now=DIGEST_RUN)["sent"] == 1
    assert send_digests(now=DIGEST_RUN + dt.timedelta(hours=1))["sent"] == 0
    new_event("Trauma seminar", moment=DIGEST_RUN + dt.timedelta(days=2), topics=[trauma])
    assert send_digests(now=NEXT_WEEK)["sent"] == 1
    assert len(mailoutbox) == 2
    assert "Trauma seminar" in mailoutbox[1].body and "Trauma workshop" not in mailoutbox[1].body


def test_the_command_sends_the_digests(mailoutbox, trauma):
    from django.core.management import call_command

    subscription(query="topic=trauma")
    new_event("Trauma workshop", topics=[trauma])
    call_command("send_event_digests", "--now", DIGEST_RUN.isoformat())
    assert len(mailoutbox) == 1


# Unsubscribing


def test_each_digest_carries_one_click_unsubscribe_headers(mailoutbox):
    made = subscription()
    new_event("Workshop")
    send_digests(now=DIGEST_RUN)
    (message,) = mailoutbox
    url = f"http://localhost/subscriptions/unsubscribe/{made.token}/"
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body and url in message.alternatives[0][0]


def test_a_one_click_post_without_csrf_unsubscribes_and_a_get_does_not():
    made = subscription()
    client = Client(enforce_csrf_checks=True)
    url = f"/subscriptions/unsubscribe/{made.token}/"
    shown = client.get(url)
    assert shown.status_code == 200 and "Unsubscribe" in shown.content.decode()
    assert "ana@example.com" not in shown.content.decode()
    assert Subscription.objects.filter(pk=made.pk).exists()
    response = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert not Subscription.objects.filter(pk=made.pk).exists()
    assert (
        client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded").status_code
        == 404
    )


def test_an_unknown_unsubscribe_token_is_404():
    made = subscription()
    assert Client().post(f"/subscriptions/unsubscribe/{made.token}x/").status_code == 404
    assert Subscription.objects.filter(pk=made.pk).exists()


def test_the_confirmation_link_needs_csrf():
    """Only the unsubscribe address is exempt."""
    made = subscription(confirmed=None)
    made.confirmation_sent_at = dt.datetime.now(dt.UTC)
    made.save()
    assert Client(enforce_csrf_checks=True).post(f"/subscriptions/confirm/{made.confirm_token}/").status_code == 403


# Delivery through a real SMTP server


class RefusesOnce:
    def __init__(self):
        self.envelopes, self.refused = [], 0

    async def handle_DATA(self, server, session, envelope):
        if not self.refused:
            self.refused += 1
            return "451 Try again later"
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def flaky_smtp(settings):
    with smtp_server(RefusesOnce(), settings) as handler:
        yield handler


def test_a_refused_digest_does_not_stop_the_others_and_is_sent_at_the_next_run(flaky_smtp):
    first, second = subscription("ana@example.com"), subscription("bo@example.com")
    new_event("Workshop")

    assert send_digests(now=DIGEST_RUN) == {
        "sent": 1,
        "nothing new": 0,
        "invalid": 0,
        "failed": 1,
        "queued": 0,
        "purged": 0,
    }
    assert [envelope.rcpt_tos for envelope in flaky_smtp.envelopes] == [["bo@example.com"]]
    first.refresh_from_db(), second.refresh_from_db()
    assert first.sent_until == SUBSCRIBED and second.sent_until == DIGEST_RUN

    assert send_digests(now=DIGEST_RUN + dt.timedelta(hours=1))["sent"] == 1
    assert [envelope.rcpt_tos for envelope in flaky_smtp.envelopes] == [["bo@example.com"], ["ana@example.com"]]
    received = email.message_from_bytes(flaky_smtp.envelopes[1].original_content, policy=email.policy.default)
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["List-Unsubscribe"].strip() == f"<http://localhost/subscriptions/unsubscribe/{first.token}/>"
    assert received.get_content_type() == "multipart/alternative"


# Through the task queue (django-tasks-db and its worker, as in production)


@pytest.fixture
def queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}


def run_worker():
    """What `manage.py db_worker` does, once: run every task that is due, then stop."""
    from django.core.management import call_command

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def queued_digests():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path="events.digests.deliver_digest").order_by("enqueued_at")


@pytest.mark.django_db(transaction=True)
def test_the_run_queues_one_task_per_subscription_and_the_worker_sends_them(queue, mailoutbox):
    subscription("ana@example.com"), subscription("bo@example.com")
    new_event("Workshop")
    assert send_digests(now=DIGEST_RUN) == {
        "sent": 0, "nothing new": 0, "invalid": 0, "failed": 0, "queued": 2, "purged": 0,
    }  # fmt: skip
    assert not mailoutbox
    run_worker()
    assert sorted(message.to[0] for message in mailoutbox) == ["ana@example.com", "bo@example.com"]
    assert [task.return_value for task in queued_digests()] == ["sent", "sent"]


@pytest.mark.django_db(transaction=True)
def test_a_refused_digest_is_tried_again_minutes_later_not_next_week(queue, flaky_smtp):
    from django.utils import timezone

    first = subscription("ana@example.com")
    new_event("Workshop")
    send_digests(now=DIGEST_RUN)
    run_worker()  # refused: tried again in 2 minutes
    assert flaky_smtp.envelopes == []
    retry = queued_digests().filter(status="READY").get()
    assert dt.timedelta(minutes=1) < retry.run_after - timezone.now() <= dt.timedelta(minutes=2)
    run_worker()
    assert flaky_smtp.envelopes == []  # not before its time
    queued_digests().filter(status="READY").update(run_after=timezone.now())
    run_worker()
    assert [envelope.rcpt_tos for envelope in flaky_smtp.envelopes] == [["ana@example.com"]]
    assert [task.return_value for task in queued_digests()] == ["retrying", "sent"]
    first.refresh_from_db()
    assert first.sent_until == DIGEST_RUN


@pytest.mark.django_db(transaction=True)
def test_runs_that_overlap_send_each_digest_once_and_an_unsubscribed_one_not_at_all(queue, mailoutbox):
    ana, bo = subscription("ana@example.com"), subscription("bo@example.com")
    new_event("Workshop")
    send_digests(now=DIGEST_RUN)
    send_digests(now=DIGEST_RUN + dt.timedelta(minutes=5))  # before a worker ran the first run's tasks
    bo.delete()
    run_worker()
    assert [message.to for message in mailoutbox] == [["ana@example.com"]]
    assert sorted(task.return_value for task in queued_digests()) == ["gone", "gone", "nothing new", "sent"]
    ana.refresh_from_db()
    assert ana.sent_until == DIGEST_RUN + dt.timedelta(minutes=5)


class Slow:
    """An SMTP server that takes half a second over each message."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.5)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_with_the_same_digest_at_once_send_it_once(settings):
    """Each task holds its subscription's row while it sends: the other waits, then finds it sent."""
    from events.digests import deliver_digest
    from tests.concurrency import at_once

    ana = subscription("ana@example.com")
    new_event("Workshop")
    with smtp_server(Slow(), settings) as handler:
        outcomes = at_once([lambda: deliver_digest.call(ana.pk, DIGEST_RUN.isoformat())] * 2)
    assert sorted(outcomes) == ["nothing new", "sent"]
    assert len(handler.envelopes) == 1


# Cost


def digest_queries(subscriptions, events):
    for n in range(subscriptions):
        subscription(f"reader{n}@example.com", query="topic=trauma")
    trauma = TopicFactory(name="Trauma", slug="trauma")
    for n in range(events):
        new_event(f"Trauma {n}", topics=[trauma], start=IN_2031 + dt.timedelta(days=n))
    with CaptureQueriesContext(connection) as queries:
        send_digests(now=DIGEST_RUN)
    Subscription.objects.all().delete()
    for event in EventPage.objects.all():
        event.delete()
    return len(queries)


def test_the_digest_run_costs_a_fixed_number_of_queries_per_subscription(mailoutbox):
    digest_queries(1, 1)  # (the Sites' root paths, into the cache)
    one_event, many_events = digest_queries(1, 1), digest_queries(1, 15)
    assert one_event == many_events
    three = digest_queries(3, 15)
    assert three - many_events == 2 * (three - digest_queries(2, 15))
    assert three - digest_queries(2, 15) <= 7  # (its row, read and locked by its own task, among them)


# Never a server error


@pytest.fixture(scope="module")
def some_filters(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        TopicFactory(name="Ethics", slug="ethics")
        OrganizerFactory(name="Alliance Institute", slug="alliance-institute")
        event_index()
    yield
    with django_db_blocker.unblock():
        delete_all_events()


PARAMS = [*EventFilterSet.base_filters, "page", "unknown"]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", "0", "-1", "NaN", "2026-02-30", "\x00", "ethics", "alliance-institute", "GB", "😀", "x" * 3000]
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.lists(st.tuples(st.sampled_from(PARAMS), VALUES), max_size=6),
    address=st.sampled_from(["a@example.com", "nope", "", "x" * 300]),
)
def test_no_query_string_makes_the_subscribe_page_fail(client, some_filters, query, address):
    url = "/events/subscribe/?" + urlencode(query)
    assert client.get(url).status_code == 200
    assert client.post(url, {"email": address}).status_code == 200
    Subscription.objects.all().delete()


# The admin listing


@pytest.fixture
def admin_users(django_user_model, alliance):
    from django.contrib.auth.models import Group, Permission

    from events.applications import TEAM_PERMISSIONS, permissions

    def staff(name, *codenames, team=False):
        user = django_user_model.objects.create_user(name, f"{name}@staff.example", "pw")
        group = Group.objects.create(name=f"{name} group")
        group.permissions.add(*permissions(["wagtailadmin.access_admin"]))
        group.permissions.add(*Permission.objects.filter(content_type__app_label="events", codename__in=codenames))
        if team:
            group.permissions.add(*permissions(TEAM_PERMISSIONS))
            alliance.team = group
            alliance.save()
        user.groups.add(group)
        client = Client()
        client.force_login(user)
        return client

    root = Client()
    root.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return {
        "superuser": root,
        "counts_only": staff("counter", "view_subscription"),
        "addresses": staff("mailer", "view_subscription", "view_subscriber_addresses"),
        "organizer_team": staff("team", team=True),
    }


def test_staff_see_counts_and_only_those_allowed_see_addresses(admin_users, alliance):
    subscription("ana.private@example.com", organizer=alliance)
    subscription("bo.pending@example.com", query="city=Boston", confirmed=None)
    url = "/admin/events/subscriptions/"

    for who in ("superuser", "addresses"):
        page = admin_users[who].get(url)
        assert page.status_code == 200
        assert "ana.private@example.com" in page.content.decode()
        assert "1 confirmed, 1 awaiting confirmation" in page.content.decode()

    counts = admin_users["counts_only"].get(url)
    assert counts.status_code == 200
    assert "1 confirmed, 1 awaiting confirmation" in counts.content.decode()
    assert "Alliance Institute" in counts.content.decode() and "city=Boston" in counts.content.decode()
    assert "@example.com" not in counts.content.decode()

    team = admin_users["organizer_team"].get(url)
    assert team.status_code in (302, 403)
    assert "ana.private@example.com" not in team.content.decode()
