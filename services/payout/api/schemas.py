"""The shapes of payout's API: budget lines, payouts, clawbacks, cancellations."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.events import Money
from shared.policy import money

# Money taken from a caller: what the document says of it is what is checked (`shared.policy.money`).
Amount = money.Money
Positive = money.PositiveMoney
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]


class BudgetSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount = Field(description="The whole budget of the line, in yuan (a decimal string): not an increment.")


class BudgetLine(BaseModel):
    year: int
    clause: str
    amount: Money
    reserved: Money = Field(description="committed to awards not yet paid")
    paid: Money
    available: Money
    awaiting_budget: int = Field(description="awards waiting for this line to be raised")
    awaiting_amount: Money
    updated_at: datetime
    updated_by: str


class BudgetSetResult(BudgetLine):
    released: int = Field(description="awaiting awards that went ahead with this change")


class Cancellation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


class Cancelled(BaseModel):
    award_id: UUID
    state: str


class ClawbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")] = Field(
        description="Your idempotency key: the same key and amount again is the same clawback; another amount is 409."
    )
    amount: Positive
    reason: Text


class Clawback(BaseModel):
    id: UUID
    award_id: UUID
    key: str
    amount: Money
    reason: str
    by: str
    recorded_at: datetime


class PayoutRead(BaseModel):
    id: UUID
    award_id: UUID
    attempt: int
    application_id: UUID
    credit_code: str
    clause: str
    year: int = Field(description="the budget year: the line its award is charged to is this year's and clause's")
    amount: Money
    status: str
    hold_reason: str | None
    reason_code: str | None
    reason: str | None
    account: str | None = Field(description="masked account number")
    batch_id: str | None
    requested_at: datetime | None
    expected_on: date | None
    settled_on: date | None
    bank_reference: str | None
    replaces: UUID | None
    payee_provided_by: str | None = Field(
        description="who last gave or corrected the application's bank details: the partner's or admin's "
        "account id; null when not known (the submitting partner, before this was recorded) or none given"
    )
    payee_provided_by_role: Literal["partner", "admin"] | None = Field(description="null when none given")
    payee_provided_at: datetime | None = Field(description="when the bank details now on file were given")


class LedgerBreak(BaseModel):
    where: str = Field(description="the row (`row 7 (transfer …)`), award or account where the ledger first breaks")
    why: str


class LedgerVerification(BaseModel):
    """What `subsidy ledger verify` finds."""

    transfers: int = Field(description="transfers replayed from genesis (up to the break, if there is one)")
    accounts: int
    intact: bool = Field(
        description="the keyed hash chain unbroken, every transfer within the rules, each award reserved once, "
        "and the stored balances equal to what the transfers add up to"
    )
    first_break: LedgerBreak | None = Field(description="where and why it first breaks; null when intact")
