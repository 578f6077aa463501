"""Reports for finance: per year and clause, what was budgeted, awarded, cancelled, waits for budget,
is reserved, paid, outstanding (awarded, not paid, not cancelled), recovered (clawbacks recorded)
and still available — as CSV (stdlib) and XLSX (openpyxl). Each report carries the ledger's head as
of it (domain/chain.py): a sheet of its own in XLSX, the `Ledger-Head` header of the API's answer,
a line on the command's stderr; whoever keeps it can later show the ledger was not cut back."""

import csv
import io
import json
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.payout import anchor
from services.payout.domain.chain import Head
from services.payout.tables import SCHEMA

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (
    "year",
    "clause",
    "budget",
    "awarded",
    "cancelled",
    "awaiting_budget",
    "reserved",
    "paid",
    "outstanding",
    "recovered",
    "available",
)
MONEY = COLUMNS[2:]

_REPORT = text(f"""
    WITH lines AS (SELECT year, clause FROM {SCHEMA}.budgets UNION SELECT year, clause FROM {SCHEMA}.awards),
    a AS (SELECT year, clause, sum(amount) AS awarded,
                 sum(amount) FILTER (WHERE state = 'cancelled') AS cancelled,
                 sum(amount) FILTER (WHERE state = 'awaiting_budget') AS awaiting_budget,
                 sum(amount) FILTER (WHERE state = 'reserved') AS reserved,
                 sum(amount) FILTER (WHERE state = 'paid') AS paid
            FROM {SCHEMA}.awards GROUP BY year, clause),
    c AS (SELECT a.year, a.clause, sum(c.amount) AS recovered
            FROM {SCHEMA}.clawbacks c JOIN {SCHEMA}.awards a USING (award_id) GROUP BY a.year, a.clause)
    SELECT lines.year, lines.clause, coalesce(b.amount, 0) AS budget, coalesce(a.awarded, 0) AS awarded,
           coalesce(a.cancelled, 0) AS cancelled, coalesce(a.awaiting_budget, 0) AS awaiting_budget,
           coalesce(a.reserved, 0) AS reserved, coalesce(a.paid, 0) AS paid,
           coalesce(a.awaiting_budget, 0) + coalesce(a.reserved, 0) AS outstanding,
           coalesce(c.recovered, 0) AS recovered,
           coalesce(b.amount, 0) - coalesce(a.reserved, 0) - coalesce(a.paid, 0) AS available
      FROM lines
      LEFT JOIN {SCHEMA}.budgets b USING (year, clause)
      LEFT JOIN a USING (year, clause)
      LEFT JOIN c USING (year, clause)
     WHERE CAST(:year AS integer) IS NULL OR lines.year = :year
     ORDER BY lines.year, lines.clause
""")


async def rows(session: AsyncSession, *, year: int | None = None) -> list[dict]:
    return [dict(r._mapping) for r in await session.execute(_REPORT, {"year": year})]


def as_json(row: dict) -> dict:
    return {k: (f"{v:.2f}" if isinstance(v, Decimal) else v) for k, v in row.items()}


def csv_bytes(report: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in report:
        writer.writerow([f"{r[c]:.2f}" if c in MONEY else r[c] for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode()  # a BOM, so that Excel reads the clause ids right


def head_line(head: Head) -> str:
    """The head as one line of JSON (what `subsidy ledger verify --head FILE` reads)."""
    return json.dumps(anchor.as_json(head), separators=(",", ":"))


def xlsx_bytes(report: list[dict], head: Head | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "budget"
    sheet.append(COLUMNS)
    for r in report:
        # Exact decimals: openpyxl writes a Decimal as a number cell; two decimals shown.
        sheet.append([r[c] for c in COLUMNS])
    for row in sheet.iter_rows(min_row=2, min_col=3, max_col=len(COLUMNS)):
        for cell in row:
            cell.number_format = "#,##0.00"
    if head is not None:
        kept = book.create_sheet("ledger head")
        for name, value in anchor.as_json(head).items():
            kept.append([name, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
