"""Routes translate HTTP to a call and back; the rules live in budgets, awards, clawbacks, reports."""

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select, tuple_

from services.payout import anchor, audit, awards, budgets, clawbacks, reports
from services.payout.api.common import Admin, Finance
from services.payout.api.schemas import (
    BudgetLine,
    BudgetSet,
    BudgetSetResult,
    Cancellation,
    Cancelled,
    Clawback,
    ClawbackCreate,
    LedgerBreak,
    LedgerVerification,
    PayoutRead,
)
from services.payout.tables import awards as award_rows
from services.payout.tables import clawbacks as clawback_rows
from services.payout.tables import payees, payouts
from shared.api_errors import concerns, json_response, responses
from shared.payee import mask
from shared.routes import act, read

router = APIRouter(prefix="/v1")
Year = Annotated[int, Path(ge=2000, le=2100, description="the budget year")]
YearFilter = Annotated[int | None, Query(ge=2000, le=2100)]
Clause = Annotated[str, Path(min_length=1, max_length=50)]


@router.put(
    "/budgets/{year}/{clause}",
    response_model=BudgetSetResult,
    tags=["budgets"],
    responses=responses(400, 401, 403, 409, 422, 429),
    openapi_extra=concerns("budget"),
)
async def set_budget(request: Request, caller: Finance, year: Year, clause: Clause, body: BudgetSet) -> BudgetSetResult:
    """Set a budget line (a year and a clause) to an amount. A cut below what is committed is refused
    (409 `budget_below_committed`); awards waiting for the line go ahead, in order, as far as it reaches."""
    return BudgetSetResult(**await act(request, budgets.set_budget, year, clause, body.amount, by=caller.partner_id))


@router.get("/budgets", response_model=list[BudgetLine], tags=["budgets"], responses=responses(401, 403, 429))
async def list_budgets(request: Request, _: Finance, year: YearFilter = None) -> list[BudgetLine]:
    """Every budget line: its amount, what is reserved, paid and left, and what waits for it."""
    return [BudgetLine(**line) for line in await read(request, budgets.lines, year=year)]


@router.get(
    "/reports/budget",
    tags=["reports"],
    responses=responses(401, 403, 422, 429)
    | {
        200: {
            "content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
            "headers": {
                "Ledger-Head": {
                    "description": "the ledger's head as of the report, signed (JSON: seq, hash, published_at, "
                    "key_id, mac): keep it, and `subsidy ledger verify --head` shows whether the book still holds it",
                    "schema": {"type": "string"},
                }
            },
        }
    },
)
async def budget_report(
    request: Request,
    _: Finance,
    year: YearFilter = None,
    format: Annotated[Literal["csv", "xlsx", "json"], Query()] = "csv",
) -> Response:
    """Per year and clause: budget, awarded, cancelled, awaiting budget, reserved, paid, outstanding,
    recovered (clawbacks recorded) and available, as CSV, XLSX or JSON; with the ledger's head as of
    the report in the `Ledger-Head` header (and on its own sheet in XLSX)."""

    async def report(session, ctx):
        return await reports.rows(session, year=year), await anchor.current(session, ctx)

    rows, head = await act(request, report)
    signed = {"Ledger-Head": reports.head_line(head)}
    if format == "json":
        return json_response([reports.as_json(r) for r in rows], headers=signed)
    name = f"subsidy-budget-{year or 'all'}.{format}"
    body, media = (
        (reports.csv_bytes(rows), "text/csv; charset=utf-8")
        if format == "csv"
        else (reports.xlsx_bytes(rows, head), reports.XLSX)
    )
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"', **signed})


@router.get(
    "/ledger/verification", response_model=LedgerVerification, tags=["reports"], responses=responses(401, 403, 429)
)
async def ledger_verification(request: Request, _: Finance) -> LedgerVerification:
    """The whole ledger replayed from genesis, as `subsidy ledger verify` does: the keyed hash chain,
    every transfer within the rules (so no budget ever overspent), each award reserved once, and the
    stored balances equal to their transfers. It reads every transfer: ask for it when you need it."""

    async def verify(session, ctx):
        return await audit.verify_ledger(session, ctx.key)

    found = await act(request, verify)
    problem = found.problem
    return LedgerVerification(
        transfers=found.rows,
        accounts=found.accounts,
        intact=problem is None,
        first_break=problem and LedgerBreak(where=problem.where, why=problem.why),
    )


@router.get("/payouts", response_model=list[PayoutRead], tags=["payouts"], responses=responses(401, 403, 422, 429))
async def list_payouts(
    request: Request,
    _: Finance,
    status: Annotated[str | None, Query(max_length=20)] = None,
    award_id: UUID | None = None,
    application_id: UUID | None = None,
    year: YearFilter = None,
    credit_code: Annotated[
        str | None, Query(max_length=18, description="the applicant's unified social credit code")
    ] = None,
    after: Annotated[
        UUID | None, Query(description="the last payout of the previous page: the page goes on after it")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[PayoutRead]:
    """Payouts, newest first, by status, award, application, credit code or budget year (the year of
    the line its award is charged to); paged by `after`, the last payout of the page before. Each says
    who last gave its application's bank details, and when."""
    query = (
        select(
            payouts,
            award_rows.c.year,
            payees.c.provided_by.label("payee_provided_by"),
            payees.c.provided_by_role.label("payee_provided_by_role"),
            payees.c.provided_at.label("payee_provided_at"),
        )
        .join(award_rows, award_rows.c.award_id == payouts.c.award_id)
        .outerjoin(payees, payees.c.application_id == payouts.c.application_id)
        .order_by(payouts.c.created_at.desc(), payouts.c.id.desc())
        .limit(limit)
    )
    for column, value in (
        (payouts.c.status, status),
        (payouts.c.award_id, award_id),
        (payouts.c.application_id, application_id),
        (payouts.c.credit_code, credit_code),
        (award_rows.c.year, year),
    ):
        if value is not None:
            query = query.where(column == value)
    if after is not None:  # keyset: a payout made meanwhile never shifts a page; an unknown one ends the list
        mark = select(payouts.c.created_at).where(payouts.c.id == after).scalar_subquery()
        query = query.where(tuple_(payouts.c.created_at, payouts.c.id) < tuple_(mark, after))

    async def fetch(session):
        return (await session.execute(query)).all()

    return [_payout(r) for r in await read(request, fetch)]


@router.post(
    "/awards/{award_id}/cancel",
    response_model=Cancelled,
    tags=["corrections"],
    responses=responses(400, 401, 403, 404, 409, 422, 429),
    openapi_extra=concerns("cancellation"),
)
async def cancel_award(request: Request, caller: Admin, award_id: UUID, body: Cancellation) -> Cancelled:
    """Cancel an award whose money has not left (awaiting budget, held, requested or rejected): its
    reservation is released. A payout with the finance system cannot be cancelled (409 `payout_in_flight`)."""
    return Cancelled(**await act(request, awards.cancel, award_id, reason=body.reason, by=caller.partner_id))


@router.post(
    "/awards/{award_id}/clawbacks",
    response_model=Clawback,
    status_code=201,
    tags=["corrections"],
    responses=responses(400, 401, 403, 404, 409, 422, 429)
    | {200: {"model": Clawback, "description": "recorded before"}},
    openapi_extra=concerns("clawback"),
)
async def record_clawback(
    request: Request, caller: Admin, award_id: UUID, body: ClawbackCreate, response: Response
) -> Clawback:
    """Record a clawback (after a failed performance review, 绩效评价, or fraud): a reversing entry and a
    receivable, never above what was paid and not yet clawed back (409 `exceeds_paid`). Idempotent by
    `key`: the same key and amount answers 200 with the clawback recorded before; another amount, 409."""
    row, created = await act(
        request, clawbacks.record, award_id, key=body.key, amount=body.amount, reason=body.reason, by=caller.partner_id
    )
    response.status_code = 201 if created else 200
    return Clawback(**row)


@router.get(
    "/awards/{award_id}/clawbacks",
    response_model=list[Clawback],
    tags=["corrections"],
    responses=responses(401, 403, 422, 429),
)
async def list_clawbacks(request: Request, _: Finance, award_id: UUID) -> list[Clawback]:
    """The award's clawbacks, oldest first: each amount, reason, who recorded it and when (none: an
    empty list, whether the award exists or not)."""
    query = select(clawback_rows).where(clawback_rows.c.award_id == award_id).order_by(clawback_rows.c.recorded_at)

    async def fetch(session):
        return (await session.execute(query)).all()

    return [Clawback(**r._mapping) for r in await read(request, fetch)]


def _payout(r) -> PayoutRead:
    return PayoutRead(
        **{k: v for k, v in r._mapping.items() if k in PayoutRead.model_fields},
        account=mask(r.account_number) if r.account_number else None,
    )
