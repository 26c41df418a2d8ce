"""An editor creates, previews and publishes events in the Wagtail admin; bad input gets clear
messages and saves nothing; times are typed in the event's own zone."""

import datetime as dt

import pytest
from wagtail.models import Page
from wagtail.test.utils.form_data import nested_form_data, querydict_from_html, streamfield

from events.models import EventPage, Venue
from tests.admin_helpers import form_data
from tests.factories import OrganizerFactory, TopicFactory, VenueFactory, event_index, make_event

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    return client


def filled_add_form(client, parent, **changes):
    data = form_data(client, f"/admin/pages/add/events/eventpage/{parent.pk}/")
    venue, organizer, topic = VenueFactory(), OrganizerFactory(), TopicFactory(name="Ethics")
    data.update(
        {
            "title": "Boundaries in practice",
            "slug": "boundaries-in-practice",
            "summary": "A day on professional boundaries.",
            "time_zone": "Europe/London",
            "format": "in_person",
            "venue": str(venue.pk),
            "organizer": str(organizer.pk),
            "language": "en",
            "currency": "GBP",
            "ce_hours": "6",
            "capacity": "30",
            "status": "scheduled",
            "sessions-0-start": "2027-03-28 10:00",
            "sessions-0-end": "2027-03-28 16:00",
            "ticket_types-TOTAL_FORMS": "1",
            "ticket_types-0-name": "Standard",
            "ticket_types-0-price": "95.50",
            "ticket_types-0-ORDER": "1",
            "ticket_types-0-id": "",
            "ticket_types-0-DELETE": "",
        }
    )
    data.setlist("topics", [str(topic.pk)])
    data.update(nested_form_data({"learning_objectives": streamfield([("objective", "Name three kinds of boundary")])}))
    for key, value in changes.items():
        data[key] = value
    return data


def test_editor_creates_and_publishes_an_event_with_times_in_its_zone(editor):
    index = event_index()
    data = filled_add_form(editor, index, **{"action-publish": "publish"})
    response = editor.post(f"/admin/pages/add/events/eventpage/{index.pk}/", data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    event = EventPage.objects.get(slug="boundaries-in-practice")
    assert event.live
    session = event.sessions.get()
    # Typed as 10:00 on the day London moves to BST: 09:00 UTC.
    assert session.start == dt.datetime(2027, 3, 28, 9, tzinfo=UTC)
    assert (event.start, event.end) == (session.start, session.end)
    assert (event.city, event.country, event.price_min) == ("London", "GB", 95.5)
    assert [t.name for t in event.topics.all()] == ["Ethics"]
    assert [block.value for block in event.learning_objectives] == ["Name three kinds of boundary"]
    public = editor.get(event.url)
    assert public.status_code == 200 and b"Boundaries in practice" in public.content
    # Editing shows the times as they were typed, in the event's zone.
    edit = form_data(editor, f"/admin/pages/{event.pk}/edit/")
    assert edit["sessions-0-start"] == "2027-03-28 10:00"


def test_editor_saves_a_draft_and_previews_it(editor):
    index = event_index()
    response = editor.post(f"/admin/pages/add/events/eventpage/{index.pk}/", filled_add_form(editor, index))
    assert response.status_code == 302
    event = EventPage.objects.get(slug="boundaries-in-practice")
    assert not event.live and event.has_unpublished_changes
    assert editor.get(event.url if event.url else "/events/boundaries-in-practice/").status_code == 404
    preview = editor.post(f"/admin/pages/{event.pk}/edit/preview/", form_data(editor, f"/admin/pages/{event.pk}/edit/"))
    assert preview.json()["is_valid"]
    shown = editor.get(f"/admin/pages/{event.pk}/edit/preview/")
    assert shown.status_code == 200 and b"Boundaries in practice" in shown.content


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"sessions-0-end": "2027-03-28 09:00"}, "end", "A session must end after it starts."),
        ({"sessions-0-end": "2027-03-30 09:00"}, "end", "A session lasts at most 24 hours"),
        (
            {"sessions-0-start": "1899-01-01 10:00", "sessions-0-end": "1899-01-01 12:00"},
            "start",
            "Choose a date between 2000 and 2099.",
        ),
        (
            {"sessions-0-start": "2027-03-28 01:30", "sessions-0-end": "2027-03-28 03:00"},
            "start",
            "This time does not exist in Europe/London",
        ),
        ({"sessions-0-start": "not a date"}, "start", "Enter a valid date/time."),
        ({"ticket_types-0-price": "-5"}, "price", "Ensure this value is greater than or equal to 0."),
        ({"currency": "JPY", "ticket_types-0-price": "95.50"}, "price", "JPY has no minor unit: use a whole number."),
        ({"currency": "USD", "ticket_types-0-price": "0.25"}, "price", "smallest charge in USD is 0.50"),
        ({"currency": "JPY", "ticket_types-0-price": "30"}, "price", "smallest charge in JPY is 50"),
        ({"currency": "VES", "ticket_types-0-price": "10"}, "price", "Stripe cannot take payments in VES"),
    ],
)
def test_invalid_sessions_and_tickets_get_clear_messages_and_nothing_is_saved(editor, changes, field, message):
    index = event_index()
    response = editor.post(
        f"/admin/pages/add/events/eventpage/{index.pk}/",
        filled_add_form(editor, index, **{"action-publish": "publish", **changes}),
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not EventPage.objects.exists()


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "Select a valid choice."),
        ({"currency": "ZZZ"}, "currency", "Select a valid choice."),
        ({"capacity": "-1"}, "capacity", "Ensure this value is greater than or equal to 0."),
        ({"ce_hours": "-2"}, "ce_hours", "Ensure this value is greater than or equal to 0."),
        ({"venue": ""}, "venue", "An in-person or hybrid event needs a venue."),
        (
            {"registration_opens": "2027-03-01 10:00", "registration_closes": "2027-02-01 10:00"},
            "registration_closes",
            "Registration must close after it opens.",
        ),
        ({"sessions-TOTAL_FORMS": "0"}, None, "Please submit at least 1 form."),
    ],
)
def test_invalid_event_fields_get_clear_messages_and_nothing_is_saved(editor, changes, field, message):
    index = event_index()
    response = editor.post(
        f"/admin/pages/add/events/eventpage/{index.pk}/",
        filled_add_form(editor, index, **{"action-publish": "publish", **changes}),
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    if field:
        assert field in response.context["form"].errors
    assert not EventPage.objects.exists()


def test_publishing_a_change_of_time_updates_the_listing(editor, client):
    event = make_event("Moving event", venue=VenueFactory(), start=dt.datetime(2030, 5, 1, 9, tzinfo=UTC))
    data = form_data(editor, f"/admin/pages/{event.pk}/edit/")
    data["sessions-0-start"] = "2030-06-01 10:00"
    data["sessions-0-end"] = "2030-06-01 12:00"
    data["action-publish"] = "publish"
    assert editor.post(f"/admin/pages/{event.pk}/edit/", data).status_code == 302
    event.refresh_from_db()
    assert event.start == dt.datetime(2030, 6, 1, 9, tzinfo=UTC)  # London is on BST in June
    result = client.get("/api/events/").json()["results"][0]
    assert result["start"] == "2030-06-01T10:00:00+01:00"


def test_editing_a_venue_updates_its_events_place(editor):
    venue = VenueFactory(city="London", country="GB")
    event = make_event("Placed event", venue=venue)
    data = querydict_from_html(
        editor.get(f"/admin/snippets/events/venue/edit/{venue.pk}/").content.decode(), form_id="w-editor-form"
    )
    data.update({"city": "Edinburgh"})
    response = editor.post(f"/admin/snippets/events/venue/edit/{venue.pk}/", data)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.city == "Edinburgh"


def test_venue_snippet_rejects_an_unknown_time_zone(editor):
    data = {
        "name": "Hall",
        "city": "Paris",
        "country": "FR",
        "time_zone": "Europe/Atlantis",
        "address": "",
        "postal_code": "",
        "latitude": "",
        "longitude": "",
    }
    response = editor.post("/admin/snippets/events/venue/add/", data)
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert not Venue.objects.exists()


def test_event_pages_only_live_under_the_listing():
    assert EventPage.parent_page_types == ["events.EventIndexPage"]
    assert not EventPage.can_create_at(Page.objects.get(depth=2))
    assert EventPage.can_create_at(event_index())


def test_an_event_takes_its_venues_zone_when_none_is_chosen(editor):
    index = event_index()
    data = filled_add_form(editor, index, **{"action-publish": "publish", "time_zone": ""})
    Venue.objects.filter(pk=data["venue"]).update(time_zone="Asia/Tokyo")
    assert editor.post(f"/admin/pages/add/events/eventpage/{index.pk}/", data).status_code == 302
    event = EventPage.objects.get()
    assert event.time_zone == "Asia/Tokyo"
    assert event.start == dt.datetime(2027, 3, 28, 1, tzinfo=UTC)  # 10:00 in Tokyo


def test_an_online_event_needs_a_zone(editor):
    index = event_index()
    data = filled_add_form(
        editor, index, **{"action-publish": "publish", "time_zone": "", "venue": "", "format": "online"}
    )
    response = editor.post(f"/admin/pages/add/events/eventpage/{index.pk}/", data)
    assert response.status_code == 200
    assert "Choose the time zone" in response.content.decode()
    assert not EventPage.objects.exists()


@pytest.mark.django_db
def test_a_ticket_type_with_registrations_cannot_be_removed_and_the_editor_is_told(editor):
    from registrations.models import Order, Registration

    event = make_event("Booked event", venue=VenueFactory(), tickets=[("Standard", "10"), ("Spare", "5")])
    booked = event.ticket_types.get(name="Standard")
    order = Order.objects.create(
        event=event, buyer_name="A", buyer_email="a@example.com", total=10, currency="USD", status="paid"
    )
    Registration.objects.create(
        order=order, event=event, ticket_type=booked, name="A", email="a@example.com", price=10, status="confirmed"
    )
    data = form_data(editor, f"/admin/pages/{event.pk}/edit/")
    index = next(i for i in range(2) if data[f"ticket_types-{i}-id"] == str(booked.pk))
    data[f"ticket_types-{index}-DELETE"] = "1"
    data["action-publish"] = "publish"
    response = editor.post(f"/admin/pages/{event.pk}/edit/", data)
    assert response.status_code == 200
    assert "“Standard” cannot be removed: 1 registration depends on it." in response.content.decode()
    assert event.ticket_types.filter(pk=booked.pk).exists()
    # The unbooked ticket type can go.
    spare = event.ticket_types.get(name="Spare")
    data = form_data(editor, f"/admin/pages/{event.pk}/edit/")
    index = next(i for i in range(2) if data[f"ticket_types-{i}-id"] == str(spare.pk))
    data[f"ticket_types-{index}-DELETE"] = "1"
    data["action-publish"] = "publish"
    assert editor.post(f"/admin/pages/{event.pk}/edit/", data).status_code == 302
    assert list(event.ticket_types.values_list("name", flat=True)) == ["Standard"]


@pytest.mark.parametrize("field", ["venue", "organizer", "featured_image"])
@pytest.mark.parametrize("value", ["abc", "1.5", "99999999"])
def test_a_malformed_or_unknown_chosen_id_is_refused_with_a_message(admin_client, field, value):
    event = make_event("Chosen ids")
    url = f"/admin/pages/{event.pk}/edit/"
    data = form_data(admin_client, url)
    data[field], data["title"] = value, "Changed title"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert EventPage.objects.get(pk=event.pk).get_latest_revision_as_object().title == "Chosen ids"


def test_the_preview_shows_the_editors_unsaved_tickets_and_topics(admin_client):
    event = make_event("Previewed workshop", tickets=[("Standard", "95.00")])
    url = f"/admin/pages/{event.pk}/edit/"
    data = form_data(admin_client, url)
    data["ticket_types-0-name"] = "Early bird"
    assert admin_client.post(url + "preview/", data).json()["is_valid"]
    preview = admin_client.get(url + "preview/").content.decode()
    assert "Early bird" in preview and "Standard" not in preview
    assert "Standard" in admin_client.get(event.url).content.decode()  # the live page is unchanged
