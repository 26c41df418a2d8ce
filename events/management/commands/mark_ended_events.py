"""Mark the listing rows of the events long over, which the search of upcoming events then skips."""

from django.core.management.base import BaseCommand

from events import read_model


class Command(BaseCommand):
    help = (
        "Mark the listing rows of events over for more than three days (ListingEntry.ended), so that a text search "
        "of upcoming events reads none of them. Run it daily (or hourly) from cron; nothing shown depends on it."
    )

    def handle(self, **options):
        self.stdout.write(self.style.SUCCESS(f"{read_model.mark_ended()} events marked as ended."))
