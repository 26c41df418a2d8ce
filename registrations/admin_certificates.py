"""Admin actions for certificates of attendance (admin hooks): emailing every attendee of an event
their certificate, after a confirmation page saying how many will be sent.

Who may do it is `permissions.may_manage` (the event's organizer team, and superusers); anyone
else gets a 403. The work is `services.certificates.email_certificates`, which never sends one
attendee two.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import defaults
from django.views.generic import FormView
from wagtail import hooks
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import Button

from events.inputs import IdConverter  # noqa: F401  (registers <id:…>)
from events.models import EventPage

from .permissions import may_manage
from .services import certificates

EMAIL_CERTIFICATES = "registrations_email_certificates"


def email_certificates_url(event):
    return reverse(EMAIL_CERTIFICATES, args=[event.pk])


class EmailCertificatesView(WagtailAdminTemplateMixin, FormView):
    """GET: how many certificates will be emailed. POST: issue and queue them."""

    template_name = "registrations/admin/confirm.html"  # the admin's one confirmation page
    form_class = forms.Form
    page_title = gettext_lazy("Email certificates")
    header_icon = "mail"
    submit_label = gettext_lazy("Email the certificates")

    def dispatch(self, request, *args, **kwargs):
        self.event = get_object_or_404(EventPage, pk=kwargs["event_id"])
        if not may_manage(request.user, self.event):
            # A real 403 (Wagtail would turn a PermissionDenied into a redirect to the dashboard).
            return defaults.permission_denied(request, PermissionDenied())
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.event.title

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": self.get_success_url(), "label": self.event.title},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_success_url(self):
        return reverse("wagtailadmin_pages:edit", args=[self.event.pk])

    @cached_property
    def now(self):
        return timezone.now()

    @cached_property
    def awaiting(self):
        return certificates.awaiting_email(self.event, self.now)

    @cached_property
    def eligible_count(self):
        return certificates.eligible_registrations(self.event, self.now).count()

    def ended(self):
        return self.event.end is not None and self.event.end < self.now

    def get_explanation(self):
        if not self.ended():
            return ""
        return ngettext(
            "%(count)d attendee will be emailed their certificate of attendance (a PDF attachment).",
            "%(count)d attendees will be emailed their certificate of attendance (a PDF attachment).",
            len(self.awaiting),
        ) % {"count": len(self.awaiting)}

    def get_warning(self):
        if not self.ended():
            if self.event.end is None:
                return _("This event has no sessions, so there is no attendance to certify.")
            ends = timezone.localtime(self.event.end, self.event.zone)
            return _("Certificates can be emailed once the event has ended (%(date)s, %(zone)s).") % {
                "date": date_format(ends, "DATETIME_FORMAT"),
                "zone": self.event.time_zone,
            }
        if not self.awaiting:
            if self.eligible_count:
                return _("Every attendee who attended has already been emailed their certificate.")
            return _("Nobody has been checked in to this event, so there is no certificate to send.")
        return ""

    def get_summary(self):
        return [
            (_("Event"), self.event.title),
            (_("Confirmed attendees"), self.event.registrations.confirmed().count()),
            (_("Attended (eligible for a certificate)"), self.eligible_count),
            (_("Already emailed"), self.eligible_count - len(self.awaiting)),
            (_("To email now"), len(self.awaiting)),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        back_url = self.get_success_url()
        context.update(
            object=self.event,
            explanation=self.get_explanation(),
            summary=self.get_summary(),
            items=[f"{r.name} <{r.email}>" for r in self.awaiting],
            warning=self.get_warning(),
            can_submit=bool(self.awaiting),
            submit_label=self.submit_label,
            serious=False,
            action_url=self.request.path,
            back_url=back_url,
        )
        return context

    def form_valid(self, form):
        sent = certificates.email_certificates(self.event, user=self.request.user)
        if sent:
            messages.success(
                self.request,
                ngettext(
                    "%(count)d certificate of attendance is being emailed.",
                    "%(count)d certificates of attendance are being emailed.",
                    sent,
                )
                % {"count": sent},
            )
        else:
            messages.info(self.request, _("There were no certificates left to email."))
        return redirect(self.get_success_url())


@hooks.register("register_admin_urls")
def register_email_certificates_url():
    return [
        path(
            "registrations/events/<id:event_id>/email-certificates/",
            EmailCertificatesView.as_view(),
            name=EMAIL_CERTIFICATES,
        ),
    ]


@hooks.register("register_page_header_buttons")
def email_certificates_button(page, user, view_name, next_url=None):
    """On the edit page of an event that has ended, for the people who manage it."""
    if view_name != "edit" or not issubclass(page.specific_class or object, EventPage):
        return
    end = getattr(page, "end", None)
    if end is None or end >= timezone.now() or not may_manage(user, page):
        return
    yield Button(_("Email certificates"), url=email_certificates_url(page), icon_name="mail", priority=90)
