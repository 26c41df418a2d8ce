"""Background work: the hold sweeper as a task, for django-tasks' database worker or a scheduler.
It also forgets "My events" sign-in links long expired and sends the evaluation reminders that are
due. And the daily retention task."""

from django_tasks import task

from .models import WaitlistEntry
from .services import erasure, evaluations, fulfilment, refunds, sign_in, waitlist


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
    result["sign_in_links_deleted"] = sign_in.delete_old_links()
    result["evaluation_reminders"] = evaluations.send_reminders()
    return result


@task()
def apply_retention():
    """Personal data of events over for longer than REGISTRATIONS_RETENTION_YEARS, anonymised (daily)."""
    return erasure.apply_retention()
