from django.db import migrations

import events.models

# PostgreSQL only, as the search document's (0015): a GinIndex in the model's Meta would be made on
# SQLite too.
TITLE_INDEX = "events_entry_title_gin"


def fill_and_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # search.title_document's SQL, for the rows already there.
        schema_editor.execute("UPDATE events_listingentry SET title_document = to_tsvector(search_config::regconfig, title)")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {TITLE_INDEX} ON events_listingentry USING gin (title_document)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TITLE_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("events", "0019_email_subscriptions")]

    operations = [
        migrations.AddField(
            model_name="listingentry",
            name="title_document",
            field=events.models.SearchDocumentField(editable=False, null=True),
        ),
        migrations.RunPython(fill_and_index, drop_index),
    ]
