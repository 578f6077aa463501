"""Statements over a batch's rows whose SQL does not depend on how many rows there are: the values
travel as arrays, one per column, so one text (and one prepared statement on the server) serves one
row or a thousand, and a batch is read or written in one statement, never one per row."""

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Select, Table, TableValuedAlias, Update, any_, bindparam, func, select
from sqlalchemy import update as update_of
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

Rows = Sequence[Mapping[str, Any]]  # the same columns in every row


def among(column: ColumnElement[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """`column = ANY(:values)`: where an IN list would make a new statement for each length."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


def given(table: Table, columns: tuple[str, ...], numbered: bool = False) -> TableValuedAlias:
    """`unnest(:given_a, :given_b, …) AS given(a, b, …)`, one array of the table's type per column
    (`arrays` gives them), numbered in the order given (`ordinality`) if asked."""
    # Bind names apart from the columns': SQLAlchemy keeps a column's own name for its SET or VALUES.
    unnest = func.unnest(*(bindparam(f"given_{c}", type_=ARRAY(table.c[c].type)) for c in columns))
    return unnest.table_valued(*columns, with_ordinality="ordinality" if numbered else None).render_derived(
        name="given"
    )


def arrays(rows: Rows, columns: tuple[str, ...]) -> dict[str, list[Any]]:
    return {f"given_{c}": [r[c] for r in rows] for c in columns}


@cache
def inserting(table: Table, columns: tuple[str, ...]) -> Insert:
    """INSERT of the given rows, in their order (an identity counts up in it)."""
    rows = given(table, columns, numbered=True)
    ordered: Select = select(*(rows.c[c] for c in columns)).order_by(rows.c.ordinality)
    return insert(table).from_select(list(columns), ordered)


@cache
def _updating(table: Table, key: str, columns: tuple[str, ...]) -> Update:
    rows = given(table, (key, *columns))
    return update_of(table).where(table.c[key] == rows.c[key]).values({c: rows.c[c] for c in columns})


async def insert_rows(session: AsyncSession, table: Table, rows: Rows) -> None:
    """Inserts these rows, in one statement."""
    if rows:
        columns = tuple(rows[0])
        await session.execute(inserting(table, columns), arrays(rows, columns))


async def update_rows(session: AsyncSession, table: Table, rows: Rows, key: str = "id") -> None:
    """Sets, on each row of `table` whose `key` one of these rows names (once), that row's other
    values, in one statement."""
    if rows:
        columns = tuple(c for c in rows[0] if c != key)
        await session.execute(_updating(table, key, columns), arrays(rows, (key, *columns)))
