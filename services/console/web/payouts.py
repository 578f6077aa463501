"""Payouts and budgets, through payout's API with the official's own key (finance and admins):
each budget line by year and clause, drawn as a bar and written out in a table; a form to set a
line's whole amount, which lets awards waiting for it go ahead; and the payouts, a page at a time, by
status, application or credit code, with why any is held. The list (every page of it) and the ledger's
report download as CSV or XLSX. Payout decides what may be done, and a refusal is shown with its reason."""

import asyncio
import uuid
from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console import budgets, exports, labels
from services.console.upstream import UpstreamRefused
from services.console.web import downloads
from services.console.web.applications import CREDIT_CODE
from services.console.web.deps import Money, console, form, key
from services.console.web.render import BEIJING
from services.console.web.rounds import CLAUSE

router = APIRouter(prefix="/payouts")
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


def _filters(request: Request, this_year: int, year_text: str | None = None) -> tuple[dict, list[tuple[str, str]]]:
    """Payout's query for the list's filters (year, status, application id, credit code), and what of
    them could not be understood."""
    q, problems = request.query_params, []
    year = _year(q.get("year", "") if year_text is None else year_text, this_year)
    status = q.get("status", "") if q.get("status", "") in labels.PAYOUT_STATUS else ""
    application = q.get("application", "").strip()
    try:
        application = str(uuid.UUID(application)) if application else ""
    except ValueError:
        problems.append(("申请编号格式有误。", "That is not an application id."))
        application = ""
    credit_code = q.get("credit_code", "").strip().upper()
    if credit_code and not CREDIT_CODE.fullmatch(credit_code):
        problems.append(("统一社会信用代码应为 18 位。", "A unified social credit code has 18 characters."))
        credit_code = ""
    return {"year": year, "status": status, "application_id": application, "credit_code": credit_code}, problems


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
    wanted, problems = _filters(request, this_year, year_text)
    year, size = wanted["year"], c.settings.console_page_size
    after = q.get("after", "")
    after = after if _is_id(after) else ""
    get = c.upstream.get
    report, lines, held, rejected, listed = await asyncio.gather(
        get("payout", "/v1/reports/budget", api_key, format="json"),
        get("payout", "/v1/budgets", api_key),
        get("payout", "/v1/payouts", api_key, status="held", year=year, limit=SUMMED),
        get("payout", "/v1/payouts", api_key, status="rejected", year=year, limit=SUMMED),
        get("payout", "/v1/payouts", api_key, **wanted, after=after, limit=size + 1),
    )
    keep = {
        "year": "all" if year is None else year,
        "status": wanted["status"],
        "application": wanted["application_id"],
        "credit_code": wanted["credit_code"],
    }
    keep = {k: v for k, v in keep.items() if v}
    shown = listed[:size]
    return c.pages.render(
        request,
        "payouts/page.html",
        status=problem.status if problem else 200,
        years=budgets.by_year(report, lines, held, rejected, year),
        year=year,
        known_years=sorted({r["year"] for r in report} | {this_year}, reverse=True),
        partial=len(held) >= SUMMED or len(rejected) >= SUMMED,
        payouts=shown,
        first_href=f"/payouts?{urlencode(keep)}#payouts" if after else None,
        next_href=f"/payouts?{urlencode(keep | {'after': shown[-1]['id']})}#payouts" if len(listed) > size else None,
        export_query=urlencode(keep),
        report_query=urlencode({"year": keep["year"]}),
        wanted={
            "status": wanted["status"],
            "application": wanted["application_id"],
            "credit_code": wanted["credit_code"],
        },
        problems=problems,
        problem=problem,
        entered=entered or {},
        done=_done(request),
        clauses=c.clauses,
    )


def _is_id(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


@router.get("")
async def show_payouts(request: Request, me: Money) -> Response:
    return await _page(request, me)


@router.get("/export")
async def export_payouts(request: Request, me: Money, format: str = "csv") -> Response:
    """Every payout the list's filters find (not only the page shown), as CSV or XLSX."""
    c = console(request)
    wanted, _ = _filters(request, datetime.now(BEIJING).year)
    rows = await downloads.payout_pages(c.upstream, key(request, me), wanted)
    return downloads.download(format, exports.PAYOUTS, rows, "payouts")


@router.get("/report")
async def export_report(request: Request, me: Money, format: str = "csv") -> Response:
    """The ledger's report (per year and clause: budget, awarded, cancelled, awaiting, reserved, paid,
    outstanding, recovered, available) for the year shown, as CSV or XLSX."""
    c = console(request)
    year = _year(request.query_params.get("year", ""), datetime.now(BEIJING).year)
    rows = await c.upstream.get("payout", "/v1/reports/budget", key(request, me), format="json", year=year)
    return downloads.download(format, exports.LEDGER, rows, f"ledger-report-{year or 'all'}")


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
