from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "registrations"
    default_auto_field = "django.db.models.BigAutoField"  # what its migrations use, whatever the site's default
    verbose_name = _("Registrations")

    def ready(self):
        from wagtail.signals import page_published

        from events.models import EventPage

        from . import checks, invites  # noqa: F401  (checks: registers the system checks)
        from .services.capacity import refresh_sold_out_after_publish

        invites.connect_signals()
        page_published.connect(
            refresh_sold_out_after_publish, sender=EventPage, dispatch_uid="registrations.refresh_sold_out"
        )
