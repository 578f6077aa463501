"""How the finance-system stand-in behaves."""

from pydantic import Field

from shared.settings import Settings


class FinanceSimSettings(Settings):
    # The share of payouts the stand-in rejects (chosen by a hash of the payout id, so the same
    # payout always gets the same answer), with a realistic ISO 20022 reason code.
    finance_sim_reject_rate: float = Field(default=0.05, ge=0, le=1)
    # How long the stand-in takes to answer a batch: status report, then the booking.
    finance_sim_delay_s: float = Field(default=2.0, ge=0)
