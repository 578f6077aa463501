"""Rounds, panels, reviews, ranking and objections: the officials' API. Roles: `admin` runs rounds and
decides objections; `reviewer` scores the candidates of rounds whose panel they sit on."""

from uuid import UUID

from fastapi import APIRouter, Request

from services.quota import objections, panel, rounds
from services.quota import read as reading
from services.quota.api.common import Admin, Official, Reviewer
from services.quota.api.schemas import (
    CandidateRead,
    ConflictIn,
    ConflictRead,
    Decision,
    ObjectionRead,
    PanelMember,
    RankedRead,
    ReviewIn,
    ReviewRead,
    RoundCreate,
    RoundRead,
    Transition,
)
from services.quota.domain.lifecycle import State
from shared.api_errors import concerns, responses
from shared.routes import act, read

router = APIRouter(prefix="/v1/rounds", tags=["rounds"])
ROUND = "/{clause}/{year}"
ERRORS = responses(400, 401, 403, 404, 409, 422, 429)


@router.post("", status_code=201, response_model=RoundRead, responses=ERRORS, openapi_extra=concerns("round"))
async def create_round(request: Request, caller: Admin, body: RoundCreate) -> dict:
    """**admin**. Opens the round of a selection clause for a year, with its quota from the policy."""
    row = await act(
        request,
        rounds.create,
        by=caller.partner_id,
        clause=body.clause,
        year=body.year,
        deadline=body.deadline,
        min_reviews=body.min_reviews,
        min_score=body.min_score,
        notice_working_days=body.notice_working_days,
        quota=body.quota,
    )
    return await read(request, reading.round_view, row)


@router.get("", response_model=list[RoundRead], responses=ERRORS)
async def list_rounds(request: Request, caller: Official) -> list[dict]:
    """**admin, reviewer**. Every round, newest year first."""
    return await read(request, reading.all_rounds)


@router.get(ROUND, response_model=RoundRead, responses=ERRORS)
async def get_round(request: Request, caller: Official, clause: str, year: int) -> dict:
    """**admin, reviewer**. The round, its panel, notices and every transition so far."""
    return await read(request, reading.one_round, clause, year)


@router.post(ROUND + "/transitions", response_model=RoundRead, responses=ERRORS, openapi_extra=concerns("state_change"))
async def move_round(request: Request, caller: Admin, clause: str, year: int, body: Transition) -> dict:
    """**admin**. Moves the round to its next state: open → closed → in_review → ranked → in_notice →
    concluded. Anything else, or a move whose conditions do not hold, is refused (409) with the reason."""
    row = await act(
        request, rounds.transition, clause, year, State(body.state), by=caller.partner_id, reason=body.reason
    )
    return await read(request, reading.round_view, row)


@router.put(ROUND + "/panel/{reviewer_id}", response_model=PanelMember, responses=ERRORS)
async def assign_reviewer(request: Request, caller: Admin, clause: str, year: int, reviewer_id: str) -> dict:
    """**admin**. Puts a reviewer (a partner holding a `reviewer` key) on the round's panel."""
    return (await act(request, panel.assign, clause, year, reviewer_id, by=caller.partner_id))._mapping


@router.get(
    ROUND + "/candidates", response_model=list[CandidateRead], response_model_exclude_unset=True, responses=ERRORS
)
async def list_candidates(request: Request, caller: Official, clause: str, year: int) -> list[dict]:
    """**admin, reviewer**. The round's candidates. Admins see review counts and recusals; a reviewer
    sees where their own review stands, and nothing of other reviewers'."""
    admin = caller.role == "admin"
    return await read(
        request, reading.candidate_list, clause, year, admin=admin, reviewer=None if admin else caller.partner_id
    )


@router.get(ROUND + "/candidates/{application_id}/reviews", response_model=list[ReviewRead], responses=ERRORS)
async def candidate_reviews(
    request: Request, caller: Official, clause: str, year: int, application_id: UUID
) -> list[dict]:
    """**admin**: every reviewer's scores for the candidate. **reviewer**: only their own."""
    return await read(
        request,
        reading.candidate_reviews,
        clause,
        year,
        application_id,
        None if caller.role == "admin" else caller.partner_id,
    )


@router.put(
    ROUND + "/candidates/{application_id}/conflict",
    response_model=ConflictRead,
    responses=ERRORS,
    openapi_extra=concerns("conflict_declaration"),
)
async def declare_conflict(
    request: Request, caller: Reviewer, clause: str, year: int, application_id: UUID, body: ConflictIn
) -> dict:
    """**reviewer**. Declares a conflict of interest with the candidate: you are recused from it, cannot
    score it, and any review you submitted for it stops counting."""
    return (
        await act(request, panel.declare_conflict, clause, year, application_id, caller.partner_id, body.reason)
    )._mapping


@router.put(
    ROUND + "/candidates/{application_id}/review",
    response_model=ReviewRead,
    responses=ERRORS,
    openapi_extra=concerns("review"),
)
async def save_review(
    request: Request, caller: Reviewer, clause: str, year: int, application_id: UUID, body: ReviewIn
) -> dict:
    """**reviewer**. Saves your review as a draft (`submit: false`, any number of times) or submits it
    (`submit: true`, every criterion scored 0–100, once: it cannot change afterwards)."""
    r = await act(
        request, panel.save_review, clause, year, application_id, caller.partner_id, body.scores, submit=body.submit
    )
    return {**r._mapping, "score": r.score and f"{r.score:.2f}"}


@router.get(ROUND + "/ranking", response_model=list[RankedRead], responses=ERRORS)
async def get_ranking(request: Request, caller: Admin, clause: str, year: int) -> list[dict]:
    """**admin**. The ranking, explained: score, then the clause's tie-break chain; who holds a slot."""
    return await read(request, reading.ranking, clause, year)


@router.get(ROUND + "/objections", response_model=list[ObjectionRead], responses=ERRORS)
async def list_objections(request: Request, caller: Admin, clause: str, year: int) -> list[dict]:
    """**admin**. Objections filed during the notice, with the objectors' names and contacts."""
    return await read(request, reading.objection_list, clause, year)


@router.post(
    ROUND + "/objections/{objection_id}/decision",
    response_model=ObjectionRead,
    responses=ERRORS,
    openapi_extra=concerns("objection_decision"),
)
async def decide_objection(
    request: Request, caller: Admin, clause: str, year: int, objection_id: UUID, body: Decision
) -> dict:
    """**admin**. Upholds an objection (the candidate is removed and the first on the waitlist is
    promoted, with a notice of its own) or dismisses it, with a written reason."""
    return (
        await act(
            request,
            objections.decide,
            clause,
            year,
            objection_id,
            upheld=body.decision == "upheld",
            reason=body.reason,
            by=caller.partner_id,
        )
    )._mapping
