"""Each ticket's short door code; existing tickets get one each (a callable default given to
AddField would be computed once and shared by every existing row)."""

from django.db import migrations, models

import registrations.models


def give_existing_tickets_a_door_code(apps, schema_editor):
    Registration = apps.get_model("registrations", "Registration")
    taken = set()
    for registration in Registration.objects.only("pk", "event_id").iterator():
        code = registrations.models.new_door_code()
        while (registration.event_id, code) in taken:
            code = registrations.models.new_door_code()
        taken.add((registration.event_id, code))
        Registration.objects.filter(pk=registration.pk).update(door_code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_listing_indexes"),
        ("registrations", "0003_invite_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="registration",
            name="door_code",
            field=models.CharField(default="", editable=False, max_length=8, verbose_name="door code"),
            preserve_default=False,
        ),
        migrations.RunPython(give_existing_tickets_a_door_code, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="registration",
            name="door_code",
            field=models.CharField(
                default=registrations.models.new_door_code, editable=False, max_length=8, verbose_name="door code"
            ),
        ),
        migrations.AddConstraint(
            model_name="registration",
            constraint=models.UniqueConstraint(fields=("event", "door_code"), name="one_door_code_per_event"),
        ),
    ]
