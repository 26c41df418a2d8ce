"""How the events app's own emails are made (subscription confirmations and digests): text and HTML
rendered from `<template>.txt` and `.html`, from DEFAULT_FROM_EMAIL with `Auto-Submitted:
auto-generated`, as registrations' emails are (registrations/emails.py; events cannot import it)."""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from . import conf

# How often a queued email is tried: the first time and five more, 2, 4, 8, 16 and 32 minutes later.
MAX_ATTEMPTS = 6


def send_again_later(task, attempt, *args, **kwargs):
    """Queue `task` (a django-tasks task sending one email, that failed at its try `attempt`) for
    its next try, 2**attempt minutes from now; False when none is left, or when the task backend
    cannot wait (the immediate one: the caller then fails, and the email is lost or sent by a later
    run, as the caller says)."""
    if attempt >= MAX_ATTEMPTS or not task.get_backend().supports_defer:
        return False
    task.using(run_after=timezone.now() + dt.timedelta(minutes=2**attempt)).enqueue(
        *args, attempt=attempt + 1, **kwargs
    )
    return True


def one_line(text):
    """A subject line: whatever line breaks someone typed into a name cannot start a new header."""
    return " ".join(str(text).split())


def build_message(template, context, recipient, headers=None):
    """The message for `template` to `recipient`; `context["subject"]` is its subject. Render it
    inside `translation.override` of the reader's language."""
    context = {**context, "subject": one_line(context["subject"])}
    message = EmailMultiAlternatives(
        subject=context["subject"],
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def addresses_of(page):
    """(site root, page URL): the public address (scheme, host, port; no final slash) of the Wagtail
    Site `page` is on, and the page's own on it. A command has no request to take them from;
    EVENTS_BASE_URL for a page under no Site."""
    parts = page.get_url_parts()
    if parts is None:
        root = conf.fallback_root_url()
        return root, root + "/"
    _site_id, root, path = parts
    return root.rstrip("/"), root.rstrip("/") + path
