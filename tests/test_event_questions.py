"""The event's own questions, asked of each attendee, and what buyers accept: added in the page
editor, validated on the register form, stored by question key (the same in every language), and
shown where the team needs them (exports, check-in, dashboard). Consent is kept with the order as
the version of the very text accepted."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from wagtail.models import Locale

from events.models import EventPage, EventQuestion
from registrations.admin_dashboard import event_figures
from registrations.models import ConsentText, Order, Registration
from tests.admin_helpers import form_data
from tests.factories import event_index, make_event
from tests.registration_helpers import attendee_data
from tests.test_editor import filled_add_form

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

QUESTIONS = [
    ("Access needs", "short_text", "", False, True),
    ("Licensing board", "choice", "State board\nNational college\nOther", True, False),
    ("Topics you want covered", "choices", "Ruptures\nRepair\nMeasurement", False, False),
    ("First time with us?", "yes_no", "", True, False),
    ("Date of licence", "date", "", False, False),
    ("Country of practice", "country", "", False, True),
]


def with_questions(event, questions=QUESTIONS):
    page = EventPage.objects.get(pk=event.pk)
    page.questions = [
        EventQuestion(label=label, kind=kind, choices=choices, required=required, at_check_in=door)
        for label, kind, choices, required, door in questions
    ]
    page.save_revision().publish()
    return EventPage.objects.get(pk=event.pk)


def keys(event):
    return {question.label: question.key for question in event.questions.all()}


def answers_form(event, **answers):
    k = keys(event)
    data = {"ticket_type": event.ticket_types.get().pk, "quantity": 1, **attendee_data(1)}
    for label, value in answers.items():
        data[f"attendee-0-q_{k[label]}"] = value
    return data


GOOD = {
    "Access needs": "Step-free entrance",
    "Licensing board": "National college",
    "Topics you want covered": ["Ruptures", "Repair"],
    "First time with us?": "yes",
    "Date of licence": "2019-05-31",
    "Country of practice": "ES",
}


def post(client, event, data):
    return client.post(f"/events/{event.slug}/register/", data)


@pytest.fixture
def event():
    return with_questions(make_event("Alliance workshop", tickets=[("Standard", "0")], capacity=20))


def test_editors_add_questions_in_the_page_editor(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("editor", "e@example.com", "pw"))
    index = event_index()
    data = filled_add_form(client, index, **{"action-publish": "publish"})
    data.update(
        {
            "questions-TOTAL_FORMS": "2", "questions-INITIAL_FORMS": "0",
            "questions-0-label": "Licensing board", "questions-0-kind": "choice",
            "questions-0-choices": "State board\nNational college", "questions-0-required": "on",
            "questions-0-ORDER": "1", "questions-0-id": "", "questions-0-DELETE": "",
            "questions-1-label": "Access needs", "questions-1-kind": "short_text", "questions-1-at_check_in": "on",
            "questions-1-ORDER": "2", "questions-1-id": "", "questions-1-DELETE": "",
        }
    )  # fmt: skip
    response = client.post(f"/admin/pages/add/events/eventpage/{index.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = EventPage.objects.get(slug="boundaries-in-practice")
    asked = [(q.label, q.kind, q.choice_list, q.required, q.at_check_in) for q in page.questions.all()]
    assert asked == [
        ("Licensing board", "choice", ["State board", "National college"], True, False),
        ("Access needs", "short_text", [], False, True),
    ]
    keys_before = [q.key for q in page.questions.all()]
    assert all(len(key) == 12 for key in keys_before)
    # Editing the page again keeps each question's key: answers already given stay attached.
    edit = form_data(client, f"/admin/pages/{page.pk}/edit/")
    edit["action-publish"] = "publish"
    assert client.post(f"/admin/pages/{page.pk}/edit/", edit).status_code == 302
    assert [q.key for q in EventPage.objects.get(pk=page.pk).questions.all()] == keys_before

    # A choice question without choices is refused with a message, and nothing is saved.
    edit = form_data(client, f"/admin/pages/{page.pk}/edit/")
    edit["questions-0-choices"] = "Only one"
    edit["action-publish"] = "publish"
    response = client.post(f"/admin/pages/{page.pk}/edit/", edit)
    assert response.status_code == 200 and "Give at least two choices, one per line." in response.content.decode()
    assert EventPage.objects.get(pk=page.pk).questions.first().choice_list == ["State board", "National college"]


def test_each_attendee_answers_and_the_answers_are_kept_by_question(client, event):
    html = client.get(f"/events/{event.slug}/register/?quantity=2").content.decode()
    assert html.count("Licensing board") == 2 and html.count("<legend>Topics you want covered") == 2
    response = post(client, event, answers_form(event, **GOOD))
    assert response.status_code == 302, response.content.decode()[:3000]
    k = keys(event)
    assert Registration.objects.get().answers == {
        k["Access needs"]: "Step-free entrance",
        k["Licensing board"]: "National college",
        k["Topics you want covered"]: ["Ruptures", "Repair"],
        k["First time with us?"]: True,
        k["Date of licence"]: "2019-05-31",
        k["Country of practice"]: "ES",
    }


@pytest.mark.parametrize(
    "label,value,message",
    [
        ("Licensing board", "", "This field is required."),
        (
            "Licensing board",
            "Made-up board",
            "Select a valid choice. Made-up board is not one of the available choices.",
        ),
        ("Topics you want covered", ["Ruptures", "Astrology"], "Select a valid choice. Astrology is not one of"),
        ("First time with us?", "", "This field is required."),
        ("First time with us?", "maybe", "Select a valid choice."),
        ("Date of licence", "31/31/2019", "Enter a valid date."),
        ("Country of practice", "XX", "Select a valid choice. XX is not one of the available choices."),
        ("Access needs", "x" * 301, "Ensure this value has at most 300 characters"),
    ],
)
def test_a_bad_answer_gets_a_clear_message_and_nothing_is_registered(client, event, label, value, message):
    response = post(client, event, answers_form(event, **{**GOOD, label: value}))
    assert response.status_code == 200 and message in response.content.decode()
    assert not Registration.objects.exists()


def test_a_translated_page_asks_in_its_language_and_answers_are_kept_in_the_events(event, settings):
    settings.WAGTAIL_I18N_ENABLED = True
    settings.WAGTAIL_CONTENT_LANGUAGES = [("en", "English"), ("es", "Spanish")]
    client = Client(headers={"accept-language": "es"})
    spanish = Locale.objects.get_or_create(language_code="es")[0]
    translation = event.copy_for_translation(spanish, copy_parents=True)
    board = translation.questions.get(label="Licensing board")
    board.label, board.choices = "Colegio profesional", "Junta estatal\nColegio nacional\nOtro"
    board.save()
    translation.save_revision().publish()
    translation = EventPage.objects.get(pk=translation.pk)
    assert keys(translation)["Colegio profesional"] == keys(event)["Licensing board"]

    html = client.get(translation.url + "register/").content.decode()
    assert "Colegio profesional" in html and "Colegio nacional" in html
    data = answers_form(event, **GOOD)
    data[f"attendee-0-q_{keys(event)['Licensing board']}"] = "National college"  # the second choice
    response = client.post(translation.url + "register/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Registration.objects.get().answers[keys(event)["Licensing board"]] == "National college"


def test_answers_reach_the_export_the_door_and_the_dashboard(client, event, django_user_model):
    for i, (board, first) in enumerate(
        [("National college", "yes"), ("State board", "no"), ("National college", "no")]
    ):
        data = answers_form(event, **{**GOOD, "Licensing board": board, "First time with us?": first})
        data["attendee-0-email"] = f"a{i}@example.com"
        assert post(client, event, data).status_code == 302

    admin = Client()
    admin.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    export = admin.get(f"/admin/registrations/events/{event.pk}/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [row["Licensing board"] for row in rows] == ["National college", "State board", "National college"]
    assert rows[0]["Topics you want covered"] == "Ruptures; Repair" and rows[0]["First time with us?"] == "Yes"
    assert rows[0]["Wants the organizer's news"] == "No"

    order_page = admin.get(f"/admin/registrations/orders/{Order.objects.order_by('pk').first().pk}/").content.decode()
    assert "<dt>Licensing board</dt><dd>National college</dd>" in order_page
    assert "<dt>Topics you want covered</dt><dd>Ruptures; Repair</dd>" in order_page

    figures = {summary.question: summary.counts for summary in event_figures(event).answers}
    assert figures["Licensing board"] == [("State board", 1), ("National college", 2), ("Other", 0)]
    assert figures["First time with us?"] == [("Yes", 1), ("No", 2)]
    assert "Access needs" not in figures  # free text is not summed up

    seat = Registration.objects.order_by("pk").first()
    staff = django_user_model.objects.create_user("door", "door@example.com", "pw")
    staff.user_permissions.add(
        Permission.objects.get(codename="check_in"), Permission.objects.get(codename="access_admin")
    )
    event.organizer.team = staff.groups.create(name="Door team")
    event.organizer.save()
    door = Client()
    door.force_login(staff)
    answer = door.post(
        f"/checkin/{event.pk}/redeem/", json.dumps({"secret": seat.ticket_secret}), content_type="application/json"
    ).json()
    assert answer["result"] == "ok"
    assert answer["notes"] == [
        {"question": "Access needs", "answer": "Step-free entrance"},
        {"question": "Country of practice", "answer": "ES"},
    ]  # only the questions marked for the door


def test_buyers_accept_the_terms_and_notice_and_the_order_keeps_what_they_accepted(client, settings, django_user_model):
    settings.REGISTRATIONS_PRIVACY_NOTICE = "We keep your name and email to run this event."
    event = make_event("With terms", tickets=[("Standard", "0")], capacity=20, terms="No recording of sessions.")
    page = client.get(f"/events/{event.slug}/register/").content.decode()
    assert "No recording of sessions." in page and "We keep your name and email to run this event." in page
    assert "I accept the terms of registration and the privacy notice." in page

    data = {"ticket_type": event.ticket_types.get().pk, "quantity": 1, **attendee_data(1)}
    refused = post(client, event, data)
    assert "Registering needs your agreement: tick the box to accept." in refused.content.decode()
    assert not Order.objects.exists()

    assert post(client, event, {**data, "accept": "on"}).status_code == 302
    first = Order.objects.get()
    assert first.consents["marketing"] is False
    assert ConsentText.objects.get(version=first.consents["terms"]).text == "No recording of sessions."
    notice = ConsentText.objects.get(version=first.consents["privacy_notice"]).text
    assert notice == "We keep your name and email to run this event."

    # The terms change: the next buyer accepts the new text; the first order still shows the old one.
    page = EventPage.objects.get(pk=event.pk)
    page.terms = "Sessions may be recorded."
    page.save_revision().publish()
    data["attendee-0-email"] = "second@example.com"
    assert post(client, event, {**data, "accept": "on", "marketing": "on"}).status_code == 302
    second = Order.objects.latest("pk")
    assert second.consents["marketing"] is True and second.consents["terms"] != first.consents["terms"]
    assert ConsentText.objects.get(version=first.consents["terms"]).text == "No recording of sessions."
    assert second.consents["privacy_notice"] == first.consents["privacy_notice"]  # kept once
    assert ConsentText.objects.count() == 3
    admin = Client()
    admin.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    order_page = admin.get(f"/admin/registrations/orders/{first.pk}/").content.decode()
    assert "No recording of sessions." in order_page and "Sessions may be recorded." not in order_page
    assert "No news from the organizer" in order_page


def test_without_terms_or_a_notice_nothing_needs_accepting(client):
    event = make_event("Plain", tickets=[("Standard", "0")], capacity=20)
    page = client.get(f"/events/{event.slug}/register/").content.decode()
    assert 'name="accept"' not in page and 'name="marketing"' in page
    data = {"ticket_type": event.ticket_types.get().pk, "quantity": 1, **attendee_data(1)}
    assert post(client, event, data).status_code == 302
    assert set(Order.objects.get().consents) == {"at", "marketing"}


# Questions asked with some ticket types only


def test_editors_choose_the_ticket_types_a_question_is_asked_with(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("editor", "e@example.com", "pw"))
    event = make_event("Per ticket", tickets=[("Clinician", "0"), ("Student", "0")])
    event = with_questions(event, [("Licensing board", "short_text", "", True, False)])
    clinician, student = event.ticket_types.all()
    edit = form_data(client, f"/admin/pages/{event.pk}/edit/")
    page = client.get(f"/admin/pages/{event.pk}/edit/").content.decode()
    assert 'name="questions-0-for_ticket_types"' in page and page.count(f'value="{student.pk}"') >= 1
    edit["questions-0-for_ticket_types"] = [str(clinician.pk)]
    edit["action-publish"] = "publish"
    assert client.post(f"/admin/pages/{event.pk}/edit/", edit).status_code == 302
    assert EventPage.objects.get(pk=event.pk).questions.get().for_ticket_types == [clinician.pk]
    # Only the event's own ticket types can be chosen.
    edit = form_data(client, f"/admin/pages/{event.pk}/edit/")
    edit["questions-0-for_ticket_types"] = ["999999"]
    edit["action-publish"] = "publish"
    response = client.post(f"/admin/pages/{event.pk}/edit/", edit)
    assert response.status_code == 200 and "Select a valid choice." in response.content.decode()
    assert EventPage.objects.get(pk=event.pk).questions.get().for_ticket_types == [clinician.pk]


def test_a_question_is_asked_only_with_the_ticket_types_it_names(client):
    event = make_event("Per ticket", tickets=[("Clinician", "0"), ("Student", "0")], capacity=20)
    clinician, student = event.ticket_types.all()
    page = EventPage.objects.get(pk=event.pk)
    page.questions = [
        EventQuestion(label="Licensing board", kind="short_text", required=True, for_ticket_types=[clinician.pk]),
        EventQuestion(label="Dietary needs", kind="short_text"),
    ]
    page.save_revision().publish()
    board = EventPage.objects.get(pk=event.pk).questions.get(label="Licensing board").key

    # No ticket chosen yet: shown, optional, marked for the script to hide with other tickets.
    form = client.get(f"/events/{event.slug}/register/").content.decode()
    assert f'data-asked-with="{clinician.pk}"' in form and f"attendee-0-q_{board}" in form
    assert "registrations/register" in form and ".js" in form

    # A student is not asked (an answer sent anyway is not kept); a clinician must answer.
    data = {"quantity": 1, **attendee_data(1), f"attendee-0-q_{board}": "State board"}
    assert post(client, event, {**data, "ticket_type": student.pk}).status_code == 302
    assert Registration.objects.get().answers == {}
    missing = post(client, event, {**data, "ticket_type": clinician.pk, f"attendee-0-q_{board}": ""})
    assert missing.status_code == 200 and "This field is required." in missing.content.decode()
    assert Registration.objects.count() == 1
    assert post(client, event, {**data, "ticket_type": clinician.pk}).status_code == 302
    assert Registration.objects.order_by("pk").last().answers == {board: "State board"}
