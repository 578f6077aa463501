"""Money helpers for tests: fund a budget line, and verify the ledger, straight on payout's schema."""

from datetime import UTC, datetime
from decimal import Decimal

from services.payout import budgets
from services.payout.audit import verify_ledger
from services.payout.context import Context
from services.payout.domain.money import budget_year
from shared.events import AwardGrantedV1, PayeeDetails, PayeeProvidedV1
from shared.messaging.envelope import Envelope
from tests.wiring import wired

PAYEE_ACCOUNT = "6222020200112233445"


def this_year() -> int:
    return budget_year(datetime.now(UTC))


def payee_for(name: str, account_number: str = PAYEE_ACCOUNT) -> dict:
    return {"account_name": name, "account_number": account_number, "bank": "中国工商银行成都高新支行"}


def payee_provided(award: AwardGrantedV1, name: str) -> tuple[Envelope, PayeeProvidedV1]:
    """The bank details intake publishes for an award's application, as its event and payload."""
    p = PayeeProvidedV1(
        application_id=award.application_id,
        credit_code=award.credit_code,
        applicant_name=name,
        payee=PayeeDetails(**payee_for(name)),
        provided_at=datetime.now(UTC),
    )
    return Envelope.of(p, source="/subsidy/intake", key=award.credit_code, subject=str(award.application_id)), p


async def _run(database_url: str, operation):
    async with wired(database_url, "payout") as payout, payout.sessions.begin() as session:
        return await operation(session, Context.of(payout))


async def fund(
    database_url: str, amount: str = "100000000000.00", clause: str = "1.1-node", year: int | None = None
) -> dict:
    """Sets a budget line (this year's by default), as `subsidy budgets set` does."""
    return await _run(
        database_url, lambda s, ctx: budgets.set_budget(s, ctx, year or this_year(), clause, Decimal(amount), by="test")
    )


async def verified(database_url: str):
    """What `subsidy ledger verify` finds."""
    return await _run(database_url, lambda s, ctx: verify_ledger(s, ctx.key))
