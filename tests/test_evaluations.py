"""Evaluations (services/evaluations.py): the questions an event asks after it (its organizer's
template first), who is asked what, the form and bad answers, certificates that wait for it, the
reminders (never twice), the results and their export, anonymity."""

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from events.models import EvaluationTemplate, EventPage
from registrations.models import EvaluationResponse, OrderLogEntry, Registration
from registrations.services import certificates, evaluations
from tests.factories import OrganizerFactory, event_index, make_event
from tests.test_certificates import attendee, check_in, past_event
from tests.test_dashboard import team_member
from tests.test_editor import filled_add_form
from tests.test_my_events import signed_in

pytestmark = pytest.mark.django_db

PRESENTERS = [
    ("presenter", {"name": "Dr. Jeremy Safran", "credentials": "PhD", "bio": ""}),
    ("presenter", {"name": "Dr. Catherine Eubanks", "credentials": "PhD", "bio": ""}),
]
OWN_QUESTIONS = [
    ("rating", {"question": "How useful was this session?", "asked_for": "session", "required": True, "scale": 5}),
    ("rating", {"question": "The presenter was clear", "asked_for": "presenter", "required": True, "scale": 4}),
    ("choice", {"question": "What will you use?", "asked_for": "event", "required": False,
                "choices": ["Rupture repair", "Alliance measures", "Supervision"], "several": True}),
    ("text", {"question": "Anything else?", "asked_for": "event", "required": False}),
]  # fmt: skip
STANDARD_FORM = [
    ("rating", {"question": "The objectives were met", "asked_for": "event", "required": True, "scale": 5}),
    ("choice", {"question": "Was the content free of commercial bias?", "asked_for": "event", "required": True,
                "choices": ["Yes", "No"], "several": False}),
]  # fmt: skip


def evaluated_event(required=True, anonymous=True, template=True, **fields):
    """A three-session workshop that ended yesterday, asking the organizer's standard form then its own questions."""
    organizer = OrganizerFactory(name="Alliance Institute")
    standard = EvaluationTemplate.objects.create(name="APA form", organizer=organizer, questions=STANDARD_FORM)
    event = past_event(
        organizer=organizer,
        presenters=PRESENTERS,
        evaluation=OWN_QUESTIONS,
        evaluation_template=standard if template else None,
        evaluation_required=required,
        evaluation_anonymous=anonymous,
        **fields,
    )
    return EventPage.objects.get(pk=event.pk)


@pytest.fixture
def event():
    return evaluated_event()


@pytest.fixture
def ana(event):
    """Ana attended the first two of the three sessions."""
    registration = attendee(event)
    check_in(registration, *event.ordered_sessions[:2])
    return registration


def keys(event):
    """{question: its key} of the event's evaluation."""
    return {q.label: q.key for q in event.evaluation_questions}


def form_path(registration):
    return f"/tickets/{registration.ticket_secret}/evaluation/"


def answers_for(event, registration, **overrides):
    """A complete, valid post for `registration` (ratings of 4, the first choice)."""
    k = keys(event)
    first, second, _third = event.ordered_sessions
    ids = [block.id for block in event.presenters]
    data = {
        k["The objectives were met"]: "5",
        k["Was the content free of commercial bias?"]: "0",
        f"{k['How useful was this session?']}/s{first.pk}": "4",
        f"{k['How useful was this session?']}/s{second.pk}": "2",
        f"{k['The presenter was clear']}/p{ids[0]}": "4",
        f"{k['The presenter was clear']}/p{ids[1]}": "3",
        k["What will you use?"]: ["0", "2"],
        k["Anything else?"]: "More role plays, please.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# What is asked


def test_the_template_comes_first_and_each_question_keeps_its_key_through_rewording(event):
    labels = [q.label for q in event.evaluation_questions]
    assert labels == [
        "The objectives were met", "Was the content free of commercial bias?",
        "How useful was this session?", "The presenter was clear", "What will you use?", "Anything else?",
    ]  # fmt: skip
    before = keys(event)["How useful was this session?"]
    event.evaluation[0].value["question"] = "How useful was it?"
    event.save_revision().publish()
    again = EventPage.objects.get(pk=event.pk)
    assert keys(again)["How useful was it?"] == before


def test_session_questions_are_asked_for_the_sessions_attended_and_presenter_ones_per_presenter(event, ana):
    page = Client().get(form_path(ana)).content.decode()
    first, second, third = event.ordered_sessions
    k = keys(event)["How useful was this session?"]
    assert f'name="{k}/s{first.pk}"' in page and f'name="{k}/s{second.pk}"' in page
    assert f'name="{k}/s{third.pk}"' not in page  # not attended: not asked
    assert "Dr. Jeremy Safran" in page and "Dr. Catherine Eubanks" in page
    assert "Your answers are anonymous" in page and "certificate of attendance is issued once you submit it" in page


# The form: who may, and bad answers


def test_only_an_attendee_of_an_event_that_is_over_is_asked(event, ana):
    absent = attendee(event, name="Cy Absent", email="cy@example.com")
    cancelled = attendee(event, name="Di Gone", email="di@example.com", status=Registration.Status.CANCELLED)
    check_in(cancelled, event.ordered_sessions[0])
    for registration, reason in ((absent, "no record of your attendance"), (cancelled, "confirmed attendees only")):
        response = Client().get(form_path(registration), follow=True)
        assert response.redirect_chain[0][0] == f"/tickets/{registration.ticket_secret}/"
        assert reason in response.content.decode()
    upcoming = make_event("Next one", starts_in=dt.timedelta(days=3), evaluation=OWN_QUESTIONS)
    soon = attendee(upcoming, email="ana@example.com")
    assert "opens when the event is over" in Client().get(form_path(soon), follow=True).content.decode()
    assert Client().get("/tickets/not-a-real-ticket-secret-at-all-xxxxxx/evaluation/").status_code == 404
    assert Client().get(form_path(ana)).status_code == 200


@pytest.mark.parametrize(
    "bad",
    [
        {"rating_missing": None},
        {"rating": "6"},
        {"rating": "0"},
        {"rating": "four"},
        {"choice": "7"},
        {"choice": "-1"},
        {"several": ["0", "9"]},
        {"text": "x" * 2001},
        {"text": "nul \x00 byte"},
    ],
    ids=lambda bad: next(iter(bad)),
)
def test_bad_answers_are_refused_with_a_message_and_nothing_is_stored(event, ana, bad):
    k = keys(event)
    field = {
        "rating_missing": k["The objectives were met"], "rating": k["The objectives were met"],
        "choice": k["Was the content free of commercial bias?"], "several": k["What will you use?"],
        "text": k["Anything else?"],
    }[next(iter(bad))]  # fmt: skip
    response = Client().post(form_path(ana), answers_for(event, ana, **{field: next(iter(bad.values()))}))
    assert response.status_code == 200
    assert "Please correct the fields marked below" in response.content.decode()
    assert not EvaluationResponse.objects.exists()
    assert Registration.objects.get(pk=ana.pk).evaluated_at is None


def test_answers_are_stored_once_by_number_and_position(event, ana):
    client = Client()
    response = client.post(form_path(ana), answers_for(event, ana), follow=True)
    assert "your evaluation has been received" in response.content.decode()
    (stored,) = EvaluationResponse.objects.all()
    k = keys(event)
    assert stored.answers[k["The objectives were met"]] == 5
    assert stored.answers[k["What will you use?"]] == [0, 2]
    assert stored.answers[k["Anything else?"]] == "More role plays, please."
    assert stored.registration is None and stored.submitted_on == timezone.localdate()  # anonymous: unlinked
    assert Registration.objects.get(pk=ana.pk).evaluated_at is not None
    assert OrderLogEntry.objects.filter(action=evaluations.SUBMITTED, detail__registration=ana.pk).count() == 1
    # Again (a second tab, a double click): nothing more is stored.
    again = client.post(form_path(ana), answers_for(event, ana), follow=True)
    assert "your evaluation has been received" in again.content.decode()
    assert EvaluationResponse.objects.count() == 1
    with pytest.raises(evaluations.NotDue):
        evaluations.submit(Registration.objects.get(pk=ana.pk), {})


@pytest.mark.postgres
def test_two_submissions_at_once_store_one(transactional_db):
    from tests.concurrency import at_once

    event = evaluated_event()
    seat = attendee(event)
    check_in(seat, event.ordered_sessions[0])

    def submit():
        try:
            evaluations.submit(Registration.objects.get(pk=seat.pk), {"x": 1})
            return "stored"
        except evaluations.NotDue:
            return "refused"

    assert sorted(at_once([submit] * 4)) == ["refused"] * 3 + ["stored"]
    assert EvaluationResponse.objects.count() == 1


# Certificates wait for it


def test_a_required_evaluation_comes_before_the_certificate(event, ana):
    client = Client()
    assert certificates.availability(ana) == certificates.Availability.NOT_EVALUATED
    assert list(certificates.eligible_registrations(event)) == []
    refused = client.get(f"/tickets/{ana.ticket_secret}/certificate.pdf")
    assert refused.status_code == 403 and "once you have completed the event" in refused.content.decode()
    assert form_path(ana) in refused.content.decode()
    ticket = client.get(f"/tickets/{ana.ticket_secret}/").content.decode()
    assert form_path(ana) in ticket and "certificate.pdf" not in ticket
    with pytest.raises(certificates.NotEligible):
        certificates.issue(ana)
    client.post(form_path(ana), answers_for(event, ana))
    ana.refresh_from_db()
    assert certificates.eligible(ana) and list(certificates.eligible_registrations(event)) == [ana]
    assert client.get(f"/tickets/{ana.ticket_secret}/certificate.pdf").status_code == 200
    ticket = client.get(f"/tickets/{ana.ticket_secret}/").content.decode()
    assert form_path(ana) not in ticket and "Thank you: your evaluation has been received" in ticket


def test_an_evaluation_not_required_asks_but_does_not_hold_the_certificate():
    event = evaluated_event(required=False)
    seat = attendee(event)
    check_in(seat, event.ordered_sessions[0])
    assert certificates.eligible(seat)
    ticket = Client().get(f"/tickets/{seat.ticket_secret}/").content.decode()
    assert form_path(seat) in ticket and "certificate.pdf" in ticket


def test_my_events_lists_the_evaluations_to_do_and_the_transcript_waits_for_them(event, ana):
    client = signed_in()
    page = client.get("/my-events/").content.decode()
    assert "Evaluations to complete" in page and form_path(ana) in page and "your certificate waits for it" in page
    assert event.title not in client.get("/my-events/transcript/").content.decode()
    Client().post(form_path(ana), answers_for(event, ana))
    page = client.get("/my-events/").content.decode()
    assert "Evaluations to complete" not in page and form_path(ana) not in page
    assert event.title.replace("&", "&amp;") in client.get("/my-events/transcript/").content.decode()


def test_emailing_certificates_skips_those_still_to_evaluate(
    event, ana, mailoutbox, django_capture_on_commit_callbacks
):
    ben = attendee(event, name="Ben Brown", email="ben@example.com")
    check_in(ben, event.ordered_sessions[0])
    Client().post(form_path(ben), answers_for(event, ben, **{f"{keys(event)['How useful was this session?']}/s{event.ordered_sessions[1].pk}": None}))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert certificates.email_certificates(event) == 1
    assert [m.to for m in mailoutbox] == [["ben@example.com"]]


# Reminders


def test_reminders_go_after_the_event_then_once_more_and_never_twice(event, ana, django_capture_on_commit_callbacks):
    ben = attendee(event, name="Ben Brown", email="ben@example.com")
    check_in(ben, event.ordered_sessions[2])
    attendee(event, name="Cy Absent", email="cy@example.com")  # not there: nothing to evaluate
    end = event.end

    def sweep(at):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            count = evaluations.send_reminders(now=at)
        return count, sorted(m.to[0] for m in mail.outbox)

    assert sweep(end + dt.timedelta(hours=1)) == (0, [])
    assert sweep(end + dt.timedelta(hours=3)) == (2, ["ana@example.com", "ben@example.com"])
    message = mail.outbox[0]
    assert form_path(ana if message.to == ["ana@example.com"] else ben) in message.body
    assert "certificate of attendance is issued once you submit it" in message.body
    assert sweep(end + dt.timedelta(hours=5)) == (0, [])
    useful = keys(event)["How useful was this session?"]
    first, second, third = (f"{useful}/s{session.pk}" for session in event.ordered_sessions)
    Client().post(form_path(ben), answers_for(event, ben, **{first: None, second: None, third: "3"}))
    assert Registration.objects.get(pk=ben.pk).evaluated_at is not None
    assert sweep(end + dt.timedelta(days=5)) == (1, ["ana@example.com"])
    assert sweep(end + dt.timedelta(days=6)) == (0, [])
    assert OrderLogEntry.objects.filter(action=evaluations.REMINDED, detail__registration=ana.pk).count() == 2


def test_a_sweep_that_missed_the_first_round_sends_one_email_not_two(event, ana, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert evaluations.send_reminders(now=event.end + dt.timedelta(days=5)) == 1
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert evaluations.send_reminders(now=event.end + dt.timedelta(days=6)) == 0


def test_each_reminder_is_decided_again_under_the_row_lock(event, ana, django_capture_on_commit_callbacks):
    """What a sweep read before taking the lock may be stale: a second sweep sent it meanwhile, or the
    attendee submitted; the lock's own check sends nothing then."""
    with django_capture_on_commit_callbacks(execute=True):
        assert evaluations.remind(ana, 1) == 1
        assert evaluations.remind(ana, 1) == 0  # another sweep's stale read
    assert len(mail.outbox) == 1
    Client().post(form_path(ana), answers_for(event, ana))
    assert evaluations.remind(ana, 2) == 0  # submitted since the read
    assert OrderLogEntry.objects.filter(action=evaluations.REMINDED).count() == 1


@pytest.mark.postgres
def test_two_sweeps_at_once_send_each_reminder_once(transactional_db, django_capture_on_commit_callbacks):
    from tests.concurrency import at_once

    event = evaluated_event()
    seat = attendee(event)
    check_in(seat, event.ordered_sessions[0])
    at = event.end + dt.timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert sorted(at_once([lambda: evaluations.send_reminders(now=at)] * 3)) == [0, 0, 1]
    assert OrderLogEntry.objects.filter(action=evaluations.REMINDED).count() == 1


def test_no_reminder_for_events_long_over_or_without_questions(ana, django_capture_on_commit_callbacks):
    plain = past_event(title="No evaluation")
    own_only = evaluated_event(template=False, title="Own questions only")
    for event, email in ((plain, "plain@example.com"), (own_only, "own@example.com")):
        check_in(attendee(event, email=email), event.ordered_sessions[0])
    with django_capture_on_commit_callbacks(execute=True):
        assert evaluations.send_reminders(now=ana.event.end + evaluations.REMINDER_WINDOW + dt.timedelta(hours=1)) == 0
        assert evaluations.send_reminders(now=plain.end + dt.timedelta(hours=3)) == 2  # not plain's
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.com", "own@example.com"]


def test_the_reminder_is_in_the_attendees_language(event, ana):
    from registrations.emails import build_email

    ana.order.language = "es"
    ana.order.save(update_fields=["language"])
    message = build_email("evaluation_reminder", registration_id=ana.pk)
    assert message.subject == "¿Qué tal fue Alliance & rupture workshop? Su evaluación"
    assert "Su certificado de asistencia se emite cuando la envíe." in message.body
    assert f"http://localhost{form_path(ana)}" in message.body
    assert f'href="http://localhost{form_path(ana)}"' in message.alternatives[0][0]


def test_a_reminder_queued_before_the_evaluation_was_submitted_is_not_sent(event, ana):
    from registrations.emails import build_email

    Client().post(form_path(ana), answers_for(event, ana))
    assert build_email("evaluation_reminder", registration_id=ana.pk) is None


# Results and their export


@pytest.fixture
def answered(event, ana):
    """Ana's answers and Ben's (who attended the first session only)."""
    Client().post(form_path(ana), answers_for(event, ana))
    ben = attendee(event, name="Ben Brown", email="ben@example.com")
    check_in(ben, event.ordered_sessions[0])
    k = keys(event)
    ben_answers = answers_for(event, ben, **{
        f"{k['How useful was this session?']}/s{event.ordered_sessions[0].pk}": "5",
        f"{k['How useful was this session?']}/s{event.ordered_sessions[1].pk}": None,
        k["The objectives were met"]: "4",
        k["What will you use?"]: ["0"],
        k["Anything else?"]: "=HYPERLINK(\"http://evil.example\")",
    })  # fmt: skip
    assert Client().post(form_path(ben), ben_answers).status_code == 302
    return ana, ben


def test_results_summarise_each_question_per_session_and_presenter(event, answered):
    results = {(r.item.question.label, r.item.subject): r for r in evaluations.results(event)}
    objectives = results[("The objectives were met", "")]
    assert objectives.answered == 2 and objectives.mean == 4.5 and objectives.counts[3:] == [(4, 1), (5, 1)]
    first, second, third = (evaluations.session_label(s, event.zone) for s in event.ordered_sessions)
    useful = {s: results[("How useful was this session?", s)] for s in (first, second, third)}
    assert [useful[s].answered for s in (first, second, third)] == [2, 1, 0]
    assert useful[first].mean == 4.5 and useful[second].mean == 2 and useful[third].mean is None
    assert results[("The presenter was clear", "Dr. Jeremy Safran")].counts == [(1, 0), (2, 0), (3, 0), (4, 2)]
    assert results[("What will you use?", "")].counts == [("Rupture repair", 2), ("Alliance measures", 0), ("Supervision", 1)]  # fmt: skip
    assert results[("Anything else?", "")].texts == ['=HYPERLINK("http://evil.example")', "More role plays, please."]


def test_the_team_sees_the_results_and_exports_them_without_names_when_anonymous(event, answered, django_user_model):
    team = team_member(django_user_model, event.organizer, "teammate")
    page = team.get(f"/admin/registrations/events/{event.pk}/evaluation/").content.decode()
    assert "2 of 2 attendees have submitted the evaluation" in page and "More role plays" in page
    assert "Ana Pérez" not in page and "ana@example.com" not in page
    response = team.get(f"/admin/registrations/events/{event.pk}/evaluation.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[0] == "Submitted" and "The presenter was clear (Dr. Jeremy Safran)" in header
    assert len(rows) == 2 and "Ana" not in text and "ben@example.com" not in text
    uses = header.index("What will you use?")
    assert sorted(row[uses] for row in rows) == ["Rupture repair", "Rupture repair; Supervision"]
    assert "'=HYPERLINK" in text  # a formula shown as text, never run
    xlsx = team.get(f"/admin/registrations/events/{event.pk}/evaluation.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert [cell.value for cell in sheet[1]] == header and sheet.max_row == 3
    rival = team_member(django_user_model, OrganizerFactory(name="Rival"), "rival")
    assert rival.get(f"/admin/registrations/events/{event.pk}/evaluation.csv").status_code == 403
    assert team.get(f"/admin/registrations/events/{event.pk}/evaluation.pdf", follow=True).status_code == 404


def test_signed_answers_name_who_gave_them_in_the_export(admin_client):
    event = evaluated_event(anonymous=False, template=False)
    seat = attendee(event)
    check_in(seat, event.ordered_sessions[0])
    k = keys(event)
    ids = [block.id for block in event.presenters]
    Client().post(form_path(seat), {
        f"{k['How useful was this session?']}/s{event.ordered_sessions[0].pk}": "3",
        f"{k['The presenter was clear']}/p{ids[0]}": "4", f"{k['The presenter was clear']}/p{ids[1]}": "4",
    })  # fmt: skip
    assert EvaluationResponse.objects.get().registration == seat
    text = b"".join(admin_client.get(f"/admin/registrations/events/{event.pk}/evaluation.csv").streaming_content)
    header, row = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert header[:3] == ["Name", "Email", "Submitted"] and row[:2] == ["Ana Pérez", "ana@example.com"]


# The editor


def test_an_event_uses_its_own_organizers_template_or_a_shared_one_only(admin_client):
    editor, index = admin_client, event_index()
    data = filled_add_form(editor, index)
    organizer = OrganizerFactory(name="Grief Society")
    data["organizer"] = str(organizer.pk)
    rival = EvaluationTemplate.objects.create(name="Rival form", organizer=OrganizerFactory(name="Rival"), questions=STANDARD_FORM)  # fmt: skip
    shared = EvaluationTemplate.objects.create(name="Shared form", questions=STANDARD_FORM)
    add = f"/admin/pages/add/events/eventpage/{index.pk}/"
    refused = editor.post(add, {**data.dict(), "evaluation_template": str(rival.pk)})
    assert refused.context["form"].errors["evaluation_template"] == [
        "“Rival form” belongs to Rival: choose a template of this event's organizer, or a shared one."
    ]
    assert not EventPage.objects.exists()
    nothing_asked = editor.post(add, {**data.dict(), "evaluation_required": "on"})
    assert nothing_asked.context["form"].errors["evaluation_required"] == [
        "Add evaluation questions or choose a template before making the certificate wait for it."
    ]
    assert not EventPage.objects.exists()
    saved = editor.post(add, {**data.dict(), "evaluation_template": str(shared.pk), "evaluation_required": "on"})
    assert saved.status_code == 302
    event = EventPage.objects.get()
    assert event.evaluation_template == shared and event.evaluation_required
    assert [q.label for q in event.evaluation_questions] == ["The objectives were met", "Was the content free of commercial bias?"]  # fmt: skip


def test_a_team_is_offered_its_organizers_templates_and_the_shared_ones(event, django_user_model):
    team_member(django_user_model, event.organizer, "teammate")
    rival = EvaluationTemplate.objects.create(name="Rival form", organizer=OrganizerFactory(name="Rival"), questions=STANDARD_FORM)  # fmt: skip
    shared = EvaluationTemplate.objects.create(name="Shared form", questions=STANDARD_FORM)
    form_class = EventPage.get_edit_handler().get_form_class()
    user = django_user_model.objects.get(username="teammate")
    offered = set(form_class(instance=event, for_user=user).fields["evaluation_template"].queryset)
    assert offered == {event.evaluation_template, shared} and rival not in offered


def test_a_translated_page_asks_its_own_wording_and_the_answers_of_both_languages_meet(settings):
    """Wagtail's translation copies the questions with their keys: a Spanish reader sees the Spanish
    wording, and the answer is stored under the same key as an English reader's."""
    from wagtail.models import Locale

    settings.WAGTAIL_I18N_ENABLED = True
    settings.WAGTAIL_CONTENT_LANGUAGES = [("en", "English"), ("es", "Spanish")]
    english = evaluated_event(template=False)
    spanish = english.copy_for_translation(Locale.objects.create(language_code="es"), copy_parents=True)
    spanish.evaluation[3].value["question"] = "¿Algo más?"
    spanish.save_revision().publish()
    english = EventPage.objects.get(pk=english.pk)  # (the copy shared the stream's objects in memory)
    seat = attendee(english)
    check_in(seat, english.ordered_sessions[0])
    k = keys(english)["Anything else?"]
    page = Client(headers={"accept-language": "es"}).get(form_path(seat)).content.decode()
    assert "¿Algo más?" in page and f'name="{k}"' in page and "Anything else?" not in page
    first = english.ordered_sessions[0]
    ids = [block.id for block in english.presenters]
    Client(headers={"accept-language": "es"}).post(form_path(seat), {
        f"{keys(english)['How useful was this session?']}/s{first.pk}": "5",
        f"{keys(english)['The presenter was clear']}/p{ids[0]}": "4",
        f"{keys(english)['The presenter was clear']}/p{ids[1]}": "4",
        k: "Más casos prácticos",
    })  # fmt: skip
    assert EvaluationResponse.objects.get().answers[k] == "Más casos prácticos"
    assert [r.texts for r in evaluations.results(english) if r.item.key == k] == [["Más casos prácticos"]]
