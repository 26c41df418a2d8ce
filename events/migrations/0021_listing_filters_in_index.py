from django.db import migrations, models
from django.db.models.functions import Concat

# PostgreSQL only: the longest event's duration at once (models.longest_event). An index on an
# expression of SQLite would call one of Django's functions, which no other program writing the
# file has.
DURATION_INDEX = "events_entry_duration_idx"

FILTERED = (
    *("local_start_date", "local_end_date", "country", "city_key", "format", "language", "organizer"),
    *("price_min", "price_max", "ce_hours", "topic_ids"),
)


def fill_topic_ids(apps, schema_editor):
    """Each row's topic ids (read_model.topic_ids), a statement per topic, in the topics' order."""
    ListingEntry, Topic = apps.get_model("events", "ListingEntry"), apps.get_model("events", "Topic")
    for pk in Topic.objects.order_by("pk").values_list("pk", flat=True):
        tagged = ListingEntry.objects.filter(page__topics=pk)
        tagged.update(topic_ids=Concat(models.F("topic_ids"), models.Value(f"{pk} ")))
    if schema_editor.connection.vendor == "postgresql":
        # The rows' deferred foreign key checks, now: PostgreSQL makes no index on a table that has
        # some pending ("pending trigger events"), as Django's own schema changes do.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def make_duration_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {DURATION_INDEX} ON events_listingentry (("end" - sort_start))'
        )


def drop_duration_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {DURATION_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("events", "0020_listing_title_document")]

    operations = [
        migrations.RemoveIndex(model_name="listingentry", name="events_entry_listing_idx"),
        migrations.RemoveIndex(model_name="listingentry", name="events_entry_start_idx"),
        # The start-order indexes hold `end`: alone, it only made the planner AND a bitmap of every
        # upcoming event with a text search's (36 ms at 1,000,000 events).
        migrations.RemoveIndex(model_name="listingentry", name="events_entry_end_idx"),
        migrations.AddField(model_name="listingentry", name="topic_ids", field=models.TextField(default=" ", db_default=" ")),
        migrations.RunPython(fill_topic_ids, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="listingentry",
            index=models.Index(
                condition=models.Q(("public", True)),
                fields=["listing", "sort_start", "page", "end"],
                include=FILTERED,
                name="events_entry_listing_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="listingentry",
            index=models.Index(
                condition=models.Q(("public", True)),
                fields=["sort_start", "page", "end"],
                include=FILTERED,
                name="events_entry_start_idx",
            ),
        ),
        migrations.RunPython(make_duration_index, drop_duration_index),
    ]
