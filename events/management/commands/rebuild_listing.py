"""Make every listing entry (the listings' read model, read_model.py) again from the live pages."""

from django.core.management.base import BaseCommand

from events import read_model
from events.caching import content_changed


class Command(BaseCommand):
    help = (
        "Make the listings' read model again from the live event pages: after changing EVENTS_SEARCH_CONFIGS, "
        "or pages written without Wagtail (a bulk import). --missing only adds and removes what differs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--missing", action="store_true", help="Only add missing rows and remove extra ones.")

    def handle(self, missing, **options):
        if missing:
            added, removed = read_model.repair()
            message = f"{added} added, {removed} removed."
        else:
            message = f"{read_model.rebuild()} events listed."
        content_changed()
        self.stdout.write(self.style.SUCCESS(message))
