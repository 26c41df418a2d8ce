"""Release overdue seat holds (after expiring their Checkout Sessions), retry refunds Stripe
refused, offer freed seats to the waitlist, and send the evaluation reminders that are due. Run it
every few minutes (cron, or the task)."""

from django.core.management.base import BaseCommand

from registrations.tasks import sweep


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        result = sweep.call()
        self.stdout.write(
            f"Released {result['released']} holds, fulfilled {result['fulfilled']} late payments, retried {result['refunds_retried']} refunds, "
            f"sent {result['evaluation_reminders']} evaluation reminders."
        )
