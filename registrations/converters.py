"""Links that carry a secret (tickets, orders, waitlist offers): their path converter (events'
`<token:…>`), and the headers every page behind such a link sends."""

from functools import wraps

from django.utils.cache import patch_cache_control

from events.inputs import TokenConverter  # noqa: F401  (registers <token:…>)


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
