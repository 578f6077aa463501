"""A what-if report as CSV (one row per clause and a total) or as one self-contained HTML page: no
script, stylesheet or font from elsewhere, the chart inline SVG."""

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from shared.policy import PolicyVersion
from shared.policy.whatif import Report, Tally

COUNTS = ("applications", "skipped", "changed", "gained", "lost", "newly_eligible", "no_longer_eligible")
ZERO = Decimal("0.00")


def csv_text(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["clause", *COUNTS, "baseline", "draft", "delta"])
    for clause, tally in [*sorted(report.clauses.items()), ("total", report.total)]:
        writer.writerow([clause, *(getattr(tally, c) for c in COUNTS), *_money(tally)])
    return out.getvalue()


def _money(tally: Tally) -> tuple[str, str, str]:
    return f"{tally.baseline:.2f}", f"{tally.draft:.2f}", f"{tally.delta:.2f}"


# ---- budgets ----


@dataclass(frozen=True)
class BudgetLine:
    """One of payout's budget lines, as its API gives it."""

    year: int
    clause: str
    amount: Decimal
    committed: Decimal  # reserved, paid, and awarded but waiting for budget


@dataclass(frozen=True)
class Overrun:
    line: BudgetLine
    delta: Decimal  # what the draft would change on this line

    @property
    def projected(self) -> Decimal:
        return self.line.committed + self.delta

    @property
    def over(self) -> Decimal:
        return self.projected - self.line.amount


@dataclass(frozen=True)
class Budgets:
    """What payout's budget lines say of the draft: the lines it would exceed, and the years and
    clauses it would pay on that have no line at all."""

    overruns: list[Overrun]
    unbudgeted: list[tuple[int, str, Decimal]]  # (year, clause, what the draft would pay there)


def against_budgets(report: Report, lines: list[BudgetLine]) -> Budgets:
    """A line is exceeded when what it has committed, changed by the draft's difference on the
    replayed applications charged to it, is more than its amount."""
    by_line = {(b.year, b.clause): b for b in lines}
    overruns = []
    for key, line in sorted(by_line.items()):
        tally = report.lines.get(key)
        overrun = Overrun(line, tally.delta if tally else ZERO)
        if overrun.over > 0:
            overruns.append(overrun)
    unbudgeted = [
        (year, clause, tally.draft)
        for (year, clause), tally in sorted(report.lines.items())
        if (year, clause) not in by_line and tally.draft > 0
    ]
    return Budgets(overruns, unbudgeted)


# ---- the page ----


@dataclass(frozen=True)
class Context:
    """What the page says of how the report was made."""

    draft: PolicyVersion
    first: dt.date
    last: dt.date
    made_at: dt.datetime
    budgets: Budgets | None  # None: not consulted …
    budgets_note: str  # … and why, or where they were read


def html_page(report: Report, context: Context) -> str:
    env = Environment(loader=PackageLoader("services.eligibility", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["money"] = lambda v: f"{Decimal(v):,.2f}"
    env.filters["signed"] = lambda v: f"{Decimal(v):+,.2f}"
    return env.get_template("whatif.html").render(
        r=report,
        c=context,
        counts=COUNTS,
        clauses=sorted(report.clauses.items()),
        years=sorted(report.years.items()),
        chart=clause_chart(report),
    )


def clause_chart(report: Report) -> Markup:
    """Per clause, what is paid as decided beside what the draft would pay: two horizontal bars."""
    rows = sorted(report.clauses.items())
    label_w, bar_w, value_w, row_h = 190, 560, 170, 34
    height = 30 + row_h * len(rows)
    top = max([t.baseline for _, t in rows] + [t.draft for _, t in rows] + [Decimal(1)])
    parts = [
        f'<svg class="chart" viewBox="0 0 {label_w + bar_w + value_w} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>paid by clause: as decided and under the draft</title>',
        f'<rect x="{label_w}" y="6" width="10" height="10" class="baseline"/>'
        f'<text x="{label_w + 14}" y="15" class="lbl">as decided · 现行</text>'
        f'<rect x="{label_w + 150}" y="6" width="10" height="10" class="draft"/>'
        f'<text x="{label_w + 164}" y="15" class="lbl">under the draft · 草案</text>',
    ]
    for i, (clause, tally) in enumerate(rows):
        y = 26 + i * row_h
        parts.append(f'<text x="0" y="{y + 17}" class="lbl">{escape(clause)}</text>')
        for j, (amount, kind) in enumerate(((tally.baseline, "baseline"), (tally.draft, "draft"))):
            width = float(amount / top) * bar_w
            parts.append(
                f'<rect x="{label_w}" y="{y + j * 13}" width="{width:.1f}" height="12" class="{kind}">'
                f"<title>{escape(clause)} {kind}: {amount:,.2f}</title></rect>"
            )
        delta = tally.delta
        direction = "up" if delta > 0 else "down" if delta < 0 else ""
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + 17}" class="val {direction}">{delta:+,.2f}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
