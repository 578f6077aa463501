"""Which failures are nobody's message: our own infrastructure being away or busy.

Those are retried, with backoff, for as long as they last, and never count against the message.
Everything else (a constraint violated, a payload the handler cannot use, a bug) is the message's
or the code's fault: it is retried a bounded number of times, then dead-lettered.

Through SQLAlchemy's asyncpg dialect many server-side failures arrive as a plain `DBAPIError`,
so the SQLSTATE decides, not the exception's class.
"""

from collections.abc import Iterator

import asyncpg
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# 08 connection exception, 53 insufficient resources (53300: too many connections).
_RETRYABLE_CLASSES = ("08", "53")
_RETRYABLE_STATES = frozenset(
    {
        "57P01",
        "57P02",
        "57P03",  # admin shutdown, crash shutdown, cannot connect now (recovery)
        "40001",
        "40P01",  # serialization failure, deadlock
        "57014",  # canceled by the statement timeout: a lock held elsewhere, or an outage
    }
)


def is_transient(error: BaseException) -> bool:
    """Whether the failure would likely pass if the same work were tried again later."""
    for e in _causes(error):
        if isinstance(e, DBAPIError) and e.connection_invalidated:
            return True
        state = getattr(e, "sqlstate", None)
        if state:
            return state[:2] in _RETRYABLE_CLASSES or state in _RETRYABLE_STATES
        if isinstance(e, KafkaError):
            return e.retriable or type(e).__name__ == "KafkaTimeoutError"
        if isinstance(e, (OSError, TimeoutError, asyncpg.InterfaceError)):
            # Connection refused or reset, a timeout, and asyncpg's "connection is closed" /
            # "another operation is in progress" after a connection was lost mid-operation.
            return True
    # No SQLSTATE anywhere: SQLAlchemy's own connection-level errors.
    return isinstance(error, (OperationalError, InterfaceError))


def lost_a_race(error: BaseException) -> bool:
    """Whether PostgreSQL rolled the transaction back to let a concurrent one through (deadlock
    victim, serialization conflict): the same work, run again from the start, may well pass."""
    return any(getattr(e, "sqlstate", None) in ("40001", "40P01") for e in _causes(error))


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, then what it wraps (SQLAlchemy's `.orig`, then `__cause__`/`__context__`)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [getattr(e, "orig", None), e.__cause__, e.__context__]


def describe(error: BaseException) -> str:
    """An error for logs and dead letters: its type and message, never the statement's bound values."""
    if isinstance(error, DBAPIError):
        state = getattr(error.orig, "sqlstate", None)
        return f"{type(error.orig).__name__}{f' [{state}]' if state else ''}: {_first_line(error.orig)}"
    return f"{type(error).__name__}: {error}"


def _first_line(error: BaseException | None) -> str:
    return str(error).split("\n", 1)[0]
