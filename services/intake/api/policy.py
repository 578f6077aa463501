"""The policy, for portals: what can be claimed, what an application would get, and which clauses an
applicant may claim from what is known of it."""

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.intake.api.applications import _json_object, _read_capped
from services.intake.api.auth import AnyCaller
from shared.api_errors import ApiError, concerns, invalid, responses
from shared.policy import InvalidApplication, catalogue
from shared.policy.matching import NoPolicyInForce
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


class ClauseMatch(BaseModel):
    clause: str
    title_zh: str
    title_en: str
    status: Literal["eligible", "possibly", "not_eligible"] = Field(
        description="`eligible`: every fact the clause needs is known and the decision on them is eligible "
        "(for a selection: admitted as a candidate); `possibly`: no known fact fails the clause but some it "
        "needs are missing (`missing`); `not_eligible`: the applicant's kind or a known fact fails it (`reasons`)"
    )
    amount: str | None = Field(
        pattern=r"^[0-9]+\.[0-9]{2}$",
        description="yuan, two decimals, wherever the known facts determine it (for a selection: what it "
        "receives if selected); null when not eligible or not yet determined",
    )
    missing: list[str] = Field(description="facts the clause needs that were not given, in the clause's order")
    reasons: list[Reason] = Field(description="why not eligible, in both languages")
    selection: bool = Field(description="awarded by an annual competitive selection rather than directly")


class MatchResult(BaseModel):
    policy_version: str = Field(description="the version in force on `as_of`, whose clauses are matched")
    as_of: date
    matches: list[ClauseMatch] = Field(
        description="one per clause of the version, best first: eligible by amount (largest first), then "
        "possibly (by amount where known), then not eligible"
    )


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


@router.post(
    "/evaluations",
    response_model=Evaluation,
    responses=responses(401, 413, 422, 429),
    openapi_extra=concerns("application"),
)
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


@router.post(
    "/matches", response_model=MatchResult, responses=responses(401, 413, 422, 429), openapi_extra=concerns("match")
)
async def match(request: Request, caller: AnyCaller, book: Book) -> MatchResult:
    """Which clauses this applicant may claim (政策找企业), from whatever facts are known of it.
    Nothing is stored.

    Every clause of the version in force on `as_of` is judged on the facts it declares: `eligible`
    with its amount, `possibly` with the facts still missing, or `not_eligible` with the reasons.
    Facts are named as the clauses name them (`GET /v1/clauses`), each of its declared type; a fact
    no clause declares is refused. The applicant's history is not consulted: a one-time subject
    already awarded is refused by the real decision, not here. A day no version is in force on is
    refused (422, `no_policy_in_force`)."""
    document = _json_object(await _read_capped(request))
    try:
        asked = book.parse_match(document)
    except InvalidApplication as e:
        raise invalid([f.to_json() for f in e.errors]) from None
    try:
        found = book.match(asked)
    except NoPolicyInForce as e:
        field = {"field": "as_of", "code": "no_policy_in_force", "message_en": e.message_en, "message_zh": e.message_zh}
        raise ApiError(422, "no_policy_in_force", e.message_en, e.message_zh, [field]) from None
    return MatchResult.model_validate(found.to_json())


@router.get("/clauses", response_model=list[Clause])
async def clauses(book: Book) -> list[dict]:
    """Every claimable clause of the policy in force, in Chinese and English, with the facts to bring."""
    return catalogue(book)
