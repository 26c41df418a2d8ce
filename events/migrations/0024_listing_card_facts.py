"""The few columns of the event page and its venue that a card, a map pin and the API show, copied
into each listing row (read_model.entry), so that a page of results reads one table."""

from django.db import migrations, models
from django.db.models.functions import Coalesce

COPIED = ("slug", "time_zone", "currency", "sold_out", "last_published_at")


def fill(apps, schema_editor):
    ListingEntry, EventPage = apps.get_model("events", "ListingEntry"), apps.get_model("events", "EventPage")
    page = EventPage.objects.filter(pk=models.OuterRef("page_id"))
    ListingEntry.objects.update(
        **{name: models.Subquery(page.values(name)[:1]) for name in COPIED},
        venue_name=Coalesce(models.Subquery(page.values("venue__name")[:1]), models.Value("")),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0023_attendance_rules"),
    ]

    operations = [
        migrations.AddField(
            model_name="listingentry",
            name="currency",
            field=models.CharField(blank=True, max_length=3),
        ),
        migrations.AddField(
            model_name="listingentry",
            name="last_published_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="listingentry",
            name="slug",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="listingentry",
            name="sold_out",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="listingentry",
            name="time_zone",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="listingentry",
            name="venue_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
