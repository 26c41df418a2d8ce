"""Keep the copies of a venue's place on its events true when the venue is edited."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import EventPage, Venue


@receiver(post_save, sender=Venue)
def copy_place_to_events(sender, instance, **kwargs):
    EventPage.objects.filter(venue=instance).exclude(city=instance.city, country=instance.country.code).update(
        city=instance.city, country=instance.country.code
    )
