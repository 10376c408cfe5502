"""Set-based jobs: ``UPDATE … RETURNING`` (which Django's ORM does not spell) and the loop
that claims due rows batch after batch.

``QuerySet.update()`` answers how many rows changed, not which. A batch job that claims rows
with a conditional UPDATE (``WHERE <still due> AND id IN (batch)``) must know exactly which
ones it won, in the same statement: reading them again afterwards would race with another
worker. :func:`update_returning` compiles the queryset's UPDATE with Django's own compiler (so
``Q`` objects, ``F`` and ``Case`` expressions work as in ``update()``) and appends
``RETURNING``. PostgreSQL and SQLite ≥ 3.35 (the demo) both support it.
"""

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import InterfaceError, OperationalError, connections, router
from django.db.models import Model, QuerySet
from django.db.models.sql import UpdateQuery


def update_returning(queryset: QuerySet[Any, Any], **values: Any) -> list[Any]:
    """``queryset.update(**values)``, answering the primary keys of the rows it changed (in
    no particular order)."""
    model: type[Model] = queryset.model
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    query.annotations = {}
    query.clear_ordering(force=True)
    connection = connections[queryset.db]
    try:
        statement, params = query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:  # e.g. ``pk__in=[]``: nothing can match
        return []
    if not statement:
        return []
    column = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"{statement} RETURNING {column}", params)
        return [row[0] for row in cursor.fetchall()]


def run_batches(
    due: Callable[[int], Sequence[int]], claim: Callable[[Sequence[int]], int], *, batch: int,
    what: Callable[[int], str], log: logging.Logger,
) -> int:
    """Claim everything ``due`` answers, batch after batch: a run that follows a skipped or
    late one catches up in full instead of leaving the rest for later runs. A batch that fails
    is retried ticket by ticket, so one failing ticket does not hold up the rest; a ticket that
    fails alone is logged, left as it was (its transaction rolled back) and skipped until the
    next run. ``claim`` answers how many of the ids it flagged."""
    flagged = 0
    failed: set[int] = set()
    while True:
        found = list(due(batch))
        todo = [pk for pk in found if pk not in failed]
        progress = 0
        if todo:
            try:
                progress = claim(todo)
            except (OperationalError, InterfaceError):
                raise  # the database is gone: nothing else in this run can succeed
            except Exception:
                if len(todo) == 1:
                    log.exception("%s failed; retrying on the next run", what(todo[0]))
                    failed.update(todo)
                else:
                    log.warning("a batch of %d failed; retrying its tickets one by one",
                                len(todo), exc_info=True)
                    for pk in todo:
                        try:
                            progress += claim([pk])
                        except (OperationalError, InterfaceError):
                            raise
                        except Exception:
                            # Rolled back: still unflagged, so the next run retries it.
                            log.exception("%s failed; retrying on the next run", what(pk))
                            failed.add(pk)
        flagged += progress
        # Nothing claimed from a full batch: the rest is failing, or another run holds it.
        if len(found) < batch or not progress:
            return flagged


def insert_rows(model: type[Model], rows: Sequence[dict[str, Any]], *,
                ignore_conflicts: bool = False) -> None:
    """INSERT plain rows (``{attname: value}``; a field left out takes its default) in one
    statement, without building a model instance per row.

    For the outbox of a batch job (thousands of bells and e-mails at once), where
    ``bulk_create`` spends most of its time in ``Model.__init__`` and in preparing each value
    field by field. On PostgreSQL the values go to the driver as they are, one array per column
    (``INSERT … SELECT * FROM UNNEST(…)``), so this is only for plain columns: text, numbers,
    booleans, aware datetimes, dates, and foreign keys as ids. Other databases (the demo's
    SQLite) get ``bulk_create``.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**{**defaults, **row}) for row in rows],
                                           ignore_conflicts=ignore_conflicts)
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    statement = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
                 f"SELECT * FROM UNNEST({arrays})")
    if ignore_conflicts:
        statement += " ON CONFLICT DO NOTHING"
    params = [[row.get(f.attname, defaults[f.attname]) for row in rows] for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
