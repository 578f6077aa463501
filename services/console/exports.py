"""Lists written out as files, with no I/O: CSV (UTF-8 with a BOM, so that Excel reads the Chinese
right) and XLSX, each column headed in Chinese with English beside it. Money is exact: the APIs give
it as decimal strings, CSV keeps them as they are, and XLSX gets numeric cells from `Decimal` shown
with two decimals. A spreadsheet number holds 15 significant digits (openpyxl writes 16, through a
float): an amount needing more (ten trillion yuan or more, to the fen) is written as its exact text
rather than rounded."""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
MONEY_FORMAT = "#,##0.00"
EXACT_DIGITS = 15  # what a spreadsheet's number (an IEEE double) always holds exactly
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    money: bool = False

    @property
    def heading(self) -> str:
        return f"{self.zh} {self.en}"


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None


def _cell(column: Column, row: dict) -> Any:
    value = row.get(column.key)
    if column.money:
        return _money(value)
    text = "" if value is None else str(value)
    # Text an official typed (a reason) must never become a formula in a spreadsheet.
    return "'" + text if text[:1] in FORMULA_START else text


def csv_bytes(columns: Sequence[Column], rows: Iterable[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.heading for c in columns])
    for row in rows:
        cells = [_cell(c, row) for c in columns]
        writer.writerow(["" if v is None else f"{v:.2f}" if isinstance(v, Decimal) else v for v in cells])
    return ("\ufeff" + out.getvalue()).encode()


def _xlsx_cell(column: Column, row: dict) -> Any:
    value = _cell(column, row)
    if isinstance(value, Decimal) and len(value.normalize().as_tuple().digits) > EXACT_DIGITS:
        return f"{value:.2f}"
    return value


def xlsx_bytes(columns: Sequence[Column], rows: Iterable[dict], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([c.heading for c in columns])
    for row in rows:
        sheet.append([_xlsx_cell(c, row) for c in columns])  # openpyxl writes a Decimal as a number cell
    for index, column in enumerate(columns, start=1):
        if column.money:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = MONEY_FORMAT
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file(kind: str, columns: Sequence[Column], rows: list[dict], name: str) -> tuple[bytes, str, str]:
    """The file's bytes, its media type and its name (`name` with the kind's extension)."""
    if kind == "xlsx":
        return xlsx_bytes(columns, rows, name), XLSX, f"{name}.xlsx"
    return csv_bytes(columns, rows), CSV, f"{name}.csv"


APPLICATIONS = (
    Column("id", "申请编号", "Application id"),
    Column("clause", "条款", "Clause"),
    Column("credit_code", "统一社会信用代码", "Credit code"),
    Column("status", "状态", "Status"),
    Column("submitted_at", "提交时间", "Submitted at"),
    Column("updated_at", "更新时间", "Updated at"),
)

PAYOUTS = (
    Column("id", "拨付编号", "Payout id"),
    Column("award_id", "奖励编号", "Award id"),
    Column("attempt", "次数", "Attempt"),
    Column("application_id", "申请编号", "Application id"),
    Column("credit_code", "统一社会信用代码", "Credit code"),
    Column("clause", "条款", "Clause"),
    Column("year", "预算年度", "Budget year"),
    Column("amount", "金额（元）", "Amount (yuan)", money=True),
    Column("status", "状态", "Status"),
    Column("hold_reason", "暂缓原因", "Hold reason"),
    Column("reason_code", "银行退回代码", "Bank reason code"),
    Column("reason", "说明", "Reason"),
    Column("account", "收款账户（掩码）", "Account (masked)"),
    Column("requested_at", "申请拨付时间", "Requested at"),
    Column("expected_on", "预计到账", "Expected on"),
    Column("settled_on", "到账日期", "Settled on"),
    Column("bank_reference", "银行流水号", "Bank reference"),
)

LEDGER = (
    Column("year", "预算年度", "Budget year"),
    Column("clause", "条款", "Clause"),
    Column("budget", "预算", "Budget", money=True),
    Column("awarded", "已奖励", "Awarded", money=True),
    Column("cancelled", "已取消", "Cancelled", money=True),
    Column("awaiting_budget", "待预算", "Awaiting budget", money=True),
    Column("reserved", "预留", "Reserved", money=True),
    Column("paid", "已拨付", "Paid", money=True),
    Column("outstanding", "未拨付", "Outstanding", money=True),
    Column("recovered", "已追回", "Recovered", money=True),
    Column("available", "可用", "Available", money=True),
)
