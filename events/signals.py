"""Keep what is copied or cached from events true when they change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_unpublished

from .caching import content_changed
from .models import EventPage, Organizer, Topic, Venue


@receiver(post_save, sender=Venue)
def copy_place_to_events(sender, instance, **kwargs):
    EventPage.objects.filter(venue=instance).exclude(city=instance.city, country=instance.country.code).update(
        city=instance.city, country=instance.country.code
    )


@receiver(post_save, sender=EventPage)
@receiver(post_delete, sender=EventPage)
@receiver(page_unpublished, sender=EventPage)
@receiver(post_save, sender=Organizer)
@receiver(post_delete, sender=Organizer)
@receiver(post_save, sender=Topic)
@receiver(post_delete, sender=Topic)
@receiver(post_save, sender=Venue)
@receiver(post_delete, sender=Venue)
def refresh_cached_listings(sender, **kwargs):
    """Listings, feeds and event pages are cached (EVENTS_*_CACHE_SECONDS): a new version makes
    every cached piece stale at once."""
    content_changed()
