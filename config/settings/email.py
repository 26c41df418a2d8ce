"""Turn one EMAIL_URL into Django's email settings."""

from urllib.parse import parse_qs, unquote, urlparse

BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def email_settings(url):
    parts = urlparse(url)
    if parts.scheme not in BACKENDS:
        raise ValueError(f"EMAIL_URL scheme must be one of {', '.join(BACKENDS)}, not {parts.scheme!r}")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return {
        "EMAIL_BACKEND": BACKENDS[parts.scheme],
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or 25,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": options.get("tls") == "1",
        "EMAIL_USE_SSL": options.get("ssl") == "1",
        "EMAIL_TIMEOUT": int(options.get("timeout", 10)),
    }
