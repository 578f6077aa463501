"""A what-if report, as eligibility's API gives it (`POST /v1/policy/whatif`), made ready to show:
its sums read as Decimal from the API's strings, and per clause two bars, what was paid as decided
beside what the draft would pay, drawn on the server as inline SVG (as `subsidy policy whatif
--format html` draws them). No I/O."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

COUNTS = ("applications", "skipped", "changed", "gained", "lost", "newly_eligible", "no_longer_eligible")
LABEL_W, BAR_W, VALUE_W, ROW_H, TOP = 200, 540, 180, 34, 30


@dataclass(frozen=True)
class Sums:
    baseline: Decimal
    draft: Decimal
    delta: Decimal

    @property
    def direction(self) -> str:
        return "up" if self.delta > 0 else "down" if self.delta < 0 else ""


@dataclass(frozen=True)
class Line:
    """One clause (or year, or the total): its counts and sums."""

    name: str
    counts: dict[str, int]
    sums: Sums


@dataclass(frozen=True)
class Bar:
    kind: str  # "baseline" (as decided) or "draft"
    y: int
    width: float
    amount: Decimal


@dataclass(frozen=True)
class Row:
    clause: str
    y: int  # top of the row
    bars: tuple[Bar, Bar]
    sums: Sums


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    rows: list[Row]
    label_w: int = LABEL_W
    value_x: int = LABEL_W + BAR_W + 8


@dataclass(frozen=True)
class Report:
    total: Line
    clauses: list[Line]
    years: list[Line]
    applicants: list[dict[str, Any]]
    chart: Chart


def read(report: dict[str, Any]) -> Report:
    clauses = [_line(name, tally) for name, tally in sorted(report["clauses"].items())]
    return Report(
        total=_line("total", report),
        clauses=clauses,
        years=[_line(year, tally) for year, tally in sorted(report["years"].items())],
        applicants=[a | {"direction": "up" if Decimal(a["delta"]) > 0 else "down"} for a in report["applicants"]],
        chart=chart(clauses),
    )


def chart(clauses: list[Line]) -> Chart:
    """Per clause, two bars on one scale: the largest amount of any clause is the full width."""
    top = max([c.sums.baseline for c in clauses] + [c.sums.draft for c in clauses] + [Decimal(1)])
    rows = []
    for i, line in enumerate(clauses):
        y = TOP - 4 + i * ROW_H
        bars = tuple(
            Bar(kind, y + j * 13, round(float(amount / top) * BAR_W, 1), amount)
            for j, (kind, amount) in enumerate((("baseline", line.sums.baseline), ("draft", line.sums.draft)))
        )
        rows.append(Row(line.name, y, (bars[0], bars[1]), line.sums))
    return Chart(LABEL_W + BAR_W + VALUE_W, TOP + ROW_H * len(clauses), rows)


def _line(name: str, tally: dict[str, Any]) -> Line:
    total = tally["total"]
    return Line(
        name,
        {count: int(tally[count]) for count in COUNTS},
        Sums(Decimal(total["baseline"]), Decimal(total["draft"]), Decimal(total["delta"])),
    )
