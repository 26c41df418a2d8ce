"""Organizer applications: the public form at /organizers/apply/, what approving one sets up, and
the rule for which events a team member may edit.

Approving an application makes an Organizer and its team, a Django group with admin access, the
order and check-in permissions, the snippet permissions the event editor's choosers need, and
page permissions on every events listing (of every Site and locale, and on each listing made later)
to add and change events, never to publish them. Each listing gets a moderation workflow
("Organizer review") if it has none of its own, so a team's event goes live only when a moderator
approves it.

Approving creates no user account: the applicant is told an administrator will invite them, and
an administrator adds their users to the team group. Keeping accounts out of this step means no
password or invitation machinery here, and no account for anyone who was not meant to have one.
"""

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.mail import mail_admins, send_mail
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django.views.generic import TemplateView
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.utils import get_admin_base_url
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.log_actions import log
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)
from wagtail.permissions import policy_registry

from .models import EventIndexPage, Organizer, OrganizerApplication
from .ratelimits import limit_posts

logger = logging.getLogger(__name__)

MODERATORS = "Moderators"  # Wagtail's own moderators group: they approve what teams submit
WORKFLOW_NAME = "Organizer review"
TASK_NAME = "Moderator approval"
TEAM_NAME = "Organizer: {name}"

# "app_label.codename"; a permission of an app that is not installed is skipped, so the events app
# needs no other app of this project to work.
TEAM_PERMISSIONS = (
    "wagtailadmin.access_admin",
    "registrations.view_order",
    "registrations.change_order",
    "registrations.check_in",
    "registrations.add_promocode",
    "registrations.change_promocode",
    "registrations.delete_promocode",
    "events.view_venue",
    "events.view_topic",
    "events.view_organizer",
)
TEAM_IMAGE_PERMISSIONS = ("add_image", "choose_image")  # on the root collection, for featured images
TEAM_PAGE_PERMISSIONS = ("add", "change")  # never "publish": a moderator approves
MODERATOR_PAGE_PERMISSIONS = ("add", "change", "publish")


class ApplicationError(Exception):
    """An application that cannot be decided (already decided, or nowhere to publish events)."""


# Who edits which event


def organizers_for(user):
    """The organizers whose team the user is in."""
    if not user.is_authenticated or not user.is_active:
        return Organizer.objects.none()
    return Organizer.objects.filter(team__in=user.groups.all())


def edits_every_event(user):
    """Superusers and moderators are not limited to an organizer's events."""
    return user.is_active and (user.is_superuser or user.groups.filter(name=MODERATORS).exists())


def may_edit_event(user, event):
    """Wagtail's page permissions on the listing reach every event under it; this narrows them to
    the events of the user's own organizers."""
    if edits_every_event(user):
        return True
    return event.organizer_id is not None and organizers_for(user).filter(pk=event.organizer_id).exists()


# Approving and rejecting


def permissions(names):
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    return found


def page_permission(action):
    return Permission.objects.get(content_type__app_label="wagtailcore", codename=f"{action}_page")


def events_listings():
    """Every events listing of the install, on any Site, in any locale: a team's events may live
    under any of them (may_edit_event keeps each team to its own events)."""
    listings = list(EventIndexPage.objects.order_by("path"))
    if not listings:
        raise ApplicationError(_("There is no events listing page yet: create one before approving organizers."))
    return listings


def grant_page_permissions(group, page, actions):
    for action in actions:
        GroupPagePermission.objects.get_or_create(group=group, page=page, permission=page_permission(action))


def unique_group_name(name):
    base = TEAM_NAME.format(name=name)[:140]
    candidate, n = base, 1
    while Group.objects.filter(name=candidate).exists():
        n += 1
        candidate = f"{base} ({n})"
    return candidate


def make_team(organizer, listings):
    team = Group.objects.create(name=unique_group_name(organizer.name))
    team.permissions.add(*permissions(TEAM_PERMISSIONS))
    for listing in listings:
        grant_page_permissions(team, listing, TEAM_PAGE_PERMISSIONS)
    root_collection = Collection.get_first_root_node()
    if root_collection is not None:
        for codename in TEAM_IMAGE_PERMISSIONS:
            GroupCollectionPermission.objects.get_or_create(
                group=team,
                collection=root_collection,
                permission=Permission.objects.get(content_type__app_label="wagtailimages", codename=codename),
            )
    return team


def ensure_moderation(listing):
    """The Moderators group (publishing on the listing) and a workflow on the listing, so what
    teams submit waits for a moderator. A workflow someone already assigned to the listing is
    kept; one inherited from a page above it is overridden."""
    moderators, created = Group.objects.get_or_create(name=MODERATORS)
    if created:
        moderators.permissions.add(*permissions(["wagtailadmin.access_admin"]))
    publishes_here = GroupPagePermission.objects.filter(
        group=moderators, permission__codename="publish_page", page__in=listing.get_ancestors(inclusive=True)
    ).exists()
    if not publishes_here:
        grant_page_permissions(moderators, listing, MODERATOR_PAGE_PERMISSIONS)

    assigned = WorkflowPage.objects.filter(page=listing).select_related("workflow").first()
    if assigned:
        return assigned.workflow
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME, active=True).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=WORKFLOW_NAME)
        task = GroupApprovalTask.objects.create(name=TASK_NAME)
        task.groups.set([moderators])
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.create(page=listing, workflow=workflow)
    return workflow


def open_to_teams(listing):
    """A listing made after organizers were approved: their teams may add events under it too,
    and what they submit there waits for a moderator, as under the others."""
    teams = Group.objects.filter(organizers__isnull=False).distinct()
    if not teams.exists():
        return
    for team in teams:
        grant_page_permissions(team, listing, TEAM_PAGE_PERMISSIONS)
    ensure_moderation(listing)


def locked_pending(application):
    application = OrganizerApplication.objects.select_for_update().get(pk=application.pk)
    if application.status != OrganizerApplication.Status.PENDING:
        raise ApplicationError(
            _("This application was already %(status)s.") % {"status": application.get_status_display().lower()}
        )
    return application


@transaction.atomic
def approve(application, moderator_user=None) -> Organizer:
    """The applicant's organizer, with its team and the moderation its events go through; the
    applicant is emailed that an administrator will invite them."""
    application = locked_pending(application)
    listings = events_listings()
    organizer = Organizer.objects.create(
        name=application.organization, email=application.email, website=application.website
    )
    organizer.team = make_team(organizer, listings)
    organizer.save(update_fields=["team"])
    for listing in listings:
        ensure_moderation(listing)

    application.status = OrganizerApplication.Status.APPROVED
    application.organizer = organizer
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "organizer", "decided_at"])
    log(application, "events.application.approve", user=moderator_user)
    transaction.on_commit(lambda: send_approval(application))
    return organizer


@transaction.atomic
def reject(application, moderator_user=None):
    """Marks the application rejected. No email: most rejected applications are spam, and a reply
    to spam confirms the address works; write to real applicants in person."""
    application = locked_pending(application)
    application.status = OrganizerApplication.Status.REJECTED
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at"])
    log(application, "events.application.reject", user=moderator_user)
    return application


def one_line(text):
    """A subject line: whatever line breaks someone typed into a name cannot start a new header."""
    return " ".join(text.split())


def send_approval(application):
    context = {"application": application, "site_name": getattr(settings, "WAGTAIL_SITE_NAME", "")}
    with translation.override(settings.LANGUAGE_CODE):
        subject = one_line(render_to_string("events/applications/email/approved_subject.txt", context))
        body = render_to_string("events/applications/email/approved.txt", context)
    try:
        send_mail(subject, body, None, [application.email])
    except Exception:  # the approval stands; the administrator who invites them can tell them
        logger.exception("Could not email the approval of organizer application %s", application.pk)


def notify_admins(application, request):
    """Tells the administrators an application arrived: the organization and a link to review it,
    none of the applicant's personal details (those stay in the admin)."""
    url = AdminURLFinder().get_edit_url(application)
    # On the admin's own address (WAGTAILADMIN_BASE_URL), which may differ from the public site's.
    base = get_admin_base_url()
    review_url = (base.rstrip("/") + url if base else request.build_absolute_uri(url)) if url else ""
    context = {"application": application, "review_url": review_url}
    with translation.override(settings.LANGUAGE_CODE):
        subject = one_line(render_to_string("events/applications/email/received_subject.txt", context))
        body = render_to_string("events/applications/email/received.txt", context)
    try:
        if settings.ADMINS:
            mail_admins(subject, body)
        else:
            send_mail(subject, body, None, [settings.DEFAULT_FROM_EMAIL])
    except Exception:  # the application is saved and listed in the admin whatever the mail server does
        logger.exception("Could not email the administrators about organizer application %s", application.pk)


# The public form


class ApplicationForm(forms.ModelForm):
    website = forms.URLField(
        label=gettext_lazy("Website"),
        help_text=gettext_lazy("Your organization's website, if it has one."),
        required=False,
        max_length=200,
        assume_scheme="https",
    )
    # A field people never see (nor screen readers): only robots fill it in.
    homepage = forms.CharField(
        label=gettext_lazy("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = OrganizerApplication
        fields = ["name", "email", "organization", "website", "message"]
        widgets = {"message": forms.Textarea(attrs={"rows": 6})}
        help_texts = {
            "message": gettext_lazy("The kind of events, how often, for whom. At most 2000 characters."),
        }

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("homepage"):
            # Said above the form: a person (whose browser filled the hidden field in) sees it and
            # can send again; the template renders the field empty.
            raise forms.ValidationError(
                _("The form was filled in by a program, not typed: please check it and send it again."),
                code="honeypot",
            )
        return cleaned_data

    @property
    def visible_fields_without_honeypot(self):
        return [field for field in self if field.name != "homepage"]


@require_http_methods(["GET", "POST"])
@limit_posts("organizer_apply")
def apply(request):
    form = ApplicationForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        application = form.save()
        notify_admins(application, request)
        return redirect("events:organizer_apply_thanks")
    return render(request, "events/applications/apply.html", {"form": form})


@require_GET
def thanks(request):
    return render(request, "events/applications/thanks.html")


# Deciding in the admin (the viewset in wagtail_hooks.py routes here)


class DecisionView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET: the application and what the decision does. POST: decide, through approve/reject."""

    permission_required = "change"
    template_name = "events/applications/decide.html"
    index_url_name = None
    inspect_url_name = None
    header_icon = "help"
    submit_label = ""
    explanation = ""
    serious = False

    @cached_property
    def permission_policy(self):
        return policy_registry.get_by_type(OrganizerApplication)

    def dispatch(self, request, *args, **kwargs):
        # The permission first: nothing is looked up for a user who may not decide.
        if not self.user_has_permission(self.permission_required):
            raise PermissionDenied
        self.object = get_object_or_404(OrganizerApplication, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.object.organization)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": OrganizerApplication._meta.verbose_name_plural.capitalize()},
            {"url": self.back_url, "label": str(self.object)},
            {"url": "", "label": self.get_page_title()},
        ]

    @cached_property
    def back_url(self):
        return reverse(self.inspect_url_name, args=[self.object.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            application=self.object,
            pending=self.object.status == OrganizerApplication.Status.PENDING,
            explanation=self.explanation,
            submit_label=self.submit_label,
            serious=self.serious,
            back_url=self.back_url,
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            self.decide()
        except ApplicationError as refusal:
            messages.error(request, str(refusal))
            return redirect(self.back_url)
        return redirect(self.index_url_name)

    def decide(self):
        raise NotImplementedError


class ApproveView(DecisionView):
    page_title = gettext_lazy("Approve application")
    header_icon = "success"
    submit_label = gettext_lazy("Yes, approve")
    explanation = gettext_lazy(
        "This creates the organizer and its team group, with permission to add and edit the organizer's events, see their registrations and check people in. Their events go live only when a moderator approves them. No user account is created: the applicant is emailed that an administrator will invite them; add their users to the team group."
    )  # fmt: skip

    def decide(self):
        organizer = approve(self.object, self.request.user)
        messages.success(
            self.request,
            _("“%(organizer)s” is an organizer now; add its people to the group “%(team)s”.")
            % {"organizer": organizer.name, "team": organizer.team.name},
        )


class RejectView(DecisionView):
    page_title = gettext_lazy("Reject application")
    header_icon = "cross"
    submit_label = gettext_lazy("Yes, reject")
    serious = True
    explanation = gettext_lazy("The application is marked rejected. The applicant is not emailed.")

    def decide(self):
        reject(self.object, self.request.user)
        messages.success(self.request, _("Application from “%(organization)s” rejected.") % {
            "organization": self.object.organization
        })  # fmt: skip
