"""Applications, read from intake's API with the official's key: a list with filters, search by
credit code or id (the list downloads whole as CSV or XLSX), and one application with its timeline
and the decision explained clause by clause. An admin may withdraw an application there (intake's
`POST /v1/applications/{id}/withdrawal`, with the official's own key, so intake's rules apply and
the official is recorded as who withdrew it); it cannot be undone, so the form must be confirmed."""

import re
import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console import explanation, labels
from services.console.exports import APPLICATIONS
from services.console.upstream import UpstreamRefused
from services.console.web import downloads
from services.console.web.deps import Admin, Official, console, form, key

router = APIRouter(prefix="/applications")
CREDIT_CODE = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{18}")
# Statuses after which intake refuses a withdrawal (or it was withdrawn): the form is not offered.
NOT_WITHDRAWABLE = frozenset(
    {
        "ineligible",
        "not_selected",
        "removed",
        "recognized",
        "paid",
        "payout_cancelled",
        "clawback_recorded",
        "withdrawn",
    }
)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _query(request: Request) -> dict[str, str]:
    q = request.query_params
    return {name: q.get(name, "").strip()[:100] for name in ("q", "clause", "status", "from", "to", "cursor")}


def _search(c, wanted: dict[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Intake's query for what the official asked, and what of it could not be understood."""
    problems = []
    search = wanted["q"]
    credit_code = search.upper() if search else ""
    if credit_code and not CREDIT_CODE.fullmatch(credit_code):
        problems.append(
            (
                "请输入申请编号或 18 位统一社会信用代码。",
                "Search by an application id or an 18-character unified social credit code.",
            )
        )
        credit_code = ""
    start, end = _day(wanted["from"]), _day(wanted["to"])
    for _field, value, parsed in (("from", wanted["from"], start), ("to", wanted["to"], end)):
        if value and parsed is None:
            problems.append((f"日期格式应为 YYYY-MM-DD：{value}", f"dates are YYYY-MM-DD: {value}"))
    params: dict[str, Any] = {
        "clause": wanted["clause"] if wanted["clause"] in c.clauses else None,
        "status": wanted["status"] if wanted["status"] in labels.APPLICATION_STATUS else None,
        "credit_code": credit_code or None,
        # Days are Beijing days; the API takes instants, `to` exclusive.
        "submitted_from": f"{start.isoformat()}T00:00:00+08:00" if start else None,
        "submitted_to": f"{(end + timedelta(days=1)).isoformat()}T00:00:00+08:00" if end else None,
    }
    return params, problems


def _as_id(search: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(search) if search else None
    except ValueError:
        return None


@router.get("")
async def list_applications(request: Request, me: Official) -> Response:
    c, wanted = console(request), _query(request)
    found = _as_id(wanted["q"])
    if found:
        return RedirectResponse(f"/applications/{found}", status_code=303)
    params, problems = _search(c, wanted)
    params |= {"cursor": wanted["cursor"] or None, "limit": c.settings.console_page_size}
    page = await c.upstream.get("intake", "/v1/applications", key(request, me), **params)
    keep = {k: v for k, v in wanted.items() if k != "cursor" and v}
    first_href = f"/applications?{urlencode(keep)}" if wanted["cursor"] else None
    next_href = f"/applications?{urlencode(keep | {'cursor': page['next_cursor']})}" if page["next_cursor"] else None
    return c.pages.render(
        request,
        "applications/list.html",
        items=page["items"],
        first_href=first_href,
        next_href=next_href,
        export_query=urlencode(keep),
        wanted=wanted,
        problems=problems,
        clauses=c.clauses,
    )


@router.get("/export")
async def export_applications(request: Request, me: Official, format: str = "csv") -> Response:
    """Every application the list's filters and search find (not only the page shown), as CSV or XLSX."""
    c, wanted, api_key = console(request), _query(request), key(request, me)
    found = _as_id(wanted["q"])
    if found:  # one application, when the search is its id
        one = await c.upstream.get("intake", f"/v1/applications/{found}", api_key)
        rows = [{column.key: one[column.key] for column in APPLICATIONS}]
    else:
        params, _ = _search(c, wanted)
        rows = await downloads.intake_pages(c.upstream, api_key, params)
    return downloads.download(format, APPLICATIONS, rows, "applications")


def _unconfirmed() -> UpstreamRefused:
    return UpstreamRefused(
        422,
        "not_confirmed",
        "此操作不可撤销：请勾选确认后再提交。",
        "This cannot be undone: tick the confirmation, then submit.",
        [{"field": "confirm", "message_zh": "请勾选确认", "message_en": "tick to confirm"}],
    )


async def _page(
    request: Request,
    me,
    application_id: uuid.UUID,
    *,
    problem: UpstreamRefused | None = None,
    entered: dict | None = None,
) -> Response:
    c = console(request)
    found = await c.upstream.get("intake", f"/v1/applications/{application_id}", key(request, me))
    clause = c.clauses.get(found["clause"])
    withdrawn = any(s["status"] == "withdrawn" for s in found["timeline"])
    return c.pages.render(
        request,
        "applications/detail.html",
        status=problem.status if problem else 200,
        app=found,
        clause=clause,
        decision=explanation.of(found["timeline"]),
        facts=explanation.facts(found["application"]),
        withdrawable=not withdrawn and found["status"] not in NOT_WITHDRAWABLE,
        problem=problem,
        entered=entered or {},
        done=labels.DONE.get(request.query_params.get("done", "")),
    )


@router.get("/{application_id}")
async def show_application(request: Request, me: Official, application_id: uuid.UUID) -> Response:
    return await _page(request, me, application_id)


@router.post("/{application_id}/withdrawal")
async def withdraw_application(request: Request, me: Admin, application_id: uuid.UUID) -> Response:
    fields = await form(request, me)
    try:
        if fields.get("confirm") != "yes":
            raise _unconfirmed()
        await console(request).upstream.call(
            "intake",
            "POST",
            f"/v1/applications/{application_id}/withdrawal",
            key(request, me),
            json={"reason": fields.get("reason", "").strip()},
        )
    except UpstreamRefused as refused:
        return await _page(request, me, application_id, problem=refused, entered=fields)
    return RedirectResponse(f"/applications/{application_id}?done=application_withdrawn", status_code=303)
