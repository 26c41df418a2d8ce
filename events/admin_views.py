"""The event page's own admin views (Wagtail routes every page URL to the viewset of its model).

They differ from Wagtail's in two things. A new event is not autosaved before its first save
(`EventCreateView`). And an edit, publish or moderator's approval that would remove
a ticket type or session others depend on is refused with the reason (see protection.py), and
nothing of it is kept, instead of failing with a server error half-way through.
"""

from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from wagtail.admin import messages
from wagtail.admin.views.pages.create import CreateView
from wagtail.admin.views.pages.edit import EditView
from wagtail.admin.views.pages.revisions import RevisionsRevertView
from wagtail.admin.views.pages.workflow import WorkflowActionView
from wagtail.admin.viewsets.pages import PageViewSet

from .models import EventPage
from .protection import RemovalRefused, refusal_text


class RefusesProtectedRemovals:
    """The page editor: all of a save, publish or approval happens, or none of it."""

    def form_valid(self, form):
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except RemovalRefused as refusal:
            for message in refusal.messages:
                form.add_error(None, message)
            return self.form_invalid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        restored = getattr(self.form, "restored", None)
        if restored and self.request.method == "GET":
            messages.warning(
                self.request,
                _(
                    "This draft removed %(rows)s, but records now depend on them: they are kept. "
                    "To stop selling a ticket type, set when its sales end."
                )
                % {"rows": ", ".join(f"“{row}”" for row in restored)},
            )
        return context


class EventCreateView(CreateView):
    """No autosave until the editor saves the new event once: Wagtail's autosave of an add form
    posts it every few seconds, answers 400 while it is incomplete (the event needs a zone, a
    venue, sessions) and, once it is not, creates a draft nobody chose to keep, which then holds
    the slug. Closing the tab with unsaved changes still asks first; the edit page autosaves."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "autosave_enabled": False, "autosave_indicator": None}


class EventEditView(RefusesProtectedRemovals, EditView):
    pass


class EventRevisionsRevertView(RefusesProtectedRemovals, RevisionsRevertView):
    pass


class EventWorkflowActionView(WorkflowActionView):
    """Approving publishes: a version that can no longer be published is not approved either
    (the task's action is atomic), and the moderator is told why, on the editor's page."""

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except RemovalRefused as refusal:
            messages.error(request, refusal_text(refusal))
            if request.headers.get("x-requested-with") == "XMLHttpRequest":
                return self.render_modal_json(request, {"step": "success", "redirect": self.redirect_url})
            return redirect(self.redirect_url)


class EventPageViewSet(PageViewSet):
    model = EventPage
    name = "event_pages"
    add_view_class = EventCreateView
    edit_view_class = EventEditView
    revisions_revert_view_class = EventRevisionsRevertView
    workflow_action_view_class = EventWorkflowActionView
    # The listing of the events page stays Wagtail's (and the hooks that narrow it).
    parent_models = ()
