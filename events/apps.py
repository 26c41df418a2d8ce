from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    default_auto_field = "django.db.models.BigAutoField"  # what its migrations use, whatever the site's default
    verbose_name = _("Events")

    def ready(self):
        from . import checks, signals  # noqa: F401  (checks: registers the system checks)
