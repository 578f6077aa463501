"""What the money operations need from outside, handed over by the composition root
(`shared/bootstrap.py`): the publisher, the ledger key, the policy (which clauses have budget
lines), the finance service level and a clock."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.payout.domain.keys import KeyRing
from services.payout.settings import PayoutSettings
from shared.bootstrap import Wiring
from shared.clock import Clock, SystemClock
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import Publisher
from shared.messaging.payloads import Payload
from shared.policy import CurrentPolicy


@dataclass
class Context:
    publisher: Publisher
    key: bytes | KeyRing  # the ledger's keys: the first signs, all verify (a single key: its id derived)
    policy: CurrentPolicy
    service_level_days: int = 3
    debtor_name: str = "成都市新经济发展委员会"
    debtor_account: str = "510100000000000000001"
    clock: Clock = field(default_factory=SystemClock)
    payee_grace: timedelta = timedelta(0)  # see PayoutSettings.payout_payee_grace_s

    @classmethod
    def of(cls, wiring: Wiring) -> "Context":
        """The context of a payout process; refuses (LedgerKeyMissing) without LEDGER_KEY or LEDGER_KEYS."""
        s = wiring.settings
        assert isinstance(s, PayoutSettings), "payout is wired with PayoutSettings"
        return cls(
            wiring.publisher,
            s.ledger_key_ring(),
            wiring.policy,
            s.finance_service_level_working_days,
            s.finance_debtor_name,
            s.finance_debtor_account,
            wiring.clock,
            timedelta(seconds=s.payout_payee_grace_s),
        )

    def now(self) -> datetime:
        return self.clock.now()

    def tell(self, payload: Payload, *, credit_code: str, application_id, cause: Envelope | None) -> Envelope:
        """An applicant-scoped event: keyed by credit code, about its application."""
        return self.publisher.event(payload, key=credit_code, subject=str(application_id), cause=cause)
