"""The path converter of the links that carry a secret (tickets, orders, waitlist offers)."""

from django.urls import register_converter


class TokenConverter:
    """What `secrets.token_urlsafe` makes: letters, digits, "-" and "_". Anything else is no link
    of ours: a 404 before the database is asked (PostgreSQL refuses a NUL in text: a 500)."""

    regex = "[A-Za-z0-9_-]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TokenConverter, "token")
