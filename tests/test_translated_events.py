"""On a site with Wagtail's internationalisation on, each visitor sees the listing and event pages
of their locale, and the translations of one event (made with Wagtail's own translation tool,
`copy_for_translation`) are one event: one set of seats, ticket types, registrations and
calendar UIDs, whichever translation the buyer registered from."""

import re

import pytest
from django.test import Client
from wagtail.models import Locale

from events.models import EventPage
from registrations.models import Order
from tests.calendar_checks import parse_valid_calendar
from tests.factories import event_index, make_event
from tests.registration_helpers import attendee_data
from tests.test_structured_data import json_ld

pytestmark = pytest.mark.django_db


@pytest.fixture
def translated(settings):
    """The workshop in English, and its Spanish translation under the Spanish copies of the home
    page and the listing; two seats in all."""
    settings.WAGTAIL_I18N_ENABLED = True
    settings.WAGTAIL_CONTENT_LANGUAGES = [("en", "English"), ("es", "Spanish")]
    event_index()
    english = make_event("The therapeutic alliance", slug="alliance", tickets=[("Standard", "0")], capacity=2)
    spanish = english.copy_for_translation(Locale.objects.create(language_code="es"), copy_parents=True)
    # (the home page and listing above it are made in Spanish too, as aliases of the English ones)
    spanish.title, spanish.summary = "La alianza terapéutica", "Dos días sobre la alianza de trabajo."
    spanish.save_revision().publish()
    return EventPage.objects.get(pk=english.pk), EventPage.objects.get(pk=spanish.pk)


def visitor(language):
    return Client(headers={"accept-language": language})


def register_from(client, event_page):
    """Register one attendee on the form the page's own Register route shows."""
    form = client.get(event_page.url + "register/").content.decode()
    ticket = re.search(r'name="ticket_type"[^>]* value="(\d+)"', form).group(1)
    return client.post(event_page.url + "register/", {"ticket_type": ticket, "quantity": 1, **attendee_data(1)})


def test_each_visitor_sees_the_listing_and_event_of_their_locale(translated):
    english, spanish = translated
    assert english.url == spanish.url == "/events/alliance/"  # one address; the language picks the tree
    for language, shown, hidden in (("en", english, spanish), ("es", spanish, english)):
        client = visitor(language)
        listing = client.get("/events/").content.decode()
        assert shown.title in listing and hidden.title not in listing
        page = client.get(shown.url).content.decode()
        assert shown.title in page and shown.summary in page


def test_the_translations_of_an_event_share_one_set_of_seats(translated):
    english, spanish = translated
    assert spanish.canonical == english and english.canonical == english
    for language, page in (("es", spanish), ("en", english)):
        response = register_from(visitor(language), page)
        assert response.status_code in (302, 303), response.content[:1000]
    orders = Order.objects.all()
    assert [order.event_id for order in orders] == [english.pk, english.pk]
    assert {r.ticket_type_id for order in orders for r in order.registrations.all()} == {english.ticket_types.get().pk}
    # Both seats are gone: every translation says so, and neither sells a third.
    assert set(EventPage.objects.filter(pk__in=[english.pk, spanish.pk]).values_list("sold_out", flat=True)) == {True}
    for language, page in (("es", spanish), ("en", english)):
        client = visitor(language)
        assert client.get(page.url + "register/").context["all_sold_out"]
        [offer] = json_ld(client, page)["offers"]  # what search engines are told
        assert offer["availability"] == "https://schema.org/SoldOut"
    assert Order.objects.count() == 2


def test_publishing_a_translation_keeps_the_events_seats_as_they_are(translated):
    english, spanish = translated
    for language, page in (("es", spanish), ("en", english)):
        register_from(visitor(language), page)
    EventPage.objects.get(pk=spanish.pk).save_revision().publish()  # its own (copied) tickets are unsold
    assert EventPage.objects.get(pk=spanish.pk).sold_out and EventPage.objects.get(pk=english.pk).sold_out


def test_the_translations_of_an_event_give_one_calendar(translated):
    english, spanish = translated
    uids = {}
    for language, page in (("en", english), ("es", spanish)):
        calendar = parse_valid_calendar(visitor(language).get(page.url + "ical/").content)
        uids[language] = [str(vevent["UID"]) for vevent in calendar.walk("VEVENT")]
    assert uids["en"] == uids["es"] and len(uids["en"]) == 1


def test_the_email_names_the_event_as_the_reader_saw_it(translated, mailoutbox, django_capture_on_commit_callbacks):
    english, spanish = translated
    for language, page in (("es", spanish), ("en", english)):
        with django_capture_on_commit_callbacks(execute=True):
            register_from(visitor(language), page)
    spanish_mail, english_mail = mailoutbox
    assert spanish.title in spanish_mail.subject and english.title in english_mail.subject
    assert english.title not in spanish_mail.body
