"""What an edit may not remove: rows that other records depend on.

An event's ticket types and sessions are its children (modelcluster): saving the page deletes
every stored child its in-memory list no longer holds, whether the page comes from the editor's
form, from a revision being published (a draft made before seats were sold, approved after) or
from code. Some children are protected by other apps' foreign keys (a ticket type with
registrations, a session with check-ins), and deleting a page deletes its events (which orders
protect). Django would find out half-way through the write and raise ProtectedError.

So every path asks here first, before anything is written: `EventPage.save` and `publish` raise
`RemovalRefused` (a ValidationError with a message for people), the editor's form says the same
on the field (`forms.EventPageForm`), and the admin's delete, bulk and workflow screens turn it
into a message (`wagtail_hooks.py`, `admin_views.py`). Nothing here knows which app protects what:
Django's own deletion Collector is asked, so any PROTECT or RESTRICT relation counts.
"""

import logging
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import router
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from modelcluster.models import get_all_child_relations

logger = logging.getLogger(__name__)


class RemovalRefused(ValidationError):
    """Saving, publishing or deleting would remove rows that other records depend on."""


def dependants(objects):
    """The records that keep `objects` from being deleted (protected or restricted relations)."""
    objects = list(objects)
    if not objects:
        return []
    collector = Collector(using=router.db_for_write(type(objects[0])))
    try:
        collector.collect(objects)
    except ProtectedError as error:
        return list(error.protected_objects)
    except RestrictedError as error:
        return list(error.restricted_objects)
    return []


def describe(records):
    """“3 registrations, 1 check-in”: how many records of each kind."""
    counts = Counter(type(record) for record in records)
    return ", ".join(
        f"{count} {model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural}"
        for model, count in counts.items()
    )


def removal_message(row, records):
    return ngettext(
        "“%(name)s” cannot be removed: %(records)s depends on it.",
        "“%(name)s” cannot be removed: %(records)s depend on it.",
        len(records),
    ) % {"name": row, "records": describe(records)}


def child_relations(page, relation_names=None):
    for relation in get_all_child_relations(page):
        name = relation.get_accessor_name()
        if relation_names is None or name in relation_names:
            yield name, relation


def stored_children(page, relation):
    return relation.related_model._default_manager.filter(**{relation.field.name: page.pk})


def protected_removals(page, kept=None, relation_names=None):
    """[(row, records depending on it)] for each stored child of `page` that saving it would delete.

    `kept` maps a relation's name to the ids it keeps (the editor's form knows them before the
    page is built); otherwise they are read from the page's in-memory children, as modelcluster's
    `commit` does, and a relation not loaded in memory keeps everything."""
    if page.pk is None:
        return []
    in_memory = getattr(page, "_cluster_related_objects", {})
    refused = []
    for name, relation in child_relations(page, relation_names):
        if kept is not None and name in kept:
            keep = kept[name]
        elif kept is None and name in in_memory:
            keep = {child.pk for child in in_memory[name] if child.pk is not None}
        else:
            continue
        for row in stored_children(page, relation).exclude(pk__in=keep):
            records = dependants([row])
            if records:
                refused.append((row, records))
    return refused


def check_removals(page, relation_names=None):
    """Raise RemovalRefused if saving `page` would delete a child that other records need."""
    refused = protected_removals(page, relation_names=relation_names)
    if refused:
        raise RemovalRefused([removal_message(row, records) for row, records in refused])


def restore_protected_children(page):
    """Put back, in memory, the stored children a stale draft of `page` dropped and that other
    records now depend on (seats sold after the draft was made): they cannot go, so the editor
    sees them and the draft can be published. Returns the rows put back."""
    restored = []
    in_memory = getattr(page, "_cluster_related_objects", {})
    for name, _relation in child_relations(page):
        if name not in in_memory:
            continue
        for row, _records in protected_removals(page, relation_names=[name]):
            in_memory[name].append(row)
            restored.append(row)
    return restored


def publish_refusal(page, revision):
    """Why `revision` of `page` cannot be published (a RemovalRefused), or None."""
    refused = protected_removals(revision.as_object())
    if not refused:
        return None
    return RemovalRefused(
        [
            _("This version of “%(title)s” cannot be published.") % {"title": page.get_admin_display_title()},
            *(removal_message(row, records) for row, records in refused),
            _("Open it in the editor: what cannot be removed is put back there."),
        ]
    )


def unschedule(page, revision, refusal):
    """A scheduled publish that is refused leaves the schedule, and the reason is logged: left
    there, `publish_scheduled` would fail at it on every run and publish nothing after it."""
    type(revision).objects.filter(pk=revision.pk).update(approved_go_live_at=None)
    logger.error(
        "Scheduled publishing of page %s (revision %s) refused: %s", page.pk, revision.pk, refusal_text(refusal)
    )


def deletion_refusal(pages):
    """Why `pages` (with their descendants) cannot be deleted (a RemovalRefused), or None."""
    from wagtail.models import Page

    messages = []
    for page in pages:
        subtree = Page.objects.filter(path__startswith=page.path, depth__gte=page.depth)
        records = dependants(subtree)  # the events below cascade from their Page rows
        if records:
            messages.append(
                ngettext(
                    "“%(title)s” cannot be deleted: %(records)s depends on it.",
                    "“%(title)s” cannot be deleted: %(records)s depend on it.",
                    len(records),
                )
                % {"title": page.get_admin_display_title(), "records": describe(records)}
            )
    if not messages:
        return None
    messages.append(_("Unpublish it instead, or set an event's status to cancelled."))
    return RemovalRefused(messages)


def refusal_text(refusal):
    return " ".join(capfirst(message) for message in refusal.messages)
