"""Failed refund calls are counted, so a retry uses a key of its own. A refund that had already
failed before this migration was tried once under `refund-<order>-<n>`, and Stripe replays that
failure to the same key: it counts as one attempt, so its retry asks Stripe first and uses a new key."""

from django.db import migrations, models


def count_the_attempt_of_refunds_that_failed(apps, schema_editor):
    Refund = apps.get_model("registrations", "Refund")
    Refund.objects.filter(status="failed", stripe_refund_id__isnull=True).update(attempts=1)


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0005_waitlist_double_opt_in_order_client_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="refund",
            name="attempts",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="Failed calls to Stripe so far; a retry's idempotency key is refund-<order>-<n>-<attempts>.",
            ),
        ),
        migrations.RunPython(count_the_attempt_of_refunds_that_failed, migrations.RunPython.noop),
    ]
