"""Where a subsidy is paid: the applicant's own bank account.

An application may carry its `payee`, or the partner supplies it later; intake refuses bad details
with a field error, and payout checks them again before any money moves. The account name must be
the applicant's name (compared after Unicode NFKC, so full-width and half-width brackets match, and
with surrounding and repeated spaces ignored). Account numbers travel in full only to the finance
system; everywhere else they are masked (`mask`).
"""

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from shared.policy.text import NO_CONTROLS_PATTERN, refuse_controls

ACCOUNT_NUMBER_PATTERN = r"^[0-9]{9,30}$"


def _account_number(value: str) -> str:
    if not (9 <= len(value) <= 30 and value.isascii() and value.isdigit()):
        raise PydanticCustomError(
            "invalid_account_number", "must be the account's 9 to 30 digits, without spaces or other characters"
        )
    return value


def _text_schema(max_length: int) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "minLength": 1, "maxLength": max_length, "pattern": NO_CONTROLS_PATTERN})


# The account name goes to the bank as the creditor's name (pain.001 Cdtr/Nm, an ISO 20022
# Max140Text): a longer one is refused here, with a field error the partner can act on, rather
# than cut — a cut name would not match the account and the bank would return the payment.
ACCOUNT_NAME_MAX = 140
AccountName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=ACCOUNT_NAME_MAX),
    AfterValidator(refuse_controls),
    _text_schema(ACCOUNT_NAME_MAX),
]
BankName = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(refuse_controls), _text_schema(100)
]


class Payee(BaseModel):
    """The bank account a subsidy is paid into (收款账户)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    account_name: AccountName = Field(description="户名: must be the applicant's name, at most 140 characters")
    account_number: Annotated[
        str, AfterValidator(_account_number), WithJsonSchema({"type": "string", "pattern": ACCOUNT_NUMBER_PATTERN})
    ] = Field(description="账号: 9–30 digits")
    bank: BankName = Field(description="开户行: the bank and branch")


def comparable_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split())


def same_name(account_name: str, applicant_name: str) -> bool:
    return comparable_name(account_name) == comparable_name(applicant_name)


def mask(account_number: str) -> str:
    """`6222 **** 1234`-style: enough for a person to recognise the account, not to use it."""
    return f"****{account_number[-4:]}"


def problem(payee: Payee, applicant_name: str) -> str | None:
    """Why these details cannot be paid into, if they cannot (the format is the model's business)."""
    if not same_name(payee.account_name, applicant_name):
        return "the account name is not the applicant's name"
    return None
