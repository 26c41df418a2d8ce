"""HTTP caching: the public pages (event page, listing with any query, feeds, calendars, the JSON
API) say `public, max-age, s-maxage` with Vary and a validator, so a CDN or Varnish can serve them;
whatever is personal (a signed-in visitor, a preview, messages, a cookie set, a private page,
everything of registrations) says private and never s-maxage. The Register box's seats come live
from a fragment no cache keeps. (Through a real Varnish: test_varnish.py.)"""

import re

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory
from wagtail.models import PageViewRestriction

from tests.factories import make_event, make_registration
from tests.registration_helpers import register

pytestmark = pytest.mark.django_db


def public_urls(event):
    index = event.get_parent().url
    return [
        event.url,
        event.url + "?utm_source=newsletter",
        event.url + "ical/",
        index,
        index + "?q=alliance&format=online",
        index + "ical/",
        index + "feed/?format=online",
        index + "rss/",
        "/api/events/",
        "/api/events/?country=US",
        "/api/events/suggest/?q=alli",
        "/",  # the reference site's home page shows the next events (events.http_cache.ShowsEvents)
        "/robots.txt",
        "/sitemap.xml",
    ]


def directives(response):
    return {part.strip().split("=")[0]: part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def vary(response):
    return {value.strip().lower() for value in response.get("Vary", "").split(",") if value.strip()}


def is_shared(response):
    cache_control = directives(response)
    return "public" in cache_control and "s-maxage" in cache_control


def is_personal(response):
    cache_control = directives(response)
    return (
        "s-maxage" not in cache_control
        and "public" not in cache_control
        and ("private" in cache_control or "no-store" in cache_control)
    )


@pytest.fixture
def event():
    return make_event("The therapeutic alliance", tickets=[("Standard", "0")], capacity=10)


def test_public_pages_are_shared_with_vary_and_an_etag(event, settings):
    settings.EVENTS_HTTP_MAX_AGE, settings.EVENTS_HTTP_S_MAXAGE = 30, 900
    for url in public_urls(event):
        response = Client().get(url)
        assert response.status_code == 200, url
        assert directives(response) == {"public": "public", "max-age": "max-age=30", "s-maxage": "s-maxage=900"}, url
        # The language comes from the cookie or the browser's languages (no /es/ addresses here),
        # and a signed-in visitor's session is a cookie too.
        assert {"cookie", "accept-language"} <= vary(response), url
        assert response.has_header("ETag"), url
        assert not response.cookies, url


def test_a_second_request_with_the_etag_answers_304(event):
    for url in public_urls(event):
        first = Client().get(url)
        again = Client().get(url, headers={"if-none-match": first["ETag"]})
        assert again.status_code == 304 and again.content == b"", url


def test_shared_pages_hold_no_csrf_token_or_other_personal_parts(event):
    client = Client()
    client.get(event.url + "register/")  # this visitor now has a CSRF cookie
    for url in public_urls(event):
        html = client.get(url).content.decode()
        assert "csrfmiddlewaretoken" not in html and client.cookies["csrftoken"].value not in html, url
        assert "seats left" not in html and "sold out" not in html.lower(), url


def test_the_language_switcher_works_without_a_token(event):
    client = Client(enforce_csrf_checks=True)
    html = client.get(event.url).content.decode()
    action = re.search(r'<form class="language-switcher" action="([^"]+)"', html).group(1)
    response = client.post(action, {"language": "es", "next": event.url})
    assert response.status_code == 302 and response["Location"] == event.url
    assert client.cookies["django_language"].value == "es"
    assert 'lang="es"' in client.get(event.url).content.decode()


def test_a_signed_in_visitor_gets_a_private_page_with_the_userbar(event):
    client = Client()
    client.force_login(User.objects.create_superuser("editor", "editor@example.com", "pw"))
    for url in public_urls(event)[:4]:
        response = client.get(url)
        assert is_personal(response), url
    assert "wagtail-userbar" in client.get(event.url).content.decode()


def test_a_page_showing_messages_is_private(event):
    client = Client()
    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    storage.add(constants.SUCCESS, "Your registration is cancelled.")
    response = Client().get("/")
    storage.update(response)
    client.cookies["messages"] = response.cookies["messages"].value
    shown = client.get(event.url)
    assert "Your registration is cancelled." in shown.content.decode()
    assert is_personal(shown)


def test_a_response_that_sets_a_cookie_is_private(event, client):
    response = client.get(event.url + "register/")  # the form sets the CSRF cookie
    assert response.cookies and is_personal(response)


def test_a_private_page_is_never_shared(event, client):
    PageViewRestriction.objects.create(page=event, restriction_type="password", password="secret")
    client.post(f"/_util/authenticate_with_password/{PageViewRestriction.objects.get().pk}/{event.pk}/",
                {"password": "secret", "return_url": event.url})  # fmt: skip
    response = client.get(event.url)
    assert response.status_code == 200 and is_personal(response)
    assert not is_shared(Client().get(event.url))  # the password form is not shared either


def test_a_restricted_page_that_shows_events_is_never_shared(event, client):
    home = event.get_parent().get_parent()
    assert is_shared(Client().get("/"))
    PageViewRestriction.objects.create(page=home, restriction_type="password", password="secret")
    assert not is_shared(Client().get("/"))


def test_a_preview_is_never_stored(event, admin_client):
    response = admin_client.post(f"/admin/pages/{event.pk}/edit/preview/", {})
    assert response.status_code == 200
    preview = admin_client.get(f"/admin/pages/{event.pk}/edit/preview/?mode=")
    assert not is_shared(preview)
    assert "no-store" in directives(preview) or "private" in directives(preview)


def test_everything_of_registrations_is_private(event, client):
    registration = make_registration(event, price="0")
    urls = [
        event.url + "register/",
        event.url + "waitlist/",
        event.url + "registration-box/",
        f"/tickets/{registration.ticket_secret}/",
        f"/orders/{registration.order.token}/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302, 405), url
        assert is_personal(response), url
    assert register(client, event).status_code == 302 and is_personal(register(client, event))


def test_no_shared_caching_when_turned_off(event, settings):
    settings.EVENTS_HTTP_S_MAXAGE = 0
    for url in public_urls(event)[:4]:
        assert is_personal(Client().get(url)), url


def test_seats_left_come_live_and_the_shared_page_is_neutral(event, settings):
    settings.REGISTRATIONS_FEW_SEATS_LEFT = 10
    make_registration(event, price="0")
    html = Client().get(event.url).content.decode()
    box = html.split('class="registration-box"')[1].split("</section>")[0]
    live_url = re.search(r'data-live-fragment="([^"]+)"', box).group(1)
    assert live_url == event.url + "registration-box/"
    assert "seats left" not in box and "Register now" in box
    assert 'src="/static/events/live-fragments.js"' in html
    live = Client().get(live_url)
    assert "Only 9 seats left" in live.content.decode() and "data-live-fragment" not in live.content.decode()
    assert "no-store" in directives(live) and not is_shared(live)
    make_registration(event, price="0")
    assert "Only 8 seats left" in Client().get(live_url).content.decode()
