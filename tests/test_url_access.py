"""Who may use each URL that shows or changes attendee data (invariant 7), for every URL the project
has: the test walks the whole URL configuration, and a URL nobody classified fails it, so a new
page must say here who may open it.

Access is one of:
- PUBLIC: shows or changes no attendee data (listing, API, the organizer application form), or
  is an action anyone may take that shows nobody else's data (registering, joining a waitlist);
- SECRET: reached only through an unguessable link (a ticket secret, an order or waitlist token,
  a certificate code): the link opens it, anything else is a plain 404 (ids included);
- PERSON: "My events", the records of the one address the browser signed in with through a link
  emailed to it; nothing else (a user account, a staff role) opens anyone's;
- STRIPE: the webhook, authenticated by Stripe's signature;
- STAFF: the named roles get in, all others are kept out and see none of the data;
- WAGTAIL_ADMIN: Wagtail's own admin (pages, snippets, images, users...), guarded by Wagtail's
  permissions; classified in bulk by where its code lives. Our own admin views are listed one by one.

Roles: anonymous; an attendee (a user in no group, with the email of the seat); a member of
another organizer's team; the event's organizer team; a superuser. Deeper checks of each screen
live beside its feature (test_organizer_permissions, test_checkin, test_dashboard, test_exports,
test_certificates); this module guarantees nothing is left out.
"""

import datetime as dt
import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import get_page_models

from events.models import EventPage, OrganizerApplication, Subscription
from registrations.models import (
    CheckIn,
    EvaluationResponse,
    PayoutAccount,
    PromoCode,
    Refund,
    SignInLink,
    WaitlistEntry,
)
from registrations.services import certificates, invoices, sign_in
from tests.factories import event_index, make_event, make_registration
from tests.test_organizer_permissions import approved_organizer, client_for

pytestmark = pytest.mark.django_db

PUBLIC, SECRET, PERSON, STRIPE, STAFF, WAGTAIL_ADMIN = "public", "secret", "person", "stripe", "staff", "wagtail admin"
ROLES = ["anonymous", "attendee", "other_team", "own_team", "superuser"]
TEAM = {"own_team", "superuser"}
ONLY_SUPERUSER = {"superuser"}
ANY_TEAM = {"own_team", "other_team", "superuser"}  # a form each team uses for its own organizer

EMAIL = "ana.confidential@example.com"
NAME = "Ana Confidential"
CODE = "ALLIANCEPARTNER"  # a code of the event's organizer: its team's to see
PAYOUTS_PAGE = ("redirect", "/admin/registrations/payouts/")


def walk(patterns, prefix="", namespace=None):
    """(route, name, module of the view) of every URL pattern, through every include()."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace and (f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace)
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner or namespace)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            view = getattr(pattern.callback, "view_class", pattern.callback)
            yield prefix + str(pattern.pattern), name or prefix + str(pattern.pattern), view.__module__


def every_url():
    """The URL configuration's patterns, then each routable page type's own, below `<Model>/`."""
    yield from walk(get_resolver().url_patterns)
    for model in get_page_models():
        if issubclass(model, RoutablePageMixin):
            yield from walk(model.get_subpage_urls(), f"<{model.__name__}>/", model._meta.label_lower)


def is_wagtails_own_admin(route, module):
    return route.startswith("admin/") and module.split(".")[0] in ("wagtail", "django", "modelsearch")


# Every URL of the project that is not Wagtail's own admin, by name (or route, when unnamed).
ACCESS = {
    # Nothing about attendees.
    "healthz": PUBLIC,
    "api_events": PUBLIC,
    "api_events_suggest": PUBLIC,
    "set_language": PUBLIC,
    "events:set_language": PUBLIC,  # only the visitor's own language
    "sitemap.xml": PUBLIC,
    "robots.txt": PUBLIC,
    "wagtail_serve": PUBLIC,  # pages: the listing and event pages show counts, never people
    "wagtaildocs_serve": PUBLIC,
    "wagtaildocs_authenticate_with_password": PUBLIC,
    "wagtailcore_authenticate_with_password": PUBLIC,
    "wagtailcore_login": PUBLIC,
    "events:organizer_apply": PUBLIC,  # rate limited; applicants see only their own answers
    "events:organizer_apply_thanks": PUBLIC,
    # Below an event listing's or event page's own address (RoutablePageMixin routes).
    "events.eventindexpage:listing": PUBLIC,
    "events.eventindexpage:ical_feed": PUBLIC,
    "events.eventindexpage:atom_feed": PUBLIC,
    "events.eventindexpage:rss_feed": PUBLIC,
    "events.eventindexpage:subscribe": PUBLIC,  # same answer for any address; shows none
    "events.eventindexpage:index_route": PUBLIC,
    "events.eventpage:index_route": PUBLIC,
    "events.eventpage:ical": PUBLIC,
    "events.eventpage:register": PUBLIC,  # anyone registers; the page shows no one else
    "events.eventpage:waitlist_join": PUBLIC,
    "events.eventpage:registration_box": PUBLIC,  # seats left, as the event page used to show them
    # The attendee's own pages, through their link.
    "registrations:ticket": SECRET,
    "registrations:ticket_invite": SECRET,
    "registrations:ticket_cancel": SECRET,
    "registrations:ticket_hand_on": SECRET,
    "registrations:ticket_evaluation": SECRET,
    "registrations:ticket_join": SECRET,
    "registrations:ticket_code": SECRET,
    "registrations:ticket_qr": SECRET,
    "registrations:certificate_download": SECRET,
    "registrations:certificate_verify": SECRET,
    "registrations:order": SECRET,
    "registrations:order_invoice": SECRET,
    "registrations:checkout_cancelled": SECRET,
    "registrations:checkout_success": SECRET,  # the Checkout Session id Stripe hands back
    "registrations:waitlist_claim": SECRET,
    "registrations:waitlist_confirm": SECRET,
    "events:subscription_confirm": SECRET,  # email subscriptions: the token in the emailed link
    "events:subscription_unsubscribe": SECRET,
    "registrations:sign_in_link": SECRET,  # "My events": the emailed sign-in link
    # "My events": asking for a link answers the same for any address and shows none; the record
    # is the signed-in address's own.
    "registrations:sign_in": PUBLIC,
    "registrations:sign_out": PUBLIC,
    "registrations:my_events": PERSON,
    "registrations:transcript": PERSON,
    "registrations:my_data": PERSON,
    "registrations:erase": PERSON,
    "registrations:transcript_csv": PERSON,
    "registrations:transcript_pdf": PERSON,
    "registrations:stripe_webhook": STRIPE,
    # The organizer's: the event's team and superusers (check-in also needs the permission).
    "registrations:checkin": STAFF,
    "registrations:checkin_redeem": STAFF,
    "registrations:checkin_undo": STAFF,
    "registrations:checkin_search": STAFF,
    "registrations_event_dashboards": STAFF,
    "registrations_event_dashboard": STAFF,
    "registrations_event_export": STAFF,
    "registrations_event_email": STAFF,
    "registrations_event_mark_attended": STAFF,
    "registrations_event_evaluation": STAFF,
    "registrations_correct_attendance": STAFF,
    "registrations_event_evaluation_export": STAFF,
    "registrations_email_certificates": STAFF,
    "registrations_cancel_event": STAFF,
    "registrations_codes:index": STAFF,
    "registrations_codes:index_results": STAFF,
    "registrations_codes:edit": STAFF,
    "registrations_codes:delete": STAFF,
    "registrations_codes:generate": STAFF,
    "registrations_codes:export": STAFF,
    "registrations_payouts": STAFF,
    "registrations_payouts_connect": STAFF,
    "registrations_payouts_return": STAFF,
    "registrations_payouts_fees": STAFF,
    "registrations_orders:index": STAFF,
    "registrations_orders:index_results": STAFF,
    "registrations_orders:inspect": STAFF,
    "registrations_orders:refund": STAFF,
    "registrations_orders:cancel": STAFF,
    "registrations_orders:retry_refund": STAFF,
    "registrations_orders:invoice": STAFF,
    "registrations_attendees:index": STAFF,
    "registrations_attendees:index_results": STAFF,
    "registrations_attendees:cancel": STAFF,
    # Wagtail's own screens, answered by the events app so that a team sees only its own drafts
    # (tests/test_team_page_visibility.py).
    "events_chosen_pages": WAGTAIL_ADMIN,
    "events_page_types_usage": WAGTAIL_ADMIN,
    "events_page_types_usage_results": WAGTAIL_ADMIN,
    # The venue editor's address lookup: no attendee data; Wagtail's admin access and the permission
    # to add or change venues (tests/test_venue_geocoding.py).
    "wagtailsnippets_events_venue:geocode": WAGTAIL_ADMIN,
    # Applicants' names and emails: whoever decides applications (not organizer teams).
    "wagtailsnippets_events_organizerapplication:list": STAFF,
    "wagtailsnippets_events_organizerapplication:list_results": STAFF,
    "wagtailsnippets_events_organizerapplication:inspect": STAFF,
    "wagtailsnippets_events_organizerapplication:approve": STAFF,
    "wagtailsnippets_events_organizerapplication:reject": STAFF,
    # Email subscribers' addresses: staff with the permission (not organizer teams).
    "events_subscriptions:index": STAFF,
    "events_subscriptions:index_results": STAFF,
}


def test_every_url_is_classified():
    seen, unclassified = set(), []
    for route, name, module in every_url():
        if is_wagtails_own_admin(route, module):
            continue
        seen.add(name)
        if name not in ACCESS:
            unclassified.append(f"{route} ({name}, {module})")
    assert unclassified == [], "Classify in tests/test_url_access.py who may use: " + ", ".join(unclassified)
    assert set(ACCESS) - seen == set(), "entries for URLs that no longer exist"


def test_a_new_url_would_fail_the_classification():
    """The walker sees our own admin views even though they live under /admin/."""
    found = {name: module for route, name, module in every_url()}
    assert found["registrations_orders:inspect"].startswith("registrations.")
    assert found["wagtailsnippets_events_organizerapplication:approve"].startswith("events.")
    assert not is_wagtails_own_admin("admin/registrations/orders/", "registrations.admin_views")


# The people and the data


@pytest.fixture
def world(django_user_model, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing here may reach a payment provider
    settings.REGISTRATIONS_CONNECT = True  # organizers paid directly: the Payouts screens are there
    event_index()
    own, other = approved_organizer("Alliance Institute"), approved_organizer("Other Society")
    now = timezone.now()
    event = make_event(
        "Alliance workshop",
        organizer=own,
        sessions=[
            (now - dt.timedelta(days=2), now - dt.timedelta(days=2, hours=-2)),
            (now, now + dt.timedelta(hours=2)),
        ],
        tickets=[("Standard", "120.00")],
        ce_hours="4",
    )
    seat = make_registration(event, name=NAME, email=EMAIL)
    seat.order.stripe_checkout_session_id = "cs_test_world"  # Stripe is unreachable here: found by its id
    seat.order.save(update_fields=["stripe_checkout_session_id"])
    CheckIn.objects.create(registration=seat, session=event.ordered_sessions[0])
    EventPage.objects.filter(pk=event.pk).update(evaluation_anonymous=False)  # answers signed: names exported
    EvaluationResponse.objects.create(event=event, registration=seat, answers={})
    refund = Refund.objects.create(order=seat.order, number=1, amount="10.00", status=Refund.Status.FAILED, error="x")
    invoice = invoices.issue_invoice(seat.order)
    waiting = WaitlistEntry.objects.create(
        event=event, ticket_type=event.ticket_types.first(), name=NAME, email=EMAIL, status="offered",
        offer_expires_at=now + dt.timedelta(hours=3),
    )  # fmt: skip
    PromoCode.objects.create(organizer=own, event=event, code=CODE, value=10, batch="Partners (1a2b3c)")
    PayoutAccount.objects.create(organizer=own, stripe_account_id="acct_world", charges_enabled=True)
    following = Subscription.objects.create(
        email=EMAIL, listing=event_index(), kind="organizer", organizer=own, language="en", confirmation_sent_at=now
    )
    pending = Subscription.objects.create(
        email=EMAIL, listing=event_index(), kind="search", query="city=Boston", language="en", confirmation_sent_at=now
    )
    Subscription.objects.filter(pk=following.pk).update(confirmed_at=now, sent_until=now, confirm_token=None)
    sign_in_token = "world-sign-in-link-" + "x" * 24
    SignInLink.objects.create(
        email=EMAIL, token_hash=sign_in.digest(sign_in_token), expires_at=now + dt.timedelta(minutes=30)
    )
    application = OrganizerApplication.objects.create(
        name="Applicant Private", email="applicant.private@example.com", organization="Guild", message="Talks."
    )
    users = {"anonymous": None}
    users["attendee"] = django_user_model.objects.create_user("attendee", EMAIL, "pw")
    users["other_team"] = django_user_model.objects.create_user("other", "other@example.com", "pw")
    users["other_team"].groups.add(other.team)
    users["own_team"] = django_user_model.objects.create_user("own", "own@example.com", "pw")
    users["own_team"].groups.add(own.team)
    users["superuser"] = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    return {
        "event": event,
        "seat": seat,
        "order": seat.order,
        "refund": refund,
        "invoice": invoice,
        "waiting": waiting,
        "application": application,
        "following": following,
        "pending": pending,
        "sign_in_token": sign_in_token,
        "users": users,
    }


# Staff URLs: (method, address, body, what only someone let in sees, who is let in)


def staff_requests(w):
    event, order, seat, refund, application = w["event"], w["order"], w["seat"], w["refund"], w["application"]
    admin = "/admin/registrations"
    applications = "/admin/snippets/events/organizerapplication"
    check_in = seat.check_ins.get()
    code = PromoCode.objects.get(code=CODE)
    own = event.organizer
    return {
        "registrations:checkin": [("get", f"/checkin/{event.pk}/", None, "Alliance workshop", TEAM)],
        "registrations:checkin_search": [("post", f"/checkin/{event.pk}/search/", {"q": "ana"}, EMAIL, TEAM)],
        "registrations:checkin_redeem": [
            ("post", f"/checkin/{event.pk}/redeem/", {"secret": seat.ticket_secret, "session": None}, NAME, TEAM)
        ],
        "registrations:checkin_undo": [("post", f"/checkin/{event.pk}/undo/", {"check_in": check_in.pk}, NAME, TEAM)],
        "registrations_event_dashboards": [("get", f"{admin}/events/", None, f"{admin}/events/{event.pk}/", TEAM)],
        # Counts per ticket type and session, and the links to the attendees and exports.
        "registrations_event_dashboard": [
            ("get", f"{admin}/events/{event.pk}/dashboard/", None, f"{admin}/events/{event.pk}/email/", TEAM)
        ],
        "registrations_event_export": [
            ("get", f"{admin}/events/{event.pk}/export.csv", None, EMAIL, TEAM),
            ("get", f"{admin}/events/{event.pk}/export.xlsx", None, "", TEAM),
        ],
        "registrations_event_email": [("get", f"{admin}/events/{event.pk}/email/", None, "Alliance workshop", TEAM)],
        "registrations_event_mark_attended": [("get", f"{admin}/events/{event.pk}/mark-attended/", None, EMAIL, TEAM)],
        "registrations_correct_attendance": [
            ("get", f"{admin}/events/{event.pk}/attendance/{seat.pk}/", None, NAME, TEAM)
        ],
        "registrations_event_evaluation": [
            ("get", f"{admin}/events/{event.pk}/evaluation/", None, "Alliance workshop", TEAM)
        ],
        "registrations_event_evaluation_export": [
            ("get", f"{admin}/events/{event.pk}/evaluation.csv", None, EMAIL, TEAM),
            ("get", f"{admin}/events/{event.pk}/evaluation.xlsx", None, "", TEAM),
        ],
        "registrations_email_certificates": [
            ("get", f"{admin}/events/{event.pk}/email-certificates/", None, "Alliance workshop", TEAM)
        ],
        # Cancelling an event publishes it: teams publish only through a moderator.
        "registrations_cancel_event": [("get", f"{admin}/events/{event.pk}/cancel/", None, "Alliance", ONLY_SUPERUSER)],
        "registrations_orders:index": [("get", f"{admin}/orders/", None, EMAIL, TEAM)],
        "registrations_orders:index_results": [("get", f"{admin}/orders/results/", None, EMAIL, TEAM)],
        "registrations_orders:inspect": [("get", f"{admin}/orders/{order.pk}/", None, EMAIL, TEAM)],
        "registrations_orders:refund": [("get", f"{admin}/orders/{order.pk}/refund/", None, EMAIL, TEAM)],
        "registrations_orders:cancel": [("get", f"{admin}/orders/{order.pk}/cancel/", None, EMAIL, TEAM)],
        "registrations_orders:invoice": [
            ("get", f"{admin}/orders/{order.pk}/invoices/{w['invoice'].pk}.pdf", None, "%PDF-", TEAM)
        ],
        "registrations_orders:retry_refund": [
            ("get", f"{admin}/orders/{order.pk}/refunds/{refund.pk}/retry/", None, EMAIL, TEAM)
        ],
        "registrations_attendees:index": [("get", f"{admin}/attendees/?event={event.pk}", None, NAME, TEAM)],
        "registrations_attendees:index_results": [("get", f"{admin}/attendees/results/", None, NAME, TEAM)],
        "registrations_attendees:cancel": [("get", f"{admin}/attendees/{seat.pk}/cancel/", None, EMAIL, TEAM)],
        "registrations_codes:index": [("get", f"{admin}/codes/", None, CODE, TEAM)],
        "registrations_codes:index_results": [("get", f"{admin}/codes/results/", None, CODE, TEAM)],
        "registrations_codes:edit": [("get", f"{admin}/codes/edit/{code.pk}/", None, CODE, TEAM)],
        "registrations_codes:delete": [("get", f"{admin}/codes/delete/{code.pk}/", None, CODE, TEAM)],
        "registrations_codes:generate": [("get", f"{admin}/codes/generate/", None, "How many codes", ANY_TEAM)],
        "registrations_payouts": [("get", f"{admin}/payouts/", None, 'data-organizer="alliance-institute"', TEAM)],
        # Stripe is out of reach here: those let in are told so, back on the Payouts page.
        "registrations_payouts_connect": [("get", f"{admin}/payouts/{own.pk}/connect/", None, PAYOUTS_PAGE, TEAM)],
        "registrations_payouts_return": [("get", f"{admin}/payouts/{own.pk}/return/", None, PAYOUTS_PAGE, TEAM)],
        "registrations_payouts_fees": [
            ("get", f"{admin}/payouts/{own.pk}/fees/", None, 'name="fee_percent"', ONLY_SUPERUSER)
        ],
        "registrations_codes:export": [
            ("get", f"{admin}/codes/export.csv?batch=Partners+%281a2b3c%29", None, CODE, TEAM)
        ],
        "wagtailsnippets_events_organizerapplication:list": [
            ("get", f"{applications}/", None, "Applicant Private", ONLY_SUPERUSER)
        ],
        "wagtailsnippets_events_organizerapplication:list_results": [
            ("get", f"{applications}/results/", None, "Applicant Private", ONLY_SUPERUSER)
        ],
        "wagtailsnippets_events_organizerapplication:inspect": [
            ("get", f"{applications}/inspect/{application.pk}/", None, "applicant.private@example.com", ONLY_SUPERUSER)
        ],
        "wagtailsnippets_events_organizerapplication:approve": [
            ("get", f"{applications}/approve/{application.pk}/", None, "Guild", ONLY_SUPERUSER)
        ],
        "wagtailsnippets_events_organizerapplication:reject": [
            ("get", f"{applications}/reject/{application.pk}/", None, "Guild", ONLY_SUPERUSER)
        ],
        "events_subscriptions:index": [("get", "/admin/events/subscriptions/", None, EMAIL, ONLY_SUPERUSER)],
        "events_subscriptions:index_results": [
            ("get", "/admin/events/subscriptions/results/", None, EMAIL, ONLY_SUPERUSER)
        ],
    }


def send(client, method, url, body):
    if method == "post":
        return client.post(url, json.dumps(body), content_type="application/json")
    return client.get(url)


def test_the_table_has_requests_for_every_staff_url(world):
    staff = {name for name, access in ACCESS.items() if access == STAFF}
    assert set(staff_requests(world)) == staff


@pytest.mark.parametrize("role", ROLES)
def test_staff_urls_let_in_only_the_roles_in_the_table(world, role):
    client = client_for(world["users"][role])
    wrong = []
    # Those kept out go first: their posts must change nothing the allowed ones then see.
    for name, requests in staff_requests(world).items():
        for method, url, body, private, allowed in requests:
            response = send(client, method, url, body)
            content = b"".join(response.streaming_content) if response.streaming else response.content
            assert response.status_code != 500, (name, url)
            if isinstance(private, tuple):  # ("redirect", where): only those let in are sent there
                let_in = response.status_code == 302 and response["Location"] == private[1]
            else:
                let_in = response.status_code == 200 and private.encode() in content
            if let_in != (role in allowed):
                wrong.append((name, url, response.status_code))
            if role not in allowed:
                # 200 only for listings that show each user their own events (none of these).
                assert response.status_code in (200, 302, 403, 404), (name, url, response.status_code)
                assert EMAIL.encode() not in content and NAME.encode() not in content, (name, url)
                if response.status_code == 302:  # to the login, or the admin's home
                    assert response["Location"].startswith("/admin/"), (name, url)
    assert wrong == []
    if role not in TEAM:
        assert world["seat"].check_ins.filter(undone_at__isnull=True).count() == 1  # no undo, no new check-in


# Secret links: the link is the key; ids, neighbours and other people's logins open nothing


def secret_requests(w):
    seat, order, waiting = w["seat"], w["order"], w["waiting"]
    code = certificates.issue(seat) if certificates.eligible(seat) else None
    return {
        "registrations:ticket": ("/tickets/{}/", seat.ticket_secret, 200),
        "registrations:ticket_invite": ("/tickets/{}/invite.ics", seat.ticket_secret, 200),
        "registrations:ticket_qr": ("/tickets/{}/qr.png", seat.ticket_secret, 200),
        "registrations:certificate_download": ("/tickets/{}/certificate.pdf", seat.ticket_secret, 403),  # not over
        "registrations:certificate_verify": ("/certificates/{}/", code or "none-yet", 200 if code else 404),
        "registrations:order": ("/orders/{}/", order.token, 200),
        "registrations:order_invoice": (f"/orders/{{}}/invoices/{w['invoice'].pk}.pdf", order.token, 200),
        "registrations:checkout_cancelled": ("/checkout/cancelled/{}/", order.token, 302),
        "registrations:waitlist_claim": ("/waitlist/claim/{}/", waiting.token, 200),
        "registrations:waitlist_confirm": ("/waitlist/confirm/{}/", waiting.token, 200),
        "registrations:checkout_success": ("/checkout/success/?session_id={}", order.stripe_checkout_session_id, 200),
        "registrations:ticket_cancel": ("/tickets/{}/cancel/", seat.ticket_secret, 302),  # too late: to the ticket
        "registrations:ticket_hand_on": ("/tickets/{}/hand-on/", seat.ticket_secret, 302),  # no deadline set: to it
        "registrations:ticket_evaluation": ("/tickets/{}/evaluation/", seat.ticket_secret, 302),  # not over: to it
        "registrations:ticket_join": ("/tickets/{}/join/", seat.ticket_secret, 302),  # in person: to the ticket
        "registrations:ticket_code": ("/tickets/{}/code/", seat.ticket_secret, 302),  # no codes asked: to the ticket
        "events:subscription_confirm": ("/subscriptions/confirm/{}/", w["pending"].confirm_token, 200),
        "events:subscription_unsubscribe": ("/subscriptions/unsubscribe/{}/", w["following"].token, 200),
        "registrations:sign_in_link": ("/my-events/sign-in/{}/", w["sign_in_token"], 200),
    }


# Answered on POST only, or asked with POST here (a GET would show a form).
POSTED = ("registrations:ticket_cancel", "registrations:ticket_hand_on", "registrations:ticket_code")


def test_the_table_has_requests_for_every_secret_url(world):
    assert set(secret_requests(world)) == {name for name, access in ACCESS.items() if access == SECRET}


@pytest.mark.parametrize("role", ROLES)
def test_secret_urls_open_only_with_the_secret_whoever_asks(world, role):
    client = client_for(world["users"][role])
    seat, order, waiting = world["seat"], world["order"], world["waiting"]
    guesses = {seat.pk, order.pk, waiting.pk, seat.pk + 1, 1, str(seat.uid), seat.ticket_secret[:-1] + "A"}
    for name, (pattern, secret, status) in secret_requests(world).items():
        method = client.post if name in POSTED else client.get
        for guess in guesses - {secret}:
            response = method(pattern.format(guess))
            assert response.status_code == 404, (role, name, guess, response.status_code)
            assert NAME.encode() not in response.content, (role, name, guess)
        if name != "registrations:ticket_cancel":  # the right link: the attendee's own page
            assert method(pattern.format(secret)).status_code == status, (role, name)
    seat.refresh_from_db()
    assert seat.status == "confirmed"


PERSON_PAGES = {
    "registrations:my_events": "/my-events/",
    "registrations:transcript": "/my-events/transcript/",
    "registrations:my_data": "/my-events/my-data.json",
    "registrations:erase": "/my-events/erase/",
    "registrations:transcript_csv": "/my-events/transcript.csv",
    "registrations:transcript_pdf": "/my-events/transcript.pdf",
}


def test_the_table_has_an_address_for_every_personal_url():
    assert set(PERSON_PAGES) == {name for name, access in ACCESS.items() if access == PERSON}


@pytest.mark.parametrize("role", ROLES)
def test_my_events_opens_only_through_the_emailed_link_whoever_asks(world, role):
    """A user account with the attendee's address, a team, a superuser: none is signed in to
    anyone's "My events"; the emailed link signs the browser in to that address's alone."""
    client = client_for(world["users"][role])
    for path in PERSON_PAGES.values():
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/my-events/sign-in/", path
    client.post(f"/my-events/sign-in/{world['sign_in_token']}/")
    page = client.get("/my-events/").content.decode()
    assert NAME in page and world["seat"].ticket_secret in page
    for path in PERSON_PAGES.values():
        assert client.get(path).status_code == 200, path


def test_the_stripe_webhook_refuses_what_stripe_did_not_sign(world, client, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    body = json.dumps({"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}})
    response = client.post("/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=0")
    assert response.status_code == 400


def test_public_pages_show_no_one_elses_registration(world, client):
    event = world["event"]
    for url in ("/", "/events/", event.url, f"/events/{event.slug}/register/", "/api/events/", "/organizers/apply/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert EMAIL.encode() not in response.content and NAME.encode() not in response.content, url
