"""Timestamps read from PostgreSQL by psycopg's C parser.

Django reads every `timestamptz` through a loader of its own (`BaseTzLoader`), a subclass of
psycopg's pure-Python one: about 12 µs a value on a slow core, so the 2,000 start times a broad
search reads came to 24 ms, and a feed of 500 events as much again. This loader gives the same
values, with the same `tzinfo` as Django's, from psycopg's C parser (psycopg[binary] or [c]):
registered on each new connection (`connection_created`), with the `timezone` Django checks before
each cursor, so Django keeps it. Nothing changes where the C parser is not installed.

And the time zones they are shown in (`time_zone`), each read from its file once a process.
"""

import functools
import zoneinfo

from django.db.backends.signals import connection_created


@functools.cache
def time_zone(name):
    """The IANA time zone `name` (ZoneInfoNotFoundError if there is none), kept for the process:
    `zoneinfo.ZoneInfo` keeps only the last eight zones it made, and a page of twenty events in a
    dozen zones read their files again on every visit (a third of a millisecond each)."""
    return zoneinfo.ZoneInfo(name)


def c_loader():
    """psycopg's C `timestamptz` loader, or None."""
    try:
        from psycopg import adapters
        from psycopg.pq import Format
    except ImportError:  # psycopg 2
        return None
    loader = adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
    return loader if loader.__module__.startswith(("psycopg_binary", "psycopg_c")) else None


def use_c_timestamps(sender, connection, **kwargs):
    parse = c_loader() if connection.vendor == "postgresql" else None
    if parse is None:
        return
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    raw = connection.connection
    oid = raw.adapters.types["timestamptz"].oid
    django_loader = raw.adapters.get_loader(oid, Format.TEXT)

    class CTimestamptzLoader(Loader):
        timezone = django_loader.timezone  # (Django's cursors check it: the same, so this one stays)

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self.parse = parse(oid, context).load

        def load(self, data):
            value = self.parse(data)
            # (already so when the connection's time zone is Django's: UTC, as USE_TZ sets it)
            return value if value.tzinfo is self.timezone else value.replace(tzinfo=self.timezone)

    raw.adapters.register_loader(oid, CTimestamptzLoader)


def install():
    connection_created.connect(use_c_timestamps, dispatch_uid="events.timestamps")
