"""New rows by the hundred thousand, for benchmark data (`manage.py generate_events`).

On PostgreSQL rows go in by COPY: an INSERT of thousands of rows costs more in Django (each value
prepared and compiled) and psycopg (the values spliced into one string) than in the database. Ids
come from the table's sequence beforehand, so the rows that point to them are written at once.
Elsewhere (SQLite) they go in by plain INSERTs, in batches.

A load as large as what the tables already hold sets their secondary indexes aside and makes them
again at the end from their own definitions (`pg_indexes.indexdef`, so they are the indexes the
migrations made): one sort each, instead of a million insertions at random places into indexes
larger than PostgreSQL's cache. Primary keys, unique constraints and foreign keys stay and check
every row. Meanwhile a query on those tables has no index to use: not for a site in use.
"""

import datetime as dt
import uuid
from contextlib import contextmanager
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Max

# Values of these types in fields of these kinds are written as they are: Django's conversion of
# them only wraps them for psycopg's parameters (or warns of a naive datetime, which this project
# never has). Anything else (a StreamField's blocks, a JSON value, a country) goes through its field.
AS_IS_FIELDS = {
    "AutoField",
    "BigAutoField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
    "UUIDField",
}
AS_IS_TYPES = {bool, int, float, str, Decimal, dt.date, dt.datetime, uuid.UUID, type(None)}
SQLITE_BATCH = 100  # rows per INSERT: SQLite takes at most 32,766 values a statement
INDEX_MEMORY = "256MB"  # maintenance_work_mem while the indexes are made again (a sort in memory)


def own_fields(model):
    """The columns of `model`'s own table that a new row is written with (not an auto id)."""
    return [field for field in model._meta.local_concrete_fields if field is not model._meta.auto_field]


def reserve_ids(model, count):
    """`count` primary keys for new rows of `model`, which no other row will take."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, model._meta.pk.column, count],
            )
            return sorted(pk for (pk,) in cursor.fetchall())
    top = model._base_manager.aggregate(top=Max("pk"))["top"] or 0
    return list(range(top + 1, top + count + 1))


def insert(model, objects, fields):
    """Write `objects`, new rows of `model`'s table, with the values of `fields` (their table's)."""
    if connection.vendor != "postgresql":
        for start in range(0, len(objects), SQLITE_BATCH):
            model._base_manager._insert(objects[start : start + SQLITE_BATCH], fields=fields)
        return
    values = ([field.pre_save(obj, True) for field in fields] for obj in objects)
    copy(model._meta.db_table, [field.column for field in fields], prepared(fields, values))


def insert_values(model, names, rows):
    """Write new rows of `model`'s table given as values (as the model holds them) of the fields
    `names`: without making a model instance of each on PostgreSQL."""
    fields = [model._meta.get_field(name) for name in names]
    if connection.vendor != "postgresql":
        objects = [model(**{field.attname: value for field, value in zip(fields, row, strict=True)}) for row in rows]
        insert(model, objects, fields)
        return
    copy(model._meta.db_table, [field.column for field in fields], prepared(fields, rows))


def prepared(fields, rows):
    """`rows` of values of `fields` as an INSERT would write them."""
    db = connections[DEFAULT_DB_ALIAS]  # (`connection` would look itself up again for each value)
    as_is = [field.get_internal_type() in AS_IS_FIELDS for field in fields]
    for row in rows:
        yield [
            value if plain and type(value) in AS_IS_TYPES else field.get_db_prep_save(value, db)
            for field, plain, value in zip(fields, as_is, row, strict=True)
        ]


def copy(table, columns, rows):
    """COPY `rows` (sequences of values, in the order of `columns`) into `table` (PostgreSQL)."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as writer:
        for row in rows:
            writer.write_row(row)


def secondary_indexes(tables):
    """(name, definition) of the indexes of `tables` that no constraint owns (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT indexname, indexdef FROM pg_indexes
            WHERE schemaname = current_schema() AND tablename = ANY(%s)
            AND NOT EXISTS (
                SELECT 1 FROM pg_constraint
                WHERE conindid = format('%%I.%%I', schemaname, indexname)::regclass
            )
            ORDER BY tablename, indexname""",
            [list(tables)],
        )
        return cursor.fetchall()


@contextmanager
def indexes_set_aside(models):
    """Without the secondary indexes of `models`' tables inside, made again on the way out, even
    after an error (PostgreSQL; elsewhere nothing changes)."""
    if connection.vendor != "postgresql":
        yield
        return
    indexes = secondary_indexes(model._meta.db_table for model in models)
    checked()
    with connection.cursor() as cursor:
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        checked()
        with connection.cursor() as cursor:
            cursor.execute(f"SET maintenance_work_mem = '{INDEX_MEMORY}'")
            for _name, definition in indexes:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")


def checked():
    """Inside a transaction, run the foreign key checks it has deferred to its commit: PostgreSQL
    refuses to drop or make an index on a table that still has some."""
    if connection.in_atomic_block:
        connection.check_constraints()
