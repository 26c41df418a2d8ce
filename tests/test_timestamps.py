"""Timestamps are read by psycopg's C parser (events/timestamps.py), and give exactly what Django's
own loader gives: the same instants, with the same tzinfo object, at and around the edges."""

import datetime as dt

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.pq import Format

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

TEXTS = [
    "2027-03-28 00:59:59.999999+00",
    "2027-03-28 01:00:00+00",
    "2026-12-05 16:17:56.5+00",
    "2027-10-31 01:30:00+01",
    "1900-01-01 00:00:00+00",
    "0001-01-02 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2030-06-30 23:59:60+00",  # (a leap second: PostgreSQL reads it as the next minute)
    "2027-01-01 12:00:00-09:30",
    "2027-01-01 12:00:00+14",
]


def loader(cursor):
    oid = cursor.connection.adapters.types["timestamptz"].oid
    return cursor.adapters.get_loader(oid, Format.TEXT)


def test_django_cursors_read_timestamps_with_the_c_parser():
    with connection.cursor() as cursor:
        assert loader(cursor.cursor).__name__ == "CTimestamptzLoader"


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_each_timestamp_is_what_djangos_loader_reads(zone):
    """Also on a connection set to another time zone than Django's (Django's loader then keeps the
    wall time and puts its own zone on it: so must ours)."""
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE %s", [zone])
    try:
        with connection.cursor() as cursor:
            raw = cursor.cursor
            ours = loader(raw)

            class Djangos(BaseTzLoader):
                timezone = ours.timezone

            django_loader = Djangos(raw.connection.adapters.types["timestamptz"].oid, raw)
            cursor.execute("SELECT t::timestamptz, t::timestamptz::text FROM unnest(%s::text[]) AS t", [TEXTS])
            rows = cursor.fetchall()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
    assert len(rows) == len(TEXTS)
    for value, text in rows:
        expected = django_loader.load(text.encode())
        assert (value, repr(value)) == (expected, repr(expected)), text
        assert value.tzinfo is expected.tzinfo is dt.UTC
