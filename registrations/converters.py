"""Links that carry a secret (tickets, orders, waitlist offers): their path converter, and the
headers every page behind such a link sends."""

from functools import wraps

from django.urls import register_converter
from django.utils.cache import patch_cache_control


class TokenConverter:
    """What `secrets.token_urlsafe` makes: letters, digits, "-" and "_". Anything else is no link
    of ours: a 404 before the database is asked (PostgreSQL refuses a NUL in text: a 500)."""

    regex = "[A-Za-z0-9_-]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TokenConverter, "token")


def secret_page(view):
    """For a page whose address is the key to someone's tickets: no shared cache, proxy or
    back-forward cache keeps a copy, and no link on it tells another site the address, whatever
    the site's own policy. (Not `no-referrer`: browsers then send `Origin: null` with the page's
    forms, and Django's CSRF check refuses them.)"""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapper
