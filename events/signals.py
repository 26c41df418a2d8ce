"""Keep what is copied or cached from events true when they change."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from wagtail.models import Page, PageViewRestriction, Site, get_page_models
from wagtail.signals import page_published, page_unpublished, post_page_move

from . import read_model
from .caching import content_changed
from .ical import record_calendar_change
from .models import EventIndexPage, EventPage, Organizer, Topic, Venue


@receiver(post_save, sender=Venue)
def copy_place_to_events(sender, instance, **kwargs):
    EventPage.objects.filter(venue=instance).exclude(city=instance.city, country=instance.country.code).update(
        city=instance.city, country=instance.country.code
    )
    read_model.sync_place(instance)
    # A venue's new name or address is in its events' calendars at once: tell subscribers.
    for event in EventPage.objects.live().filter(venue=instance).exclude(calendar_fingerprint=""):
        record_calendar_change(event)


@receiver(post_save, sender=Organizer)
def copy_organizer_name_to_events(sender, instance, raw=False, **kwargs):
    if not raw:
        read_model.sync_organizer(instance)


@receiver(post_save, sender=Topic)
def copy_topic_name_to_events(sender, instance, raw=False, **kwargs):
    if not raw:
        read_model.sync_topic(instance)


@receiver(pre_delete, sender=Topic)
def note_events_of_deleted_topic(sender, instance, **kwargs):
    instance._event_ids = list(instance.events.values_list("pk", flat=True))


@receiver(post_delete, sender=Topic)
def forget_deleted_topic(sender, instance, **kwargs):
    read_model.sync(getattr(instance, "_event_ids", ()))


@receiver(post_page_move)
def list_moved_events_where_they_are(sender, instance, **kwargs):
    """A moved event is listed under its new parent; a moved listing's events may now be private or public."""
    path = type(instance).objects.filter(pk=instance.pk).values_list("path", flat=True).first()
    if path:
        read_model.sync_under(path)


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
def list_events_as_private_or_public(sender, instance, raw=False, **kwargs):
    path = Page.objects.filter(pk=instance.page_id).values_list("path", flat=True).first()
    if path and not raw:
        read_model.sync_privacy(path)


def refresh_cached_pieces(sender, **kwargs):
    """Listings, feeds, event pages and the pages and sites found by address are cached
    (EVENTS_*_CACHE_SECONDS, routing.py): a new version makes every cached piece stale at once.
    It is made again once the change is committed, so that a request reading the old rows in
    between cannot keep them under the new version."""
    content_changed()
    transaction.on_commit(content_changed)


for model in [*get_page_models(), Site, PageViewRestriction, Organizer, Topic, Venue]:
    post_save.connect(refresh_cached_pieces, sender=model)
    post_delete.connect(refresh_cached_pieces, sender=model)
page_unpublished.connect(refresh_cached_pieces)
post_page_move.connect(refresh_cached_pieces)


@receiver(page_published, sender=EventPage)
def raise_calendar_sequence(sender, instance, **kwargs):
    record_calendar_change(instance)


@receiver(post_save, sender=EventIndexPage)
def open_new_listing_to_teams(sender, instance, created, raw=False, **kwargs):
    """Organizer teams may add events under every listing, including one made after they were
    approved (applications.py)."""
    if created and not raw:
        from .applications import open_to_teams

        open_to_teams(instance)
