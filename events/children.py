"""A page's children (its sessions, its ticket types) fetched in the page's own query.

Routed to, an event page shows its sessions and ticket types at every visit; fetched by
`prefetch_related`, each is a query of its own, compiled and sent anew each time (when the page
cache is off, a third of the page's database work). Here each comes as one JSON array of its rows,
a subquery of the page's query (`rows_of`), and is turned back into model instances with the
field's own conversions (`keep`), which Django's prefetch would have given: the rest of the code
reads `page.sessions.all()` as before, and a preview's in-memory children still win (modelcluster).
"""

import datetime
import functools
import json
from decimal import Decimal

from django.db import connection, connections, models
from django.db.models.expressions import RawSQL
from django.utils import timezone


class ExactDecoder(json.JSONDecoder):
    """JSON numbers with a fraction as Decimals (prices), never floats."""

    def __init__(self, **kwargs):
        super().__init__(parse_float=Decimal, **kwargs)


# How each database writes "the rows as one JSON array of objects".
JSON_ROWS = {"postgresql": ("JSONB_AGG", "JSONB_BUILD_OBJECT"), "sqlite": ("JSON_GROUP_ARRAY", "JSON_OBJECT")}


def rows_of(relation, parent):
    """An expression: the rows of `relation` (a ParentalKey's reverse relation, as
    `EventPage._meta.get_field("sessions")`) whose parent is the outer query's `parent` (a
    model's table, not aliased), as one JSON array, or None on a database without JSON_ROWS."""
    sql = rows_sql(relation, parent, connection.vendor)
    return sql and RawSQL(sql, (), output_field=models.JSONField(decoder=ExactDecoder))


@functools.cache
def rows_sql(relation, parent, vendor):
    """Written once a process: compiling the same subquery anew at each visit cost more than the
    query it saves."""
    if vendor not in JSON_ROWS:
        return None
    aggregate, build = JSON_ROWS[vendor]
    quote, model = connection.ops.quote_name, relation.related_model
    pairs = ", ".join(f"'{field.attname}', {quote(field.column)}" for field in model._meta.concrete_fields)
    return (
        f"SELECT {aggregate}({build}({pairs})) FROM {quote(model._meta.db_table)}"
        f" WHERE {quote(relation.field.column)} = {quote(parent._meta.db_table)}.{quote(parent._meta.pk.column)}"
    )


def instance(model, row, db):
    """A model instance from one JSON row, each value as the database would have given it."""
    values = []
    for field in model._meta.concrete_fields:
        value = row[field.attname]
        if value is not None:
            if isinstance(field, models.DateTimeField):
                value = field.to_python(value)
                if timezone.is_naive(value):  # SQLite writes them without their zone: UTC
                    value = value.replace(tzinfo=datetime.UTC)
            elif isinstance(field, models.DecimalField):
                value = Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places))
            else:
                value = field.to_python(value)
        values.append(value)
    return model.from_db(db, [field.attname for field in model._meta.concrete_fields], values)


def keep(page, relation, rows):
    """Keep `rows` (a `rows_of` value) as `page`'s children of `relation` ("sessions"), as a
    prefetch would, in their model's order (Orderable: `sort_order`; its ties by id)."""
    parent_key = page._meta.get_field(relation).field
    children = [instance(parent_key.model, row, page._state.db) for row in rows or ()]
    nulls_last = connections[page._state.db].features.nulls_order_largest  # as the database orders them
    children.sort(key=lambda child: ((child.sort_order is None) == nulls_last, child.sort_order or 0, child.pk))
    for child in children:
        setattr(child, parent_key.name, page)
    queryset = getattr(page, relation).get_live_queryset()
    queryset._result_cache, queryset._prefetch_done = children, True
    page.__dict__.setdefault("_prefetched_objects_cache", {})[parent_key.related_query_name()] = queryset
