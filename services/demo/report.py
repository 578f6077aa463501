"""The year's report: per clause what was decided, selected and paid, tallied from what the services
told the demo (intake's timelines, quota's rankings, payout's payouts), checked against the ledger
(`subsidy ledger verify` and the finance report's figures, read before and after the year), and
rendered as one self-contained HTML file: no script, no stylesheet or font from elsewhere, the
charts inline SVG."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from services.demo.play import Played
from services.demo.scenario import Entry, Scenario

ZERO = Decimal("0.00")
COMPARED = ("awarded", "paid", "recovered", "outstanding", "cancelled")
OUTCOMES = (
    ("ineligible", "ineligible · 不符合条件", "#b8bec7"),
    ("not_selected", "not selected · 未入选", "#e3c46f"),
    ("recognized", "recognised · 授牌/认定", "#5b8fd9"),
    ("paid", "paid · 已拨付", "#3f9d6a"),
    ("clawed_back", "paid, part recovered · 部分追回", "#d9773b"),
    ("open", "not final · 未结束", "#c0392b"),
)


@dataclass
class ClauseFigures:
    clause: str
    article: str
    title_zh: str
    title_en: str
    selection: bool
    money: bool
    applications: int = 0
    eligible: int = 0
    candidates: int = 0
    ineligible: int = 0
    selected: int = 0
    recognized: int = 0
    awards: int = 0
    awarded: Decimal = ZERO
    paid_count: int = 0
    paid: Decimal = ZERO
    rejected: int = 0  # payouts the bank refused
    held: int = 0  # payouts held for want of an account
    waited: int = 0  # awards that waited for budget
    recovered: Decimal = ZERO
    cancelled: Decimal = ZERO
    outcomes: Counter = field(default_factory=Counter)

    @property
    def outstanding(self) -> Decimal:
        return self.awarded - self.paid - self.cancelled


@dataclass
class Check:
    clause: str
    column: str
    demo: Decimal
    ledger: Decimal

    @property
    def ok(self) -> bool:
        return self.demo == self.ledger


@dataclass
class Figures:
    scenario: Scenario
    played: Played
    clauses: list[ClauseFigures]
    total: ClauseFigures
    checks: list[Check]
    verified_rows: int
    verified_accounts: int
    problem: str | None
    mispredicted: list[tuple[Entry, str, str]]  # (entry, the engine's outcome, eligibility's)
    not_final: list[tuple[Entry, str]]
    selections: list[dict]
    stories: dict

    @property
    def agrees(self) -> bool:
        return self.problem is None and all(c.ok for c in self.checks)

    @property
    def ok(self) -> bool:
        return self.agrees and not self.not_final


def _amount(detail: dict, key: str = "amount") -> Decimal:
    return Decimal(detail.get(key) or "0")


def decision_of(timeline: list[dict]) -> dict | None:
    return next((s for s in timeline if s["status"] in ("eligible", "ineligible", "candidate")), None)


def tally(scenario: Scenario, played: Played) -> Figures:
    rules = {c["id"]: c for c in scenario.version.data["clauses"]}
    per = {}
    for cid, rule in scenario.rules.items():
        per[cid] = ClauseFigures(
            cid,
            rules[cid]["article"],
            rules[cid]["title_zh"],
            rules[cid]["title_en"],
            rule.is_selection,
            not rule.is_selection or rule.selection.if_selected is not None,
        )
    mispredicted, not_final = [], []
    from services.demo.play import FINAL

    for entry in scenario.entries:
        f = per[entry.clause]
        read = played.applications.get(entry.n)
        f.applications += 1
        if read is None:
            f.outcomes["open"] += 1
            not_final.append((entry, "not submitted"))
            continue
        steps = read["timeline"]
        statuses = [s["status"] for s in steps]
        decision = decision_of(steps)
        outcome = decision["status"] if decision else "submitted"
        if outcome != entry.expected:
            mispredicted.append((entry, entry.expected, outcome))
        f.eligible += outcome == "eligible"
        f.candidates += outcome == "candidate"
        f.ineligible += outcome == "ineligible"
        f.selected += "selected" in statuses
        f.recognized += "recognized" in statuses
        awarded = sum((_amount(s["detail"]) for s in steps if s["status"] == "awarded"), ZERO)
        paid = sum((_amount(s["detail"]) for s in steps if s["status"] == "paid"), ZERO)
        recovered = sum((_amount(s["detail"]) for s in steps if s["status"] == "clawback_recorded"), ZERO)
        f.awards += "awarded" in statuses
        f.awarded += awarded
        f.paid_count += "paid" in statuses
        f.paid += paid
        f.recovered += recovered
        f.rejected += statuses.count("payout_failed")
        f.held += sum(s["status"] == "payout_held" and s["detail"].get("reason") == "payee_missing" for s in steps)
        f.waited += "awaiting_budget" in statuses
        if "payout_cancelled" in statuses:
            f.cancelled += awarded - paid
        status = read["status"]
        final = status in FINAL or (status == "recognized" and not entry.money)
        if not final:
            not_final.append((entry, status))
            f.outcomes["open"] += 1
        elif status == "ineligible":
            f.outcomes["ineligible"] += 1
        elif status == "not_selected":
            f.outcomes["not_selected"] += 1
        elif status == "recognized":
            f.outcomes["recognized"] += 1
        elif recovered:
            f.outcomes["clawed_back"] += 1
        else:
            f.outcomes["paid"] += 1
    clauses = list(per.values())
    total = ClauseFigures("total", "", "合计", "Total", False, True)
    for f in clauses:
        for name in (
            "applications",
            "eligible",
            "candidates",
            "ineligible",
            "selected",
            "recognized",
            "awards",
            "awarded",
            "paid_count",
            "paid",
            "rejected",
            "held",
            "waited",
            "recovered",
            "cancelled",
        ):
            setattr(total, name, getattr(total, name) + getattr(f, name))
        total.outcomes.update(f.outcomes)
    verified = played.verified
    return Figures(
        scenario,
        played,
        clauses,
        total,
        _checks(clauses, played),
        verified.transfers if verified else 0,
        verified.accounts if verified else 0,
        verified.problem if verified else "not verified",
        mispredicted,
        not_final,
        _selections(scenario, played),
        _stories(scenario, played),
    )


def ledger_moved(before: list[dict], after: list[dict]) -> dict[str, dict[str, Decimal]]:
    """Per clause, how far the finance report's figures moved (over every budget year)."""

    def by_clause(rows):
        out: dict[str, dict[str, Decimal]] = {}
        for r in rows:
            line = out.setdefault(r["clause"], dict.fromkeys(COMPARED, ZERO))
            for column in COMPARED:
                line[column] += Decimal(r[column])
        return out

    b, a = by_clause(before), by_clause(after)
    return {
        clause: {c: a.get(clause, {}).get(c, ZERO) - b.get(clause, {}).get(c, ZERO) for c in COMPARED}
        for clause in set(a) | set(b)
    }


def _checks(clauses: list[ClauseFigures], played: Played) -> list[Check]:
    moved = ledger_moved(played.ledger_before, played.ledger_after)
    checks = []
    for f in clauses:
        line = moved.get(f.clause, dict.fromkeys(COMPARED, ZERO))
        checks += [Check(f.clause, column, getattr(f, column), line[column]) for column in COMPARED]
    for clause in sorted(set(moved) - {f.clause for f in clauses}):
        checks += [Check(clause, column, ZERO, moved[clause][column]) for column in COMPARED]
    return checks


def _selections(scenario: Scenario, played: Played) -> list[dict]:
    names = {played.ids[e.n]: e for e in scenario.entries if e.n in played.ids}
    out = []
    for clause in scenario.selections:
        got = played.rounds.get(clause)
        if not got:
            continue
        objected = {o["application_id"]: o for o in played.objections if o["clause"] == clause}
        promoted = {
            o["promoted"]["application_id"] for o in played.objections if o["clause"] == clause and o.get("promoted")
        }
        recused = {c["application_id"]: c.get("recused") or [] for c in got["candidates"]}
        rows = []
        for r in got["ranking"]:
            entry = names.get(r["application_id"])
            status = played.applications.get(entry.n, {}).get("status") if entry else None
            rows.append(
                {
                    "rank": r["rank"],
                    "name": r["applicant_name"],
                    "project": r["project"],
                    "score": r["score"],
                    "standing": r["standing"],
                    "final": status,
                    "objection": objected.get(r["application_id"]),
                    "promoted": r["application_id"] in promoted,
                    "recused": recused.get(r["application_id"], []),
                    "n": entry.n if entry else None,
                    "explanation": r["explanation_en"],
                }
            )
        rule = scenario.rules[clause]
        out.append(
            {
                "clause": clause,
                "title_zh": scenario.title(clause)[0],
                "title_en": scenario.title(clause)[1],
                "round": got["round"],
                "rows": rows,
                "money": rule.selection.if_selected is not None,
                "chart": score_chart(rows, Decimal(got["round"]["min_score"]), got["round"]["quota"]),
            }
        )
    return out


def _stories(scenario: Scenario, played: Played) -> dict:
    def who(n):
        e = next(e for e in scenario.entries if e.n == n)
        return {"n": n, "name": e.organisation.name, "clause": e.clause}

    timeline = {n: a["timeline"] for n, a in played.applications.items()}
    duplicate = [e for e in scenario.entries if "duplicate" in e.stories]
    corrections = []
    for c in played.corrections:
        steps = timeline.get(c["n"], [])
        corrections.append(
            who(c["n"])
            | c
            | {
                "paid": next((s["detail"] for s in reversed(steps) if s["status"] == "paid"), None),
                "attempts": len(played.payouts.get(c["n"], [])),
            }
        )
    waited = [who(n) for n, steps in timeline.items() if any(s["status"] == "awaiting_budget" for s in steps)]
    return {
        "replayed": played.replayed,
        "duplicate": [
            who(e.n)
            | {
                "reason": next(
                    (
                        r
                        for s in timeline.get(e.n, [])
                        if s["status"] == "ineligible"
                        for r in s["detail"].get("reasons", [])
                    ),
                    None,
                ),
                "node_id": e.application["facts"]["node_id"],
            }
            for e in duplicate
        ],
        "corrections": corrections,
        "waited": waited,
        "budget": played.budget,
        "raised": played.raised,
        "clawback": (who(played.clawback["n"]) | played.clawback) if played.clawback else None,
        "recused": played.recused
        and who(played.recused[1]) | {"reviewer": played.recused[2], "reason": played.recused[3]},
        "objections": played.objections,
        "clock": played.clock,
    }


# ---- charts: inline SVG ----


def _money_short(v: Decimal) -> str:
    """Yuan in 万 (ten thousands), as Chinese budget tables give it."""
    return f"{v / 10000:,.1f} 万"


def stacked_bars(rows: list[tuple[str, list[tuple[int, str, str]]]], *, title: str, width: int = 820) -> Markup:
    """Horizontal stacked bars: each row a label and (value, colour, what) segments."""
    label_w, row_h, top = 190, 22, 8
    most = max([sum(v for v, _, _ in segs) for _, segs in rows] + [1])
    scale = (width - label_w - 50) / most
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {top + row_h * len(rows) + 8}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, segs) in enumerate(rows):
        y = top + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" class="lbl">{escape(label)}</text>')
        x: float = label_w
        for value, colour, what in segs:
            if not value:
                continue
            w = value * scale
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{colour}">'
                f"<title>{escape(label)}: {escape(what)} {value}</title></rect>"
            )
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" class="val">{sum(v for v, _, _ in segs)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def grouped_bars(rows: list[tuple[str, list[tuple[Decimal, str, str]]]], *, title: str, width: int = 820) -> Markup:
    """Horizontal grouped bars of money: each row a label and (amount, colour, what) bars."""
    label_w, bar_h, gap = 190, 9, 8
    per_row = max((len(bars) for _, bars in rows), default=1) * bar_h + gap
    most = max([a for _, bars in rows for a, _, _ in bars] + [Decimal(1)])
    scale = (width - label_w - 110) / float(most)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {per_row * len(rows) + 10}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, bars) in enumerate(rows):
        y = 6 + i * per_row
        parts.append(
            f'<text x="{label_w - 8}" y="{y + per_row / 2}" text-anchor="end" class="lbl">{escape(label)}</text>'
        )
        for j, (amount, colour, what) in enumerate(bars):
            w = max(float(amount) * scale, 0.0)
            yy = y + j * bar_h
            parts.append(
                f'<rect x="{label_w}" y="{yy}" width="{w:.1f}" height="{bar_h - 1}" fill="{colour}">'
                f"<title>{escape(label)}: {escape(what)} {amount:,.2f} 元</title></rect>"
            )
            if amount:
                parts.append(
                    f'<text x="{label_w + w + 4:.1f}" y="{yy + bar_h - 1.5}" class="val small">'
                    f"{_money_short(amount)}</text>"
                )
    parts.append("</svg>")
    return Markup("".join(parts))


_STANDING_COLOUR = {
    "selected": "#3f9d6a",
    "proposed": "#3f9d6a",
    "not_selected": "#e3c46f",
    "waitlisted": "#e3c46f",
    "removed": "#c0392b",
    "below_minimum": "#b8bec7",
}


def score_chart(rows: list[dict], min_score: Decimal, quota: int, width: int = 820) -> Markup:
    """A round's candidates by rank: their scores, coloured by how they ended, the minimum score as a line."""
    if not rows:
        return Markup("")
    height, bottom, left, right = 170, 24, 34, 150
    step = min(46, (width - left - right) / len(rows))
    y_of = lambda score: 8 + (height - bottom - 8) * (1 - float(score) / 100)  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="scores by rank" '
        f'viewBox="0 0 {width} {height}" class="chart">',
        "<title>scores by rank</title>",
    ]
    for tick in (0, 50, 100):
        parts.append(f'<text x="{left - 6}" y="{y_of(tick) + 4:.1f}" text-anchor="end" class="val small">{tick}</text>')
        parts.append(f'<line x1="{left}" x2="{width - 6}" y1="{y_of(tick):.1f}" y2="{y_of(tick):.1f}" class="grid"/>')
    for i, r in enumerate(rows):
        ended = (
            "removed"
            if r["objection"] and r["objection"]["decision"] == "upheld"
            else "selected"
            if r["standing"] == "selected" or r["final"] in ("paid", "recognized", "clawback_recorded", "awarded")
            else r["standing"]
        )
        colour = _STANDING_COLOUR.get(ended, "#b8bec7")
        x, y = left + i * step + 3, y_of(Decimal(r["score"]))
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step - 6:.1f}" height="{height - bottom - y:.1f}" '
            f'fill="{colour}"><title>rank {r["rank"]}: {escape(r["name"] or "")} — {r["score"]} '
            f"({escape(ended)})</title></rect>"
        )
        parts.append(
            f'<text x="{x + (step - 6) / 2:.1f}" y="{height - 8}" text-anchor="middle" class="val small">'
            f"{r['rank']}</text>"
        )
    y = y_of(min_score)
    parts.append(
        f'<line x1="{left}" x2="{width - 6}" y1="{y:.1f}" y2="{y:.1f}" class="minimum"/>'
        f'<text x="{width - 6}" y="{y - 4:.1f}" text-anchor="end" class="val small">minimum score '
        f"{min_score} · 最低分</text>"
    )
    if len(rows) > quota:  # where the quota ends
        x = left + quota * step
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="8" y2="{height - bottom}" class="grid"/>'
            f'<text x="{x + 3:.1f}" y="16" class="val small">quota {quota} · 名额</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def whatif_chart(report: dict) -> Markup:
    """Per clause, what was paid as decided beside what the renewal would pay (eligibility's what-if)."""
    rows = [
        (
            clause,
            [
                (Decimal(t["total"]["baseline"]), "#9fb3c8", "as decided · 现行"),
                (Decimal(t["total"]["draft"]), "#3f7fbf", "under the renewal · 续期示例"),
            ],
        )
        for clause, t in sorted(report["clauses"].items())
        if Decimal(t["total"]["baseline"]) or Decimal(t["total"]["draft"])
    ]
    return grouped_bars(rows, title="paid by clause: as decided and under the illustrative renewal")


# ---- the page ----


def render(figures: Figures) -> str:
    env = Environment(loader=PackageLoader("services.demo", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["money"] = lambda v: f"{Decimal(v):,.2f}"
    env.filters["mask"] = lambda number: f"****{number[-4:]}" if number else ""
    outcome_rows = [
        (f.clause, [(f.outcomes[key], colour, label) for key, label, colour in OUTCOMES]) for f in figures.clauses
    ]
    money_rows = [
        (
            f.clause,
            [
                (f.awarded, "#7aa6e0", "awarded · 获批"),
                (f.paid, "#3f9d6a", "paid · 已拨付"),
                (f.recovered, "#d9773b", "recovered · 追回"),
            ],
        )
        for f in figures.clauses
        if f.money
    ]
    whatif = figures.played.whatif
    return env.get_template("report.html").render(
        whatif=whatif,
        whatif_chart=whatif_chart(whatif["report"]) if whatif else "",
        f=figures,
        s=figures.scenario,
        p=figures.played,
        outcomes=OUTCOMES,
        outcome_chart=stacked_bars(outcome_rows, title="applications by clause and how they ended"),
        money_chart=grouped_bars(money_rows, title="money by clause: awarded, paid, recovered"),
        minutes=((figures.played.finished_at or figures.played.started_at) - figures.played.started_at).total_seconds()
        / 60,
    )


def write(figures: Figures, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(figures), encoding="utf-8")
    return path
