"""Who may see and act on an event's attendees: the one place the rule is written.

An organizer is linked to a team (a Django group). Members of that team manage the organizer's
events: they see their registrations, exports and dashboard, and (with the `check_in`
permission) check people in. Superusers see everything; nobody else sees anything.
"""

from events.applications import organizers_for
from events.models import EventPage


def managed_events(user):
    """The events whose attendees `user` may see."""
    if not user.is_authenticated or not user.is_active:
        return EventPage.objects.none()
    if user.is_superuser:
        return EventPage.objects.all()
    return EventPage.objects.filter(organizer__in=organizers_for(user))


def may_manage(user, event):
    return managed_events(user).filter(pk=event.pk).exists()


def may_check_in(user, event):
    return (
        user.is_authenticated
        and (user.is_superuser or user.has_perm("registrations.check_in"))
        and may_manage(user, event)
    )


def may_manage_cached(user, page):
    """`may_manage` for buttons drawn once per page of a listing: one query per request, not per row."""
    if not user.is_authenticated:
        return False
    if user.is_superuser and user.is_active:
        return True
    ids = getattr(user, "_managed_event_ids", None)
    if ids is None:
        ids = user._managed_event_ids = set(managed_events(user).values_list("pk", flat=True))
    return page.pk in ids


def may_check_in_cached(user, event):
    """`may_check_in` for a button on each row of a listing (one query per request, not per row)."""
    return (user.is_superuser or user.has_perm("registrations.check_in")) and may_manage_cached(user, event)
