from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    default_auto_field = "django.db.models.BigAutoField"  # what its migrations use, whatever the site's default
    verbose_name = _("Events")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks, purge, signals, timestamps  # noqa: F401  (checks: registers the system checks)

        post_migrate.connect(list_live_events, sender=self)
        timestamps.install()


def list_live_events(sender, using="default", **kwargs):
    """After `migrate`: every live event has its listing entry (the table is new on an upgrade, or
    pages were written without Wagtail)."""
    from . import read_model

    if using == "default":
        read_model.repair()
