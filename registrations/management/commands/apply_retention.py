"""Anonymise the personal data of events that ended more than REGISTRATIONS_RETENTION_YEARS ago
(services/erasure.py: the money records stay). Run it daily (cron, or the task)."""

from django.core.management.base import BaseCommand

from registrations.tasks import apply_retention


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        result = apply_retention.call()
        self.stdout.write(
            f"Anonymised {result['seats']} seats, {result['orders']} orders and {result['waitlist']} waitlist entries."
        )
