"""System checks (`manage.py check`) for the registrations app: see events/checks.py, and
docs/install.md, "Settings and checks"."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from events.checks import missing_apps, urls_included

from . import conf

REQUIRED_APPS = ("events", "django_tasks")


@register()
def check_installed_apps(app_configs, **kwargs):
    return [
        Error(
            f"The registrations app needs {app!r} in INSTALLED_APPS.",
            hint=f"Add {app!r} to INSTALLED_APPS (see docs/install.md).",
            id="registrations.E001",
        )
        for app in missing_apps(REQUIRED_APPS)
    ]


@register(deploy=True)
def check_stripe_keys(app_configs, **kwargs):
    """Without the keys paid tickets cannot be sold, nor Stripe's webhook trusted."""
    if settings.DEBUG:
        return []
    found = []
    if not conf.get("STRIPE_SECRET_KEY"):
        found.append(
            Warning(
                "STRIPE_SECRET_KEY is not set: paid registrations will fail at checkout.",
                hint="Set STRIPE_SECRET_KEY to your Stripe account's secret key (free events need none).",
                id="registrations.W001",
            )
        )
    if not conf.get("STRIPE_WEBHOOK_SECRET"):
        found.append(
            Warning(
                "STRIPE_WEBHOOK_SECRET is not set: Stripe's webhook is refused, so payments are "
                "confirmed only when the buyer comes back from the checkout page.",
                hint="Set STRIPE_WEBHOOK_SECRET to the signing secret of the webhook endpoint in Stripe.",
                id="registrations.W002",
            )
        )
    return found


@register(Tags.urls)
def check_urls(app_configs, **kwargs):
    return urls_included(
        "registrations:stripe_webhook", "registrations", "registration, tickets and check-in", "registrations.W003"
    )
