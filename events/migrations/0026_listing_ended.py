import datetime as dt

from django.db import migrations, models
from django.utils import timezone

# The text search's indexes of the events not yet over (ListingEntry.ended), beside those of every
# event (0015, 0020) that a search including past events reads. PostgreSQL only, as those are.
UPCOMING_INDEXES = {
    "events_entry_search_upcoming_gin": "search_document",
    "events_entry_title_upcoming_gin": "title_document",
}
ENDED_AFTER = dt.timedelta(days=3)  # (models.ENDED_AFTER when this was written)


def mark_and_index(apps, schema_editor):
    ListingEntry = apps.get_model("events", "ListingEntry")
    ListingEntry.objects.filter(end__lt=timezone.now() - ENDED_AFTER).update(ended=True)
    if schema_editor.connection.vendor == "postgresql":
        for name, column in UPCOMING_INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON events_listingentry USING gin ({column}) "
                "WHERE public AND NOT ended"
            )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in UPCOMING_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("events", "0025_listing_free_index")]

    operations = [
        migrations.AddField(
            model_name="listingentry",
            name="ended",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.RunPython(mark_and_index, drop_indexes),
    ]
