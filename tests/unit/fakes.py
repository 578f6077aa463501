"""In-memory stand-ins for a service's unit of work, for handler tests without a database.

The services speak SQLAlchemy Core to their session directly (there is no repository in between),
so the fake sits at that seam: `FakeSession` holds each table's rows in memory and answers the
simple statements the handlers make — one table, filters by equality, comparison and `IN` (of
tuples too) and `= ANY(array)`, joined by AND/OR, ordering, a limit, grouping, `max` and `count`,
inserts and updates, an update from the rows of an `unnest` matched by key (services/payout/bulk.py)
— and the ledger's balance save (services/payout/books.py, an `unnest` upsert it knows by its
parameters). Anything else (joins, subqueries, upserts) raises NotImplementedError: the test must
then fake the function making it, never get a wrong answer. Locks (`FOR UPDATE`, advisory locks)
mean nothing with one caller.

`FakePublisher` keeps the events a handler owes instead of writing them to the outbox.
"""

import operator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Table
from sqlalchemy.sql import operators
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    CollectionAggregate,
    ColumnClause,
    Grouping,
    Label,
    TextClause,
    Tuple,
    UnaryExpression,
)
from sqlalchemy.sql.functions import Function, FunctionElement
from sqlalchemy.sql.selectable import Select, TableValuedAlias

from shared.messaging.envelope import Envelope
from shared.messaging.outbox import Publisher

_COMPARE = {
    operators.eq: operator.eq,
    operators.ne: operator.ne,
    operators.lt: operator.lt,
    operators.le: operator.le,
    operators.gt: operator.gt,
    operators.ge: operator.ge,
    operators.in_op: lambda a, b: a in b,
    operators.not_in_op: lambda a, b: a not in b,
    operators.is_: lambda a, b: a is b,
    operators.is_not: lambda a, b: a is not b,
}


def _nulls_last(column: str):
    def key(row: dict[str, Any]) -> tuple[bool, Any]:
        return row[column] is None, row[column] if row[column] is not None else 0

    return key


class FakeRow:
    """A row as SQLAlchemy gives it: attributes by column name, `_mapping`, and positions."""

    def __init__(self, values: dict[str, Any]):
        self.__dict__["_values"] = dict(values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, i: int) -> Any:
        return list(self._values.values())[i]

    @property
    def _mapping(self) -> dict[str, Any]:
        return dict(self._values)

    def __repr__(self) -> str:
        return f"FakeRow({self._values})"


class FakeResult:
    def __init__(self, rows: list[FakeRow]):
        self._rows = rows

    def __iter__(self):
        return iter(self._rows)

    def all(self) -> list[FakeRow]:
        return list(self._rows)

    def first(self) -> FakeRow | None:
        return self._rows[0] if self._rows else None

    def one(self) -> FakeRow:
        assert len(self._rows) == 1, f"one row expected, {len(self._rows)} found"
        return self._rows[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalars(self) -> "FakeScalars":
        return FakeScalars([r[0] for r in self._rows])


class FakeScalars:
    def __init__(self, values: list[Any]):
        self._values = values

    def __iter__(self):
        return iter(self._values)

    def all(self) -> list[Any]:
        return list(self._values)

    def first(self) -> Any:
        return self._values[0] if self._values else None


class FakeSession:
    def __init__(self, now: datetime | None = None):
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.statements: list[str] = []  # what was written, in order: "insert payout.payouts", …
        self.now = now or datetime.now(UTC)
        self.info: dict = {}
        self._identity = 0

    def rows(self, table: Any) -> list[dict[str, Any]]:
        return self.tables.setdefault(table.fullname, [])

    def add(self, table: Any, **values: Any) -> dict[str, Any]:
        """Puts a row in a table, with the database's defaults for what is not given: an identity
        counts up, a timestamp is now, anything else is NULL."""
        row = dict.fromkeys(table.c.keys()) | values
        for c in table.c:
            if row[c.name] is None and c.identity is not None:
                self._identity += 1
                row[c.name] = self._identity
            elif row[c.name] is None and c.server_default is not None and isinstance(c.type, DateTime):
                row[c.name] = self.now
        self.rows(table).append(row)
        return row

    async def execute(self, statement, params=None) -> FakeResult:
        if isinstance(statement, TextClause):
            if params and "ids" in params and "cd" in params:  # the ledger saves the balances it touched
                self._save_accounts(params)
            return FakeResult([FakeRow({"locked": True})])  # advisory locks: one caller always gets them
        if isinstance(statement, Select):
            return FakeResult(self._select(statement))
        if isinstance(statement, Insert):
            self._insert(statement, params)
        elif isinstance(statement, Update):
            self._update(statement, params)
        else:
            raise NotImplementedError(f"the fake session cannot run {statement}")
        return FakeResult([])

    # --- statements -----------------------------------------------------------------------------

    def _select(self, s: Select) -> list[FakeRow]:
        froms = s.get_final_froms()
        if len(froms) != 1 or not isinstance(froms[0], Table):
            raise NotImplementedError(f"one table at a time, not {froms}")
        rows = [r for r in self.rows(froms[0]) if self._holds(s.whereclause, r)]
        for clause in reversed(s._order_by_clauses):
            column, descending = self._ordering(clause)
            rows.sort(key=_nulls_last(column), reverse=descending)
        columns = list(s.selected_columns)
        if any(isinstance(self._bare(c), FunctionElement) for c in columns):
            return [FakeRow({self._name(c): self._aggregate(self._bare(c), rows) for c in columns})]
        if s._limit is not None:
            rows = rows[: s._limit]
        found = [FakeRow({c.name: r[c.name] for c in columns}) for r in rows]
        if s._group_by_clauses:
            found = list({tuple(r._mapping.values()): r for r in found}.values())
        return found

    def _save_accounts(self, p: dict[str, list]) -> None:
        rows = self.tables.setdefault("payout.accounts", [])
        for i, account_id in enumerate(p["ids"]):
            values = {
                "id": account_id,
                "limited": p["limited"][i],
                "debits_pending": p["dp"][i],
                "debits_posted": p["dd"][i],
                "credits_pending": p["cp"][i],
                "credits_posted": p["cd"][i],
            }
            rows[:] = [r for r in rows if r["id"] != account_id] + [values]

    def _insert(self, s: Insert, params) -> None:
        table = s.table
        if s.select is not None:  # INSERT … SELECT from an unnest of the rows (services/payout/bulk.py)
            froms = s.select.get_final_froms()
            if len(froms) != 1 or getattr(s, "_post_values_clause", None) is not None:
                raise NotImplementedError(f"the fake session cannot run {s}")
            many = [
                {name: row[c.name] for name, c in zip(s._select_names or [], s.select.selected_columns, strict=True)}
                for row in self._unnested(froms[0], params or {})
            ]
        else:
            many = params if isinstance(params, list) else [self._values(s)]
        for values in many:
            if table.primary_key and any(
                all(r[c.name] == values.get(c.name) for c in table.primary_key) for r in self.rows(table)
            ):
                raise AssertionError(f"duplicate key in {table.fullname}: {values}")
            self.add(table, **values)
        self.statements.append(f"insert {table.fullname}")

    def _update(self, s: Update, params) -> None:
        table, where = s.table, s.whereclause
        if not isinstance(table, Table):
            raise NotImplementedError(f"one table at a time, not {table}")
        if isinstance(where, BinaryExpression) and isinstance(getattr(where.right, "table", None), TableValuedAlias):
            # UPDATE t SET c = given.c FROM unnest(…) AS given(key, c, …) WHERE t.key = given.key
            alias = where.right.table
            if where.operator is not operators.eq or any(
                getattr(v, "table", None) is not alias for v in (s._values or {}).values()
            ):
                raise NotImplementedError(f"the fake session cannot run {s}")
            given = {row[where.right.name]: row for row in self._unnested(alias, params or {})}
            for r in self.rows(table):
                if (new := given.get(r[where.left.name])) is not None:
                    r.update({self._name(k): new[v.name] for k, v in (s._values or {}).items()})
        else:
            for r in self.rows(table):
                if self._holds(where, r):
                    r.update(self._values(s))
        self.statements.append(f"update {table.fullname}")

    def _unnested(self, alias, params: dict) -> list[dict[str, Any]]:
        """The rows of `unnest(:a, :b, …) [WITH ORDINALITY] AS given(a, b, …)`, from the arrays bound."""
        unnest = getattr(alias, "element", None)
        if not isinstance(alias, TableValuedAlias) or not isinstance(unnest, Function) or unnest.name != "unnest":
            raise NotImplementedError(f"the fake session cannot read rows from {alias}")
        arrays, names = [params.get(b.key, b.value) for b in unnest.clauses], alias.c.keys()
        # An ordinality, if asked, is the last column: 1, 2, … in the arrays' order.
        return [dict(zip(names, (*values, n), strict=False)) for n, values in enumerate(zip(*arrays, strict=True), 1)]

    # --- expressions ----------------------------------------------------------------------------

    def _values(self, s: Insert | Update) -> dict[str, Any]:
        return {
            (k if isinstance(k, str) else k.name): (v.value if isinstance(v, BindParameter) else v)
            for k, v in (s._values or {}).items()
        }

    def _holds(self, clause, row: dict[str, Any]) -> bool:
        if clause is None:
            return True
        if isinstance(clause, Grouping):
            return self._holds(clause.element, row)
        if isinstance(clause, BooleanClauseList):
            results = [self._holds(c, row) for c in clause.clauses]
            return all(results) if clause.operator is operators.and_ else any(results)
        if isinstance(clause, BinaryExpression) and isinstance(clause.right, CollectionAggregate):
            if clause.operator is not operators.eq or clause.right.operator is not operators.any_op:
                raise NotImplementedError(f"the fake session cannot filter by {clause}")
            return self._value(clause.left, row) in self._value(clause.right.element, row)
        if isinstance(clause, BinaryExpression) and clause.operator in _COMPARE:
            left, right = self._value(clause.left, row), self._value(clause.right, row)
            if clause.operator not in (operators.is_, operators.is_not) and (left is None or right is None):
                return False  # SQL: a comparison with NULL holds for no row
            return bool(_COMPARE[clause.operator](left, right))
        raise NotImplementedError(f"the fake session cannot filter by {clause}")

    def _value(self, element, row: dict[str, Any]) -> Any:
        if isinstance(element, Grouping):
            return self._value(element.element, row)
        if isinstance(element, ColumnClause):
            return row[element.name]
        if isinstance(element, Tuple):
            return tuple(self._value(c, row) for c in element.clauses)
        if isinstance(element, BindParameter):
            value = element.effective_value
            if element.expanding:
                return [tuple(v) if isinstance(v, list) else v for v in value or ()]
            return value
        if element.__class__.__name__ == "Null":
            return None
        raise NotImplementedError(f"the fake session cannot evaluate {element!r}")

    def _ordering(self, clause) -> tuple[str, bool]:
        descending = False
        while isinstance(clause, UnaryExpression):
            descending = descending or clause.modifier is operators.desc_op
            clause = clause.element
        if not isinstance(clause, ColumnClause):
            raise NotImplementedError(f"the fake session cannot order by {clause}")
        return clause.name, descending

    @staticmethod
    def _bare(column):
        return column.element if isinstance(column, Label) else column

    @staticmethod
    def _name(column) -> str:
        return getattr(column, "name", None) or str(column)

    def _aggregate(self, fn: FunctionElement, rows: list[dict[str, Any]]) -> Any:
        if fn.name == "count":
            return len(rows)
        if fn.name == "max":
            (column,) = fn.clauses
            present = [r[column.name] for r in rows if r[column.name] is not None]
            return max(present) if present else None
        raise NotImplementedError(f"the fake session cannot compute {fn.name}")


class FakeSessions:
    """A session factory over one FakeSession: `sessions()` and `sessions.begin()` both give it.
    Nothing is rolled back: a test of a refusal checks that nothing was written before it."""

    def __init__(self, session: FakeSession):
        self.session = session

    @asynccontextmanager
    async def __call__(self):
        yield self.session

    def begin(self):
        return self()


class FakePublisher(Publisher):
    """Keeps the events owed, in order, instead of writing them to an outbox."""

    def __init__(self, source: str = "/test"):
        super().__init__(source, table=None)  # type: ignore[arg-type]
        self.owed: list[Envelope] = []

    async def publish(self, session, *events: Envelope) -> None:
        self.owed.extend(events)

    def types(self) -> list[str]:
        return [e.type for e in self.owed]
