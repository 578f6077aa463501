"""Annual selection rounds, through quota's API with the official's own key: quota decides what
each role sees (admins: every review, recusals, the ranking, objections; reviewers: their own
reviews) and what each may do. An action quota refuses is shown on the page with its reason."""

import re
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console import labels
from services.console.upstream import UpstreamRefused
from services.console.web import paging
from services.console.web.deps import Admin, Official, Reviewer, console, form, key

router = APIRouter(prefix="/rounds")
CLAUSE = re.compile(r"[0-9]+\.[0-9]+-[a-z0-9-]+")


def _round_path(clause: str, year: int) -> str:
    if not CLAUSE.fullmatch(clause):  # it goes into quota's URL: nothing that could change the path
        raise UpstreamRefused(404, "not_found", "没有这个条款。", "No such clause.")
    return f"/v1/rounds/{clause}/{year}"


def _done(request: Request) -> tuple[str, str] | None:
    return labels.DONE.get(request.query_params.get("done", ""))


def _criteria(request: Request, clause: str) -> list[dict[str, Any]]:
    found = console(request).clauses.get(clause) or {}
    return list(found.get("formula", {}).get("criteria", []))


def _selection_clauses(request: Request) -> dict[str, dict]:
    return {cid: c for cid, c in console(request).clauses.items() if c["formula"].get("kind") == "selection"}


# ---- every round ----


async def _rounds_page(
    request: Request, me, *, problem: UpstreamRefused | None = None, entered: dict | None = None
) -> Response:
    c = console(request)
    rounds = paging.page(request, await c.upstream.get("quota", "/v1/rounds", key(request, me)), "/rounds")
    return c.pages.render(
        request,
        "rounds/list.html",
        status=problem.status if problem else 200,
        rounds=rounds.items,
        listed=rounds,
        done=_done(request),
        problem=problem,
        entered=entered or {},
        selections=_selection_clauses(request),
    )


@router.get("")
async def list_rounds(request: Request, me: Official) -> Response:
    return await _rounds_page(request, me)


@router.post("")
async def open_round(request: Request, me: Admin) -> Response:
    fields = await form(request, me)
    deadline = fields.get("deadline", "")
    body = {
        "clause": fields.get("clause", ""),
        "year": fields.get("year", ""),
        # a datetime-local input: Beijing time
        "deadline": f"{deadline}:00+08:00" if len(deadline) == 16 else deadline,
        "min_reviews": fields.get("min_reviews") or 3,
        "min_score": fields.get("min_score") or "60",
    }
    try:
        made = await console(request).upstream.call("quota", "POST", "/v1/rounds", key(request, me), json=body)
    except UpstreamRefused as refused:
        return await _rounds_page(request, me, problem=refused, entered=fields)
    return RedirectResponse(f"/rounds/{made['clause']}/{made['year']}?done=created", status_code=303)


# ---- one round ----


async def _round_page(
    request: Request, me, clause: str, year: int, *, problem: UpstreamRefused | None = None
) -> Response:
    c, api_key = console(request), key(request, me)
    found = await c.upstream.get("quota", _round_path(clause, year), api_key)
    candidates = await c.upstream.get("quota", _round_path(clause, year) + "/candidates", api_key)
    shown = paging.page(request, candidates, f"/rounds/{clause}/{year}", anchor="#candidates")
    return c.pages.render(
        request,
        "rounds/round.html",
        status=problem.status if problem else 200,
        round=found,
        candidates=shown.items,
        listed=shown,
        clause=c.clauses.get(clause),
        problem=problem,
        done=_done(request),
        next_state=labels.NEXT_STATE.get(found["state"]),
        public_page=c.settings.endpoint("quota").url + "/notices",
    )


@router.get("/{clause}/{year}")
async def show_round(request: Request, me: Official, clause: str, year: int) -> Response:
    return await _round_page(request, me, clause, year)


@router.post("/{clause}/{year}/transitions")
async def move_round(request: Request, me: Admin, clause: str, year: int) -> Response:
    fields = await form(request, me)
    try:
        await console(request).upstream.call(
            "quota",
            "POST",
            _round_path(clause, year) + "/transitions",
            key(request, me),
            json={"state": fields.get("state", ""), "reason": fields.get("reason", "").strip()},
        )
    except UpstreamRefused as refused:
        return await _round_page(request, me, clause, year, problem=refused)
    return RedirectResponse(f"/rounds/{clause}/{year}?done=moved", status_code=303)


@router.post("/{clause}/{year}/panel")
async def assign_reviewer(request: Request, me: Admin, clause: str, year: int) -> Response:
    fields = await form(request, me)
    reviewer = fields.get("reviewer", "").strip()
    try:
        if not reviewer:
            raise UpstreamRefused(422, "missing", "请填写评审专家的账户名。", "Name the reviewer's account.")
        await console(request).upstream.call(
            "quota", "PUT", _round_path(clause, year) + f"/panel/{quote(reviewer, safe='')}", key(request, me)
        )
    except UpstreamRefused as refused:
        return await _round_page(request, me, clause, year, problem=refused)
    return RedirectResponse(f"/rounds/{clause}/{year}?done=assigned", status_code=303)


# ---- one candidate: reviews, conflicts ----


async def _candidate_page(
    request: Request,
    me,
    clause: str,
    year: int,
    application_id: uuid.UUID,
    *,
    problem: UpstreamRefused | None = None,
    entered: dict | None = None,
) -> Response:
    c, api_key = console(request), key(request, me)
    path = _round_path(clause, year)
    found = await c.upstream.get("quota", path, api_key)
    listed = await c.upstream.get("quota", path + "/candidates", api_key)
    candidate = next((x for x in listed if x["application_id"] == str(application_id)), None)
    if candidate is None:
        raise UpstreamRefused(404, "not_found", "该轮次中没有此候选对象。", "No such candidate in this round.")
    reviews = await c.upstream.get("quota", f"{path}/candidates/{application_id}/reviews", api_key)
    mine = next((r for r in reviews if r["reviewer_id"] == me.account), None)
    return c.pages.render(
        request,
        "rounds/candidate.html",
        status=problem.status if problem else 200,
        round=found,
        candidate=candidate,
        reviews=reviews,
        mine=mine,
        criteria=_criteria(request, clause),
        problem=problem,
        done=_done(request),
        entered=entered or {},
    )


@router.get("/{clause}/{year}/candidates/{application_id}")
async def show_candidate(request: Request, me: Official, clause: str, year: int, application_id: uuid.UUID) -> Response:
    return await _candidate_page(request, me, clause, year, application_id)


@router.post("/{clause}/{year}/candidates/{application_id}/review")
async def save_review(request: Request, me: Reviewer, clause: str, year: int, application_id: uuid.UUID) -> Response:
    fields = await form(request, me)
    submit = fields.get("action") == "submit"
    scores: dict[str, Any] = {}
    for criterion in _criteria(request, clause):
        given = fields.get(f"score-{criterion['id']}", "").strip()
        if given:
            scores[criterion["id"]] = int(given) if given.isdigit() else given  # quota says what is wrong
    try:
        await console(request).upstream.call(
            "quota",
            "PUT",
            f"{_round_path(clause, year)}/candidates/{application_id}/review",
            key(request, me),
            json={"scores": scores, "submit": submit},
        )
    except UpstreamRefused as refused:
        return await _candidate_page(request, me, clause, year, application_id, problem=refused, entered=fields)
    done = "review_submitted" if submit else "draft_saved"
    return RedirectResponse(f"/rounds/{clause}/{year}/candidates/{application_id}?done={done}", status_code=303)


@router.post("/{clause}/{year}/candidates/{application_id}/conflict")
async def declare_conflict(
    request: Request, me: Reviewer, clause: str, year: int, application_id: uuid.UUID
) -> Response:
    fields = await form(request, me)
    try:
        await console(request).upstream.call(
            "quota",
            "PUT",
            f"{_round_path(clause, year)}/candidates/{application_id}/conflict",
            key(request, me),
            json={"reason": fields.get("reason", "")},
        )
    except UpstreamRefused as refused:
        return await _candidate_page(request, me, clause, year, application_id, problem=refused, entered=fields)
    return RedirectResponse(f"/rounds/{clause}/{year}/candidates/{application_id}?done=recused", status_code=303)


# ---- ranking and objections (admins) ----


@router.get("/{clause}/{year}/ranking")
async def show_ranking(request: Request, me: Admin, clause: str, year: int) -> Response:
    c, api_key = console(request), key(request, me)
    found = await c.upstream.get("quota", _round_path(clause, year), api_key)
    ranking = await c.upstream.get("quota", _round_path(clause, year) + "/ranking", api_key)
    shown = paging.page(request, ranking, f"/rounds/{clause}/{year}/ranking")
    return c.pages.render(request, "rounds/ranking.html", round=found, ranking=shown.items, listed=shown)


async def _objections_page(
    request: Request, me, clause: str, year: int, *, problem: UpstreamRefused | None = None
) -> Response:
    c, api_key = console(request), key(request, me)
    found = await c.upstream.get("quota", _round_path(clause, year), api_key)
    objections = await c.upstream.get("quota", _round_path(clause, year) + "/objections", api_key)
    listed = await c.upstream.get("quota", _round_path(clause, year) + "/candidates", api_key)
    names = {x["application_id"]: x.get("applicant_name") or x["credit_code"] for x in listed}
    shown = paging.page(request, objections, f"/rounds/{clause}/{year}/objections")
    return c.pages.render(
        request,
        "rounds/objections.html",
        status=problem.status if problem else 200,
        round=found,
        objections=shown.items,
        listed=shown,
        names=names,
        problem=problem,
        done=_done(request),
    )


@router.get("/{clause}/{year}/objections")
async def show_objections(request: Request, me: Admin, clause: str, year: int) -> Response:
    return await _objections_page(request, me, clause, year)


@router.post("/{clause}/{year}/objections/{objection_id}/decision")
async def decide_objection(request: Request, me: Admin, clause: str, year: int, objection_id: uuid.UUID) -> Response:
    fields = await form(request, me)
    decision = fields.get("decision", "")
    try:
        await console(request).upstream.call(
            "quota",
            "POST",
            f"{_round_path(clause, year)}/objections/{objection_id}/decision",
            key(request, me),
            json={"decision": decision, "reason": fields.get("reason", "")},
        )
    except UpstreamRefused as refused:
        return await _objections_page(request, me, clause, year, problem=refused)
    done = "upheld" if decision == "upheld" else "dismissed"
    return RedirectResponse(f"/rounds/{clause}/{year}/objections?done={done}", status_code=303)
