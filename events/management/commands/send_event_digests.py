"""Email each confirmed subscriber the events newly published for what they follow (digests.py):
one task per subscription, sent by the task workers (`manage.py db_worker`). Run it once a week,
from cron:

    0 7 * * 1  cd /srv/site && .venv/bin/python manage.py send_event_digests
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from events.digests import send_digests


class Command(BaseCommand):
    help = "Email each confirmed subscriber the events newly published for the organizer or search they follow."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="The moment of the run (ISO 8601 with its offset); default: now.")

    def handle(self, *args, now=None, **options):
        moment = None
        if now:
            try:
                moment = dt.datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now: not an ISO 8601 moment: {now!r}") from None
            if moment.tzinfo is None:
                raise CommandError("--now: give the moment's offset, such as 2026-12-07T07:00:00+00:00")
        counts = send_digests(moment)
        self.stdout.write(", ".join(f"{outcome}: {count}" for outcome, count in counts.items()))
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} digest(s) could not be sent; they are sent at the next run.")
