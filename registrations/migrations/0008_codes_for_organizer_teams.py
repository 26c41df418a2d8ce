"""Teams of organizers approved before codes existed may manage their codes too (new teams get the
permissions when they are approved: events.applications.TEAM_PERMISSIONS)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODE_PERMISSIONS = ("add_promocode", "change_promocode", "delete_promocode")


def grant(apps, schema_editor):
    app_config = apps.get_app_config("registrations")
    app_config.models_module = True  # create_permissions skips an app without models
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    Organizer = apps.get_model("events", "Organizer")
    Group = apps.get_model("auth", "Group")
    permissions = Permission.objects.filter(content_type__app_label="registrations", codename__in=CODE_PERMISSIONS)
    for team in Group.objects.filter(pk__in=Organizer.objects.exclude(team=None).values("team")):
        team.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0007_promo_codes"),
        ("events", "0008_tickettype_code_only"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
