"""Budget lines as the finance department reads them, with no I/O: per year and clause, payout's
report (budget, reserved, paid, recovered, available, awaiting budget) with the payouts held and
rejected added, and a bar for each line. Money stays Decimal from the API's strings to the bar's
widths, never a float: the bar must agree with the table to the cent it can show."""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

ZERO = Decimal("0.00")
WIDTH = Decimal(1000)  # a bar's length in its SVG's own units
STEP = Decimal("0.1")  # a tenth of a unit: finer than any screen shows


@dataclass(frozen=True)
class Segment:
    kind: str  # paid, reserved, available, awaiting
    amount: Decimal
    x: Decimal
    width: Decimal


@dataclass
class Line:
    year: int
    clause: str
    budget: Decimal
    reserved: Decimal
    paid: Decimal
    recovered: Decimal
    available: Decimal
    awaiting: Decimal  # the amount of the awards waiting for this line
    waiting: int = 0  # how many awards that is
    held: Decimal = ZERO  # part of `reserved`: payouts held (no or bad bank details)
    rejected: Decimal = ZERO  # part of `reserved`: payouts the bank returned
    updated_at: str | None = None
    updated_by: str | None = None

    @property
    def key(self) -> str:
        return f"{self.year}-{self.clause}"

    def bar(self) -> list[Segment]:
        """Paid, reserved and available make the budget; what waits for it goes on beyond it. Each
        bar is its own line's length: a line of 300,000 and one of 50,000,000 both read at a glance."""
        parts = [
            ("paid", self.paid),
            ("reserved", self.reserved),
            ("available", self.available),
            ("awaiting", self.awaiting),
        ]
        whole = sum((max(a, ZERO) for _, a in parts), ZERO)
        if whole <= 0:
            return []
        segments, before, x = [], ZERO, Decimal("0.0")
        for kind, amount in parts:
            amount = max(amount, ZERO)
            before += amount
            # Each end from the running sum, so the widths add up to the whole bar exactly.
            end = (before / whole * WIDTH).quantize(STEP)
            segments.append(Segment(kind, amount, x, end - x))
            x = end
        return segments

    @property
    def budget_end(self) -> Decimal:
        """Where the budget ends on the bar (short of its end when awards wait beyond it)."""
        return sum((s.width for s in self.bar() if s.kind != "awaiting"), Decimal("0.0"))

    @property
    def used_percent(self) -> Decimal | None:
        """Paid and reserved, as a share of the budget; None for a line without one."""
        if self.budget <= 0:
            return None
        return ((self.paid + self.reserved) / self.budget * 100).quantize(STEP)


@dataclass
class Year:
    year: int
    lines: list[Line] = field(default_factory=list)

    def total(self, name: str) -> Decimal:
        return sum((getattr(line, name) for line in self.lines), ZERO)


def _money(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else ZERO


def by_year(
    report: Iterable[dict],
    budget_lines: Iterable[dict],
    held: Iterable[dict],
    rejected: Iterable[dict],
    year: int | None = None,
) -> list[Year]:
    """Payout's report rows (`/v1/reports/budget?format=json`) with each line's waiting count and
    last change (`/v1/budgets`) and its held and rejected payouts (`/v1/payouts`), newest year first."""
    known = {(b["year"], b["clause"]): b for b in budget_lines}
    sums: dict[str, dict[tuple[int | None, str], Decimal]] = {"held": {}, "rejected": {}}
    for name, payouts in (("held", held), ("rejected", rejected)):
        for p in payouts:
            where = (p.get("year"), p["clause"])  # a payout from before payouts told their year: no line
            sums[name][where] = sums[name].get(where, ZERO) + _money(p["amount"])
    years: dict[int, Year] = {}
    for r in report:
        if year is not None and r["year"] != year:
            continue
        where, b = (r["year"], r["clause"]), known.get((r["year"], r["clause"]), {})
        years.setdefault(r["year"], Year(r["year"])).lines.append(
            Line(
                r["year"],
                r["clause"],
                _money(r["budget"]),
                _money(r["reserved"]),
                _money(r["paid"]),
                _money(r["recovered"]),
                _money(r["available"]),
                _money(r["awaiting_budget"]),
                b.get("awaiting_budget", 0),
                sums["held"].get(where, ZERO),
                sums["rejected"].get(where, ZERO),
                b.get("updated_at"),
                b.get("updated_by"),
            )
        )
    return [years[y] for y in sorted(years, reverse=True)]


def typed_amount(text: str) -> str:
    """An amount as a person types it (`1,000,000`, full-width `３００，０００`, `300000.00 元`) made the
    decimal string payout takes; what is still not a number goes as typed, for payout to say why."""
    cleaned = unicodedata.normalize("NFKC", text).strip().removesuffix("元").strip()
    cleaned = cleaned.replace(",", "").replace(" ", "").replace("\u3000", "")
    try:
        Decimal(cleaned)
    except InvalidOperation:
        return text.strip()
    return cleaned
