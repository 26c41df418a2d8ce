"""Marking attendance in bulk from the admin: the organizer picks a session and the attendees who
were there (people let in without a scan, a sign-in sheet typed up after the event).

Only those who may check people in at the door (`permissions.may_check_in`: the event's team
with the check-in permission, and superusers) may; anyone else gets the admin's 403. The work is
`services.attendance.mark_attended`, which logs each check-in like the door does, with the method
"bulk" and who made it.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView
from wagtail import hooks

from .admin_dashboard import EventAdminPageMixin, dashboard_url, refuse
from .models import Registration
from .permissions import may_check_in
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


class MarkAttendedView(EventAdminPageMixin, FormView):
    page_title = gettext_lazy("Mark attended")
    header_icon = "tick"
    template_name = "registrations/admin/dashboard/mark_attended.html"
    form_class = MarkAttendedForm

    def get(self, request, *args, **kwargs):
        return self.refused() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.refused() or super().post(request, *args, **kwargs)

    def refused(self):
        """Managing the event is not enough: marking attendance is checking people in."""
        return None if may_check_in(self.request.user, self.event) else refuse(self.request)

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
            event=self.event,
            action_url=self.request.path,
            back_url=dashboard_url(self.event),
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
