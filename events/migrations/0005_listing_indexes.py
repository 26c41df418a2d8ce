from django.db import migrations, models

# Wagtail's database search backend matches `(title || body) @@ query`; its own indexes cover title
# and body apart, so on PostgreSQL a text query read every index entry. An index on the expression
# itself lets it find the matching entries directly. (SQLite's search backend uses FTS5 instead.)
SEARCH_INDEX = "events_search_title_body_gin"


def add_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX} ON wagtailsearch_indexentry USING gin ((title || body))"
        )


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0004_organizerapplication"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [
        migrations.AlterField(
            model_name="eventpage",
            name="start",
            field=models.DateTimeField(editable=False, null=True, verbose_name="starts"),
        ),
        migrations.AddIndex(
            model_name="eventpage",
            index=models.Index(fields=["start", "end"], name="events_event_start_end_idx"),
        ),
        migrations.RunPython(add_search_index, drop_search_index),
    ]
