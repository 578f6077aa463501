"""Which failures are an outage to wait out, and which are the message's (or the code's) fault."""

import asyncpg
import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shared.messaging.faults import describe, is_transient


def through_sqlalchemy(error: Exception, cls=DBAPIError, invalidated=False) -> DBAPIError:
    """The way SQLAlchemy's asyncpg dialect hands a server error to us: often a plain DBAPIError."""
    return cls("INSERT INTO t VALUES ($1)", ("secret value",), error, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.CrashShutdownError("crash"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.exceptions.SerializationError("could not serialize access"),
        asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.exceptions.InterfaceError("cannot perform operation: another operation is in progress"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_an_outage_of_the_database_is_transient_however_sqlalchemy_wraps_it(error):
    assert is_transient(error)
    assert is_transient(through_sqlalchemy(error))
    assert is_transient(through_sqlalchemy(error, OperationalError))


def test_a_connection_invalidated_by_sqlalchemy_is_transient():
    assert is_transient(through_sqlalchemy(RuntimeError("gone"), invalidated=True))


@pytest.mark.parametrize(
    "error",
    [ConnectionRefusedError(), TimeoutError(), KafkaTimeoutError(), KafkaConnectionError()],
    ids=lambda e: type(e).__name__,
)
def test_an_unreachable_broker_or_a_timeout_is_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        through_sqlalchemy(asyncpg.exceptions.UniqueViolationError("duplicate key"), IntegrityError),
        through_sqlalchemy(asyncpg.exceptions.CheckViolationError("violates check constraint")),
        ValueError("finance settled 5.00 for a payout of 6.00"),
        LookupError("unknown payout"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_broken_rule_or_a_bad_payload_is_not_transient(error):
    assert not is_transient(error)


def test_a_constraint_violated_while_the_connection_was_lost_counts_as_the_outage():
    try:
        try:
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")
        except Exception as lost:
            raise ValueError("rollback failed") from lost
    except ValueError as error:
        assert is_transient(error)


def test_an_error_is_described_without_the_statement_s_bound_values():
    error = through_sqlalchemy(asyncpg.exceptions.UniqueViolationError("duplicate key value"), IntegrityError)
    assert "secret value" in str(error)  # what SQLAlchemy would print…
    assert "secret value" not in describe(error)  # …and what logs and dead letters get
    assert describe(error) == "UniqueViolationError [23505]: duplicate key value"
