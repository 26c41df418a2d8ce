"""Marking attendance in bulk from the admin: the organizer picks a session and the attendees who
were there (people let in without a scan, a sign-in sheet typed up after the event).

Only those who may check people in at the door (`permissions.may_check_in`: the event's team
with the check-in permission, and superusers) may; anyone else gets the admin's 403. The work is
`services.attendance.mark_attended`, which logs each check-in like the door does, with the method
"bulk" and who made it.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView
from wagtail import hooks

from events.models import EventPage

from .admin_dashboard import EventAdminPageMixin, dashboard_url, refuse
from .models import CheckIn, Registration
from .permissions import may_check_in
from .services import attendance
from .services.attendance import check_ins_at, mark_attended
from .services.exports import session_label

MARK_ATTENDED = "registrations_event_mark_attended"


def mark_attended_url(event):
    return reverse(MARK_ATTENDED, args=[event.pk])


class SessionChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def label_from_instance(self, session):
        return session_label(session, self.zone)


class AttendeeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, registration):
        return f"{registration.name} <{registration.email}> – {registration.ticket_type.name}"


class MarkAttendedForm(forms.Form):
    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"] = SessionChoiceField(
            label=gettext_lazy("Session"),
            queryset=event.sessions.order_by("start", "pk"),
            zone=event.zone,
            empty_label=None,
        )
        self.fields["registrations"] = AttendeeChoiceField(
            label=gettext_lazy("Attendees who were there"),
            queryset=Registration.objects.confirmed().filter(event=event).select_related("ticket_type").order_by("name", "pk"),
            widget=forms.CheckboxSelectMultiple,
            help_text=gettext_lazy("Confirmed attendees only. Anyone already checked in at the session stays as they are."),
        )  # fmt: skip


class AttendanceFormMixin:
    """An admin form about the event's attendance. Managing the event is not enough: marking or
    correcting attendance is checking people in."""

    def get(self, request, *args, **kwargs):
        return self.refused() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.refused() or super().post(request, *args, **kwargs)

    def refused(self):
        return None if may_check_in(self.request.user, self.event) else refuse(self.request)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(event=self.event, action_url=self.request.path, back_url=dashboard_url(self.event))
        return context


class MarkAttendedView(AttendanceFormMixin, EventAdminPageMixin, FormView):
    page_title = gettext_lazy("Mark attended")
    header_icon = "tick"
    template_name = "registrations/admin/dashboard/mark_attended.html"
    form_class = MarkAttendedForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "event": self.event}

    @cached_property
    def present(self):
        """{session id: ids of registrations checked in there}, to show who is in already."""
        return {
            session.pk: set(check_ins_at(session, Registration.objects.filter(event=self.event)))
            for session in self.event.ordered_sessions
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            checked_in_counts=[
                (session_label(session, self.event.zone), len(self.present[session.pk]))
                for session in self.event.ordered_sessions
            ],
        )
        return context

    def form_valid(self, form):
        session, chosen = form.cleaned_data["session"], form.cleaned_data["registrations"]
        made = mark_attended(chosen, session, self.request.user)
        label = session_label(session, self.event.zone)
        messages.success(
            self.request,
            ngettext(
                "%(count)d attendee marked attended at %(session)s.",
                "%(count)d attendees marked attended at %(session)s.",
                len(made),
            )
            % {"count": len(made), "session": label},
        )
        already = len(chosen) - len(made)
        if already:
            messages.info(
                self.request,
                ngettext("%(count)d was already checked in there.", "%(count)d were already checked in there.", already)
                % {"count": already},
            )
        return redirect(dashboard_url(self.event))


@hooks.register("register_admin_urls")
def register_mark_attended_url():
    return [path("registrations/events/<id:event_id>/mark-attended/", MarkAttendedView.as_view(), name=MARK_ATTENDED)]


# Correcting one attendee's attendance


CORRECT_ATTENDANCE = "registrations_correct_attendance"


def correct_attendance_url(registration):
    return reverse(CORRECT_ATTENDANCE, args=[registration.event_id, registration.pk])


class CorrectAttendanceForm(forms.Form):
    """Per session: there or not, and when they arrived and left (typed in the event's zone; blank:
    from the start, to the end); and why, which the order's history keeps."""

    reason = forms.CharField(
        label=gettext_lazy("Reason for the correction"), max_length=300,
        help_text=gettext_lazy("Kept in the order's history with your name, such as “left at the lunch break; told the desk”."),
    )  # fmt: skip

    def __init__(self, *args, event, present, **kwargs):
        super().__init__(*args, **kwargs)
        self.sessions = event.ordered_sessions
        for session in self.sessions:
            label = session_label(session, event.zone)
            check_in = present.get(session.pk)
            self.fields[f"present_{session.pk}"] = forms.BooleanField(
                label=_("Attended %(session)s") % {"session": label}, required=False, initial=check_in is not None
            )
            for name, text, value in (
                ("arrived", _("arrived at"), check_in and check_in.arrived_at),
                ("left", _("left at"), check_in and check_in.left_at),
            ):
                self.fields[f"{name}_{session.pk}"] = forms.DateTimeField(
                    label=f"{label}: {text}", required=False,
                    initial=timezone.localtime(value, event.zone).replace(tzinfo=None) if value else None,
                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                )  # fmt: skip
        self.order_fields(["reason"] + [name for name in self.fields if name != "reason"])

    def clean(self):
        cleaned = super().clean()
        for session in self.sessions:
            arrived, left = cleaned.get(f"arrived_{session.pk}"), cleaned.get(f"left_{session.pk}")
            if arrived and left and left <= arrived:
                self.add_error(f"left_{session.pk}", _("They must leave after they arrive."))
        return cleaned

    def sessions_attended(self):
        """{session: None or (arrived, left)} as `attendance.correct` takes it."""
        data = self.cleaned_data
        return {
            session: (data.get(f"arrived_{session.pk}"), data.get(f"left_{session.pk}"))
            if data.get(f"present_{session.pk}")
            else None
            for session in self.sessions
        }


class CorrectAttendanceView(AttendanceFormMixin, EventAdminPageMixin, FormView):
    page_title = gettext_lazy("Correct attendance")
    header_icon = "edit"
    template_name = "registrations/admin/dashboard/correct_attendance.html"
    form_class = CorrectAttendanceForm

    def dispatch(self, request, *args, **kwargs):
        # Times are typed and shown in the event's own zone, whoever corrects them.
        event = EventPage.objects.filter(pk=kwargs["event_id"]).only("time_zone").first()
        with timezone.override(event.zone if event else timezone.get_current_timezone()):
            return super().dispatch(request, *args, **kwargs)

    @cached_property
    def registration(self):
        return get_object_or_404(
            Registration.objects.confirmed().select_related("order"),
            pk=self.kwargs["registration_id"],
            event=self.event,
        )

    def get_page_subtitle(self):
        return self.registration.name

    def get_form_kwargs(self):
        present = {c.session_id: c for c in CheckIn.objects.active().filter(registration=self.registration)}
        return {**super().get_form_kwargs(), "event": self.event, "present": present}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            intro=_(
                "Set which sessions %(name)s attended, and when they arrived and left where it matters (times in "
                "%(zone)s; blank: from the start, to the end). The certificate follows: its verification page "
                "says it was reissued."
            )
            % {"name": self.registration.name, "zone": self.event.time_zone},
            submit_label=_("Save the correction"),
            hours=attendance.hours_attended(self.registration),
        )
        return context

    def form_valid(self, form):
        before, after = attendance.correct(
            self.registration, form.sessions_attended(), form.cleaned_data["reason"], self.request.user
        )
        messages.success(
            self.request,
            _("Attendance of %(name)s corrected: %(before)s hours before, %(after)s now.")
            % {"name": self.registration.name, "before": before, "after": after},
        )
        return redirect(dashboard_url(self.event))


@hooks.register("register_admin_urls")
def register_correct_attendance_url():
    return [
        path(
            "registrations/events/<id:event_id>/attendance/<id:registration_id>/",
            CorrectAttendanceView.as_view(),
            name=CORRECT_ATTENDANCE,
        )
    ]
