"""Where each service's CPU goes, by py-spy (run: .venv/bin/python bench/profile.py [OUT_DIR]).

The stack of bench/pipeline.py; py-spy samples every Python service (native frames excluded)
while the stack idles, then while it takes the pipeline benchmark's load until the last
application reached `payout_requested`. Printed per service and phase: the functions that hold the
most samples, counted once per stack they appear in (inclusive) and as the innermost frame (self).
The raw collapsed stacks are left in OUT_DIR for a flame graph (e.g. speedscope).
"""

import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pipeline import SECONDS, load, new_stack, wait_done
from shared.stack import start_services

IDLE_S, RATE_HZ, TOP = 15, 200, 12
PROFILED = ("intake", "eligibility", "payout", "notify", "quota", "finance_sim")


def record(pids: dict[str, int], out: Path, phase: str, seconds: float) -> dict[str, subprocess.Popen]:
    return {
        name: subprocess.Popen(
            [
                *("py-spy", "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", str(RATE_HZ)),
                *("--format", "raw", "--nonblocking", "--output", str(out / f"{phase}-{name}.txt")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    }


def summary(path: Path) -> tuple[int, Counter[str], Counter[str]]:
    """(samples, inclusive counts, self counts) per function of py-spy's collapsed stacks."""
    total, inclusive, own = 0, Counter[str](), Counter[str]()
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = [f.split(" (")[0] + " " + f.split(" (")[-1].split(":")[0].rsplit("/", 1)[-1] for f in stack.split(";")]
        frames = frames[1:]  # the thread's name
        total += int(n)
        for frame in set(frames):
            inclusive[frame] += int(n)
        if frames:
            own[frames[-1]] += int(n)
    return total, inclusive, own


def show(out: Path, phase: str) -> None:
    for name in PROFILED:
        path = out / f"{phase}-{name}.txt"
        if not path.exists():
            continue
        total, inclusive, own = summary(path)
        print(f"\n{phase} · {name}: {total} samples of {RATE_HZ}/s (busy samples only)")
        for frame, n in own.most_common(TOP):
            print(f"  self {100 * n / max(total, 1):5.1f}%  {frame}")
        for frame, n in inclusive.most_common(TOP * 2):
            print(f"  incl {100 * n / max(total, 1):5.1f}%  {frame}")


def main() -> None:
    if not shutil.which("py-spy") or not shutil.which("wrk"):
        sys.exit("py-spy (pip install py-spy) and wrk (apt-get install wrk) are needed")
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/profile")
    out.mkdir(parents=True, exist_ok=True)
    stack = new_stack("profile")
    procs = {}
    try:
        procs = start_services(stack.env, stack.data / "logs")
        pids = {n: p.process.pid for n, p in procs.items() if n in PROFILED and p.process}
        time.sleep(5)
        for p in record(pids, out, "idle", IDLE_S).values():
            p.wait()
        load_s = SECONDS + 20
        spies = record(pids, out, "load", load_s)
        started = time.monotonic()
        load(stack, procs["intake"].url)
        accepted = wait_done(stack)
        print(f"{accepted} applications, the last reached payout_requested after {time.monotonic() - started:.1f} s")
        for p in spies.values():
            p.wait()
        show(out, "idle")
        show(out, "load")
    finally:
        for proc in procs.values():
            proc.stop()
        stack.infra.stop()
        shutil.rmtree(stack.data, ignore_errors=True)


if __name__ == "__main__":
    main()
