"""What the money operations need from outside: a way to owe events, the ledger key, the finance
service level and a clock. The service passes its `Runtime`; the `subsidy` commands an `Outbox`
writing the same rows the running service's relay publishes."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared.messaging import outbox
from shared.messaging.envelope import Envelope
from shared.messaging.payloads import Payload
from shared.refusal import Refused


class Publisher(Protocol):
    def event(self, payload: Payload, *, key: str, subject: str, cause: Envelope | None = None) -> Envelope: ...

    async def publish(self, session: AsyncSession, *events: Envelope) -> None: ...


class Outbox:
    """A publisher for processes other than the service itself (the CLI)."""

    def __init__(self, table: Table, source: str = "/subsidy/payout"):
        self.table, self.source = table, source

    def event(self, payload: Payload, *, key: str, subject: str, cause: Envelope | None = None) -> Envelope:
        return Envelope.of(payload, source=self.source, key=key, subject=subject, cause=cause)

    async def publish(self, session: AsyncSession, *events: Envelope) -> None:
        if events:
            await outbox.add(session, self.table, *events)


class Refusal(Refused):
    """An operation on money the rules refuse."""


@dataclass
class Context:
    publisher: Publisher
    key: bytes
    service_level_days: int = 3
    debtor_name: str = "成都市新经济发展委员会"
    debtor_account: str = "510100000000000000001"
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    payee_grace: timedelta = timedelta(0)  # see PayoutSettings.payout_payee_grace_s

    def now(self) -> datetime:
        return self.clock()

    def tell(self, payload: Payload, *, credit_code: str, application_id, cause: Envelope | None) -> Envelope:
        """An applicant-scoped event: keyed by credit code, about its application."""
        return self.publisher.event(payload, key=credit_code, subject=str(application_id), cause=cause)
