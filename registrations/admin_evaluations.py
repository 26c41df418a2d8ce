"""An event's evaluation results in the admin: summarised per question (and per session and
presenter), and exported as CSV or XLSX for the accrediting body (services/evaluations.py).

Who may see them is `permissions.may_manage` (the event's organizer team and superusers; 403 for
anyone else). When the event's answers are anonymous, neither the page nor the export says who
answered: the responses are not linked to anyone.
"""

from django.urls import path, re_path, reverse
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail import hooks
from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.admin.widgets.button import HeaderButton

from .admin_dashboard import SPREADSHEET_FORMATS, EventAdminMixin, EventAdminPageMixin, dashboard_url
from .models import Registration
from .services import evaluations

RESULTS = "registrations_event_evaluation"
EXPORT = "registrations_event_evaluation_export"


def results_url(event):
    return reverse(RESULTS, args=[event.pk])


def export_url(event, spreadsheet_format):
    return reverse(EXPORT, kwargs={"event_id": event.pk, "spreadsheet_format": spreadsheet_format})


class EvaluationResultsView(EventAdminPageMixin, TemplateView):
    page_title = gettext_lazy("Evaluation results")
    header_icon = "list-ul"
    template_name = "registrations/admin/dashboard/evaluation.html"

    @cached_property
    def header_buttons(self):
        if not evaluations.asks(self.event):
            return []
        return [
            HeaderButton(gettext_lazy("Download CSV"), url=export_url(self.event, "csv"), icon_name="download"),
            HeaderButton(gettext_lazy("Download XLSX"), url=export_url(self.event, "xlsx"), icon_name="download"),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.event
        attended = evaluations.awaiting(event).count() + self.submitted
        context.update(
            event=event,
            asks=evaluations.asks(event),
            results=evaluations.results(event),
            submitted=self.submitted,
            attended=attended,
            back_url=dashboard_url(event),
            edit_url=reverse("wagtailadmin_pages:edit", args=[event.pk]),
        )
        return context

    @cached_property
    def submitted(self):
        return Registration.objects.filter(event=self.event, evaluated_at__isnull=False).count()


class EvaluationExportView(EventAdminMixin, SpreadsheetExportMixin, View):
    """One row per response; the columns: `evaluations.columns`. Cells come escaped from `rows`."""

    @property
    def list_export(self):
        return list(evaluations.columns(self.event))

    @property
    def export_headings(self):
        return {key: str(label) for key, label in evaluations.columns(self.event).items()}

    def get_filename(self):
        return f"evaluation-{slugify(self.event.slug) or self.event.pk}"

    def to_row_dict(self, item):
        return item

    def get(self, request, *args, spreadsheet_format, **kwargs):
        return self.as_spreadsheet(evaluations.rows(self.event), spreadsheet_format)


@hooks.register("register_admin_urls")
def register_evaluation_urls():
    return [
        path("registrations/events/<id:event_id>/evaluation/", EvaluationResultsView.as_view(), name=RESULTS),
        re_path(
            rf"^registrations/events/(?P<event_id>[0-9]{{1,18}})/evaluation\.(?P<spreadsheet_format>{'|'.join(SPREADSHEET_FORMATS)})$",
            EvaluationExportView.as_view(),
            name=EXPORT,
        ),
    ]
