"""Benchmark of the policy engine's evaluate path (run: .venv/bin/python bench/engine.py).

Pinned to one core; 200,000 pre-parsed applications spread over every clause, with a mix of
eligible, ineligible and history-dependent cases. The baseline is the same loop calling a no-op
that returns a constant: the Python loop-and-call overhead the engine figure includes.
"""

import copy
import os
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.policy import History, PriorGrant, load_policies
from tests.books import EXAMPLES

N = 200_000
TARGET = 20_000


def applications(book):
    """N parsed applications: each clause's example with its figures varied per item."""
    variants = []
    for i in range(N // len(EXAMPLES) + 1):
        for _clause, example in EXAMPLES.items():
            wire = copy.deepcopy(example)
            facts = wire["facts"]
            for name, value in facts.items():
                if isinstance(value, str) and name.endswith(("cost", "investment", "revenue")):
                    facts[name] = str((Decimal(value) * (i % 17 + 1) / 8).quantize(Decimal("0.01")))
                elif isinstance(value, int) and not isinstance(value, bool) and name != "fiscal_year":
                    facts[name] = max(0, value - i % 9 * value // 6)
            if "operation_year" in facts:
                facts["operation_year"] = i % 3 + 1
            variants.append(book.parse(wire))
    return variants[:N]


def histories():
    prior = (
        PriorGrant("1.1-node", "node_id=sn-001", Decimal("800000.00")),
        PriorGrant("3.5-external-revenue", "tier>50000000", Decimal("100000.00")),
        PriorGrant("2.4-pilot-project", "project_id=case-2024-03", Decimal("520000.00"), "case-2024-03"),
    )
    return [History(), History(), History(), History(prior)]


def timed(function, apps, hists) -> float:
    start = time.perf_counter()
    for i, app in enumerate(apps):
        function(app, hists[i & 3])
    return time.perf_counter() - start


def main() -> None:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    book = load_policies()
    apps, hists = applications(book), histories()

    def noop(app, history):
        return None

    timed(book.evaluate, apps[:10_000], hists)  # warm-up
    baseline = min(timed(noop, apps, hists) for _ in range(3))
    engine = min(timed(book.evaluate, apps, hists) for _ in range(3))
    rate = N / engine
    print(f"pinned to CPU {cpu}; {N:,} pre-parsed applications over {len(EXAMPLES)} clauses (best of 3)")
    print(f"baseline no-op loop: {N / baseline:>12,.0f} calls/s   ({baseline / N * 1e6:6.2f} µs/call)")
    print(
        f"engine evaluate:     {rate:>12,.0f} evaluations/s ({engine / N * 1e6:6.2f} µs/evaluation, "
        f"{(engine - baseline) / N * 1e6:.2f} µs above baseline)"
    )
    mix = Counter(book.evaluate(app, hists[i & 3]).outcome for i, app in enumerate(apps))
    print("outcome mix: " + ", ".join(f"{k} {v:,}" for k, v in sorted(mix.items())))
    print(f"target ≥ {TARGET:,}/s: {'met' if rate >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
