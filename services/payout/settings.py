"""The payout service's settings: the shared ones plus the ledger key, the finance exchange and its
service level."""

from pydantic import Field, SecretStr

from services.payout.domain.keys import KeyRing, parse
from shared.settings import Settings


class LedgerKeyMissing(RuntimeError):
    pass


class PayoutSettings(Settings):
    # The key every ledger row's HMAC is made with; without it the chain can be neither extended nor
    # verified. Keep it outside the database (a secrets store): whoever holds it can rewrite history.
    ledger_key: SecretStr | None = None
    # Several ledger keys, each with an id, while keys are rotated: `id:key,id:key…`, the first making
    # new rows and heads, every one (and LEDGER_KEY, when set, under an id derived from it) verifying.
    # Each row names its key, so an old key stays listed as long as the ledger holds rows made with it.
    ledger_keys: SecretStr | None = None
    # How often the ledger's head is published (as an event, for the finance system to keep) once the
    # chain has grown; it also travels in every batch.
    ledger_head_interval_s: float = Field(default=5.0, gt=0)
    # Working days the finance system takes to pay once a payout is requested: the expected date.
    finance_service_level_working_days: int = Field(default=3, ge=0, le=60)
    # A batch (pain.001) leaves at most every this many seconds, or as soon as this many payouts wait.
    payout_batch_interval_s: float = Field(default=5.0, gt=0)
    # While no payout waits, the batcher sleeps until it is told of one (requested, or held quietly
    # until its grace runs out) and looks on its own only this often, in case a notification was lost.
    payout_batch_poll_s: float = Field(default=60.0, gt=0)
    payout_batch_max: int = Field(default=500, ge=1, le=10_000)
    # An award read before its application's bank details (they come on another topic) is held
    # quietly this long before the applicant is told the details are missing.
    payout_payee_grace_s: float = Field(default=5.0, ge=0, le=3600)
    # The city's account the payments are made from (pain.001 Dbtr/Nm, a Max140Text, and
    # DbtrAcct/Id/Othr/Id, a Max34Text): refused at start rather than in every batch.
    finance_debtor_name: str = Field(default="成都市新经济发展委员会", min_length=1, max_length=140)
    finance_debtor_account: str = Field(default="510100000000000000001", min_length=1, max_length=34)

    def ledger_key_ring(self) -> KeyRing:
        """LEDGER_KEYS then LEDGER_KEY; LedgerKeyMissing without either, ValueError when malformed."""
        many = self.ledger_keys.get_secret_value() if self.ledger_keys else ""
        one = self.ledger_key.get_secret_value() if self.ledger_key else ""
        if not (many.strip() or one):
            raise LedgerKeyMissing(
                f"{self.service_name} needs LEDGER_KEY (or LEDGER_KEYS), the key the ledger's hash chain is "
                "made with (any long random string; `python -m shared.secretbox` makes one)"
            )
        return parse(many, one)
