"""Bulk loading for the benchmark seeds: PostgreSQL COPY from Python rows.

Generic on purpose (Django only, no project models): the portal's seed (``bench/seed.py``) and
django-helpdesk's (``bench/helpdesk_tool.py``, run in its own virtual environment) both use it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    chunk_rows: int = 50_000,
) -> int:
    """Stream ``rows`` into ``model``'s table with COPY (text format), in chunks.

    Columns the model gained after the seed was written get their Python default (COPY does
    not know Django defaults); a new NOT NULL column without one stops with a clear error."""
    table = model._meta.db_table
    extra_columns: list[str] = []
    extra_values: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.column in columns or f.primary_key:
            continue
        if f.has_default():
            extra_columns.append(f.column)
            extra_values.append(f.get_default())
        elif not f.null:
            raise RuntimeError(
                f"bench seed: {table}.{f.column} is NOT NULL without a default; "
                "add it to the seed"
            )
    if extra_columns:
        columns = [*columns, *extra_columns]
        rows = ((*row, *extra_values) for row in rows)
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    count = 0
    buffer = io.StringIO()
    in_buffer = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg2 cursor under Django's wrapper
        for row in rows:
            buffer.write("\t".join(_copy_value(v) for v in row))
            buffer.write("\n")
            in_buffer += 1
            if in_buffer >= chunk_rows:
                buffer.seek(0)
                raw.copy_expert(sql, buffer)
                count += in_buffer
                buffer, in_buffer = io.StringIO(), 0
        if in_buffer:
            buffer.seek(0)
            raw.copy_expert(sql, buffer)
            count += in_buffer
    return count


def reset_sequence(model: type[Model]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our names
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )
