"""Statements over a batch's rows whose SQL does not depend on how many rows there are: the values
travel as arrays, one per column, so one text (and one prepared statement on the server) serves one
row or a thousand, and a batch is read or written in one statement, never one per row.

    await bulk.insert_rows(session, table, [{"id": …, "body": …}, …])
    select(table).where(bulk.among(table.c.id, ids))
"""

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    Select,
    Table,
    TableValuedAlias,
    Text,
    Update,
    any_,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy import update as update_of
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

Rows = Sequence[Mapping[str, Any]]  # the same columns in every row


def among(column: ColumnElement[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """`column = ANY(:values)`: where an IN list would make a new statement for each length."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


def _json(table: Table, column: str) -> bool:
    # JSON values travel as text and are cast back: an array of lists would read as more dimensions.
    return isinstance(table.c[column].type, JSON)


def given(table: Table, columns: tuple[str, ...], numbered: bool = False) -> TableValuedAlias:
    """`unnest(:given_a, :given_b, …) AS given(a, b, …)`, one array of the table's type per column
    (`arrays` gives them), numbered in the order given (`ordinality`) if asked."""
    # Bind names apart from the columns': SQLAlchemy keeps a column's own name for its SET or VALUES.
    unnest = func.unnest(
        *(bindparam(f"given_{c}", type_=ARRAY(Text if _json(table, c) else table.c[c].type)) for c in columns)
    )
    return unnest.table_valued(*columns, with_ordinality="ordinality" if numbered else None).render_derived(
        name="given"
    )


def _value(table: Table, rows: TableValuedAlias, column: str) -> ColumnElement[Any]:
    return cast(rows.c[column], table.c[column].type) if _json(table, column) else rows.c[column]


def arrays(table: Table, rows: Rows, columns: tuple[str, ...]) -> dict[str, list[Any]]:
    return {f"given_{c}": [_encoded(table, c, r[c]) for r in rows] for c in columns}


def _encoded(table: Table, column: str, value: Any) -> Any:
    if not _json(table, column):
        return value
    # As the column's type would: None is SQL NULL where it says so (`none_as_null`), JSON null elsewhere.
    if value is None and getattr(table.c[column].type, "none_as_null", False):
        return None
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


@cache
def inserting(table: Table, columns: tuple[str, ...]) -> Insert:
    """INSERT of the given rows, in their order (an identity counts up in it)."""
    rows = given(table, columns, numbered=True)
    ordered: Select[Any] = select(*(_value(table, rows, c) for c in columns)).order_by(rows.c.ordinality)
    return insert(table).from_select(list(columns), ordered)


@cache
def _updating(table: Table, key: str, columns: tuple[str, ...]) -> Update:
    rows = given(table, (key, *columns))
    return update_of(table).where(table.c[key] == rows.c[key]).values({c: _value(table, rows, c) for c in columns})


async def insert_rows(session: AsyncSession, table: Table, rows: Rows) -> None:
    """Inserts these rows, in one statement."""
    if rows:
        columns = tuple(rows[0])
        await session.execute(inserting(table, columns), arrays(table, rows, columns))


def insert_rows_now(session: Session, table: Table, rows: Rows) -> None:
    """`insert_rows` on a synchronous session (inside its commit, as the outbox writes)."""
    if rows:
        columns = tuple(rows[0])
        session.execute(inserting(table, columns), arrays(table, rows, columns))


async def update_rows(session: AsyncSession, table: Table, rows: Rows, key: str = "id") -> None:
    """Sets, on each row of `table` whose `key` one of these rows names (once), that row's other
    values, in one statement."""
    if rows:
        columns = tuple(c for c in rows[0] if c != key)
        await session.execute(_updating(table, key, columns), arrays(table, rows, (key, *columns)))
