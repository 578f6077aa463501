"""Payouts and budgets, through payout's API with the official's own key (finance and admins):
each budget line by year and clause, drawn as a bar and written out in a table; a form to set a
line's whole amount, which lets awards waiting for it go ahead; and the payouts, by status, with
why any is held. Payout decides what may be done, and a refusal is shown with its reason."""

import asyncio
import uuid
from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console import budgets, labels
from services.console.upstream import UpstreamRefused
from services.console.web.deps import Money, console, form, key
from services.console.web.render import BEIJING
from services.console.web.rounds import CLAUSE

router = APIRouter(prefix="/payouts")
LISTED = 100  # payouts listed, newest first
SUMMED = 1000  # held or rejected payouts summed per line: payout's most in one answer


def _year(text: str, this_year: int) -> int | None:
    """The year asked for: this one by default, None for every year."""
    if text == "all":
        return None
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else this_year


def _done(request: Request) -> tuple[str, str] | None:
    q = request.query_params
    if q.get("done") != "budget_set" or not CLAUSE.fullmatch(q.get("clause", "")) or not q.get("year", "").isdigit():
        return None
    line, released_text = f"{q['year']} {q['clause']}", q.get("released", "")
    released = int(released_text) if released_text.isdigit() else 0
    return (
        f"{line} 预算已设定；{released} 项等待预算的奖励已继续拨付。",
        f"The {line} budget was set; {released} award(s) waiting for it went ahead.",
    )


async def _page(
    request: Request,
    me,
    *,
    year_text: str | None = None,
    problem: UpstreamRefused | None = None,
    entered: dict | None = None,
) -> Response:
    c, api_key, q = console(request), key(request, me), request.query_params
    this_year = datetime.now(BEIJING).year
    year = _year(q.get("year", "") if year_text is None else year_text, this_year)
    status = q.get("status", "") if q.get("status", "") in labels.PAYOUT_STATUS else ""
    problems = []
    application = q.get("application", "").strip()
    try:
        application = str(uuid.UUID(application)) if application else ""
    except ValueError:
        problems.append(("申请编号格式有误。", "That is not an application id."))
        application = ""
    get = c.upstream.get
    report, lines, held, rejected, listed = await asyncio.gather(
        get("payout", "/v1/reports/budget", api_key, format="json"),
        get("payout", "/v1/budgets", api_key),
        get("payout", "/v1/payouts", api_key, status="held", year=year, limit=SUMMED),
        get("payout", "/v1/payouts", api_key, status="rejected", year=year, limit=SUMMED),
        get("payout", "/v1/payouts", api_key, status=status, year=year, application_id=application, limit=LISTED),
    )
    return c.pages.render(
        request,
        "payouts/page.html",
        status=problem.status if problem else 200,
        years=budgets.by_year(report, lines, held, rejected, year),
        year=year,
        known_years=sorted({r["year"] for r in report} | {this_year}, reverse=True),
        partial=len(held) >= SUMMED or len(rejected) >= SUMMED,
        payouts=listed,
        more=len(listed) >= LISTED,
        wanted={"status": status, "application": application},
        problems=problems,
        problem=problem,
        entered=entered or {},
        done=_done(request),
        clauses=c.clauses,
    )


@router.get("")
async def show_payouts(request: Request, me: Money) -> Response:
    return await _page(request, me)


@router.post("/budgets/{year}/{clause}")
async def set_budget(request: Request, me: Money, year: int, clause: str) -> Response:
    """Sets the line's whole amount (not an increment), as `PUT /v1/budgets/{year}/{clause}` does."""
    fields = await form(request, me)
    if not CLAUSE.fullmatch(clause):  # it goes into payout's URL: nothing that could change the path
        raise UpstreamRefused(404, "not_found", "没有这个条款。", "No such clause.")
    typed = fields.get("amount", "")
    try:
        done = await console(request).upstream.call(
            "payout",
            "PUT",
            f"/v1/budgets/{year}/{clause}",
            key(request, me),
            json={"amount": budgets.typed_amount(typed)},
        )
    except UpstreamRefused as refused:
        return await _page(
            request, me, year_text=str(year), problem=refused, entered={"line": f"{year}-{clause}", "amount": typed}
        )
    query = urlencode({"year": year, "done": "budget_set", "clause": clause, "released": done["released"]})
    return RedirectResponse(f"/payouts?{query}", status_code=303)
