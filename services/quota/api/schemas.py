"""What the quota API takes and gives: one family of schemas per resource."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_serializer,
)

from shared.events import RoundState
from shared.policy.money import Score

# Text is taken as sent, spaces included: its length is what the document says, counted as sent, and
# it must show something (one character that is neither a control nor a space).
_VISIBLE = r"[^\x00-\x20\x7f\u00a0\u3000]"
NoControl = rf"^[^\x00-\x1f\x7f]*{_VISIBLE}[^\x00-\x1f\x7f]*$"  # a line of text: no control characters at all
_PROSE = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
Prose = rf"^{_PROSE}*{_VISIBLE}{_PROSE}*$"  # text that may run over lines (\n, \r, \t allowed)


def _text(low: int, high: int, pattern: str = NoControl) -> StringConstraints:
    """Text of `low` to `high` characters as sent, matching `pattern`: `Annotated[str, _text(…)]`."""
    return StringConstraints(min_length=low, max_length=high, pattern=pattern)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- rounds ----


class RoundCreate(_In):
    # Which clauses are selections is the policy's to say: the document lists them (`docs.py`),
    # and a round of any other clause is refused (422 `not_a_selection`).
    clause: str = Field(max_length=64, description="A selection clause of the policy.")
    year: int = Field(ge=2000, le=2100)
    deadline: AwareDatetime = Field(description="Applications submitted after this are refused (ISO 8601 with offset).")
    min_reviews: int = Field(3, ge=1, le=50, description="Submitted, non-recused reviews each candidate needs.")
    min_score: Score = Field(Decimal(60), description="Nobody scoring below this is selected.")
    notice_working_days: int | None = Field(None, ge=1, le=30, description="Default: the policy's (5).")
    quota: int | None = Field(None, ge=1, description="Default and ceiling: the policy's quota.")

    # Its example is made when the document is, from the clock: a deadline that is still ahead (`docs.py`).
    model_config = ConfigDict(extra="forbid")


class Transition(_In):
    state: Literal["closed", "in_review", "ranked", "in_notice", "concluded"]
    reason: Annotated[str, _text(0, 500)] | Literal[""] = ""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"state": "in_review"}]})


class NoticeRead(BaseModel):
    id: UUID
    kind: Literal["initial", "promotion"]
    published_on: date
    ends_on: date


class TransitionRead(BaseModel):
    previous: str | None
    state: str
    by: str
    reason: str
    at: datetime


class RoundRead(BaseModel):
    id: UUID
    clause: str
    year: int
    quota: int
    deadline: datetime
    min_reviews: int
    min_score: Decimal
    notice_working_days: int
    state: RoundState
    panel: list[str]
    candidates: int
    notices: list[NoticeRead]
    history: list[TransitionRead]

    @field_serializer("min_score")
    def _score(self, v: Decimal) -> str:
        return f"{v:.2f}"


class PanelMember(BaseModel):
    reviewer_id: str
    assigned_by: str
    assigned_at: datetime


# ---- candidates, reviews ----


class CandidateRead(BaseModel):
    application_id: UUID
    credit_code: str
    applicant_name: str | None
    project: str | None
    amount: str
    indicators: dict[str, str]
    submitted_at: datetime
    standing: str
    rank: int | None
    score: str | None
    result: str | None = Field(None, description="Admins only: why it was refused, removed, selected or not.")
    reviews_submitted: int | None = Field(None, description="Admins only: submitted, non-recused reviews.")
    recused: list[str] | None = Field(None, description="Admins only: reviewers recused from it.")
    my_review: Literal["none", "draft", "submitted", "recused"] | None = Field(
        None, description="Reviewers only: where their own review stands."
    )


class ConflictIn(_In):
    reason: Annotated[str, _text(2, 500), Field(examples=["曾为该企业提供咨询服务 / advised this company in 2023"])]


class ConflictRead(BaseModel):
    application_id: UUID
    reviewer_id: str
    reason: str
    declared_at: datetime


class ReviewIn(_In):
    # Read as any JSON so that the rubric names each bad score (`scoring.check_scores`); the document
    # says what it takes.
    scores: dict[str, Any] = Field(
        description="criterion id → whole number 0–100, per the clause's rubric",
        json_schema_extra={"additionalProperties": {"type": "integer", "minimum": 0, "maximum": 100}},
    )
    submit: bool = Field(False, description="false saves a draft; true submits it, once and for all")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "scores": {"infrastructure": 82, "applications": 90, "industry_impact": 75, "sme_support": 70},
                    "submit": True,
                }
            ]
        },
    )


class ReviewRead(BaseModel):
    application_id: UUID
    reviewer_id: str
    scores: dict[str, Any]
    score: str | None
    status: Literal["draft", "submitted"]
    recused: bool = False
    updated_at: datetime
    submitted_at: datetime | None


class RankedRead(BaseModel):
    rank: int
    application_id: UUID
    applicant_name: str | None
    project: str | None
    score: str
    standing: str
    slot: int | None
    explanation_en: str
    explanation_zh: str


# ---- objections ----


_ADDRESS = r"[^@\x00-\x20\x7f]+"
CONTACT = rf"^(\+?[0-9][0-9 -]{{5,19}}|{_ADDRESS}@{_ADDRESS}\.{_ADDRESS})$"


def _reachable(contact: str) -> str:
    if not re.fullmatch(CONTACT, contact):
        raise ValueError("must be a phone number or an e-mail address")
    return contact


Contact = Annotated[
    str,
    StringConstraints(min_length=5, max_length=100),
    AfterValidator(_reachable),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 5,
            "maxLength": 100,
            "pattern": CONTACT,
            "description": "Phone or e-mail where you can be reached",
            "examples": ["13800000000"],
        }
    ),
]


class ObjectionIn(_In):
    application_id: UUID
    name: Annotated[str, _text(2, 50), Field(description="Your real name (实名)", examples=["张伟"])]
    contact: Contact
    reason: Annotated[
        str,
        _text(10, 2000, Prose),
        Field(
            description="What is wrong with this selection, and the evidence",
            examples=["该联盟链实际节点数不足 4 个，申报材料与事实不符。"],
        ),
    ]


class ObjectionFiled(BaseModel):
    id: UUID
    status: Literal["open"]
    filed_at: datetime


class ObjectionRead(BaseModel):
    id: UUID
    application_id: UUID
    name: str
    contact: str
    reason: str
    filed_at: datetime
    status: Literal["open", "upheld", "dismissed"]
    decided_by: str | None
    decision_reason: str | None
    decided_at: datetime | None


class Decision(_In):
    decision: Literal["upheld", "dismissed"]
    reason: Annotated[str, _text(5, 2000, Prose)]

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"decision": "upheld", "reason": "经核查，节点数仅 3 个，不符合入库条件。"}]},
    )


# ---- the public notice ----


class NoticeEntry(BaseModel):
    application_id: UUID
    rank: int
    applicant_name: str
    project: str | None
    score: str
    notice_ends_on: date
    under_objection: bool


class ResultEntry(BaseModel):
    rank: int
    applicant_name: str
    project: str | None


class PublicRound(BaseModel):
    clause: str
    year: int
    title_zh: str
    title_en: str
    quota: int
    state: Literal["in_notice", "concluded"]
    proposed: list[NoticeEntry]
    selected: list[ResultEntry]
