"""Background work: the hold sweeper as a task, for django-tasks' database worker or a scheduler."""

from django_tasks import task

from .models import WaitlistEntry
from .services import fulfilment, refunds, waitlist


@task()
def sweep():
    result = fulfilment.sweep_overdue_holds()
    result["refunds_retried"] = len(refunds.retry_failed_refunds())
    # Lapsed waitlist offers give their seats to the next in line; unconfirmed sign-ups expire.
    for event_id in set(
        WaitlistEntry.objects.filter(
            status__in=(WaitlistEntry.Status.OFFERED, WaitlistEntry.Status.UNCONFIRMED)
        ).values_list("event_id", flat=True)
    ):
        waitlist.offer_free_seats(event_id)
    return result
