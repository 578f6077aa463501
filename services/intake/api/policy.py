"""The policy, for portals: what can be claimed, and what an application would get."""

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.intake.api.applications import _json_object, _read_capped
from services.intake.api.auth import AnyCaller
from shared.api_errors import invalid, responses
from shared.policy import InvalidApplication, catalogue
from shared.routes import Book

router = APIRouter(prefix="/v1", tags=["policy"])


class Reason(BaseModel):
    fact: str
    en: str
    zh: str


class Step(BaseModel):
    step: str = Field(description="the step in English (the same text as `en`)")
    article: str = Field(description="the article of the policy the step applies, e.g. 一（一）")
    en: str
    zh: str


class Grant(BaseModel):
    subject_key: str
    amount: str
    cap: str
    project_id: str | None


class Evaluation(BaseModel):
    clause: str
    outcome: Literal["eligible", "ineligible", "candidate"]
    amount: str
    reasons: list[Reason]
    trace: list[Step]
    grants: list[Grant]
    policy_version: str | None
    policy_hash: str | None
    year: int | None
    occurred_on: date | None


class Fact(BaseModel):
    name: str
    type: str
    description: str
    required: bool


class Clause(BaseModel):
    id: str
    article: str
    title_zh: str
    title_en: str
    summary_zh: str
    summary_en: str
    wording_zh: str
    applicant_kinds: list[str]
    facts: list[Fact]
    formula: dict[str, Any]
    policy_version: str
    policy_hash: str


@router.post("/evaluations", response_model=Evaluation, responses=responses(401, 413, 422, 429))
async def evaluate(request: Request, caller: AnyCaller, book: Book) -> Evaluation:
    """What this application would get under the policy in force on its date. Nothing is stored.

    The dry run knows the policy, not the applicant's earlier awards: a one-time subject already
    paid makes the real decision ineligible where this one is not."""
    document = _json_object(await _read_capped(request))
    try:
        application = book.parse(document)
    except InvalidApplication as e:
        raise invalid([f.to_json() for f in e.errors]) from None
    return Evaluation.model_validate(book.evaluate(application).to_json())


@router.get("/clauses", response_model=list[Clause])
async def clauses(book: Book) -> list[dict]:
    """Every claimable clause of the policy in force, in Chinese and English, with the facts to bring."""
    return catalogue(book)
