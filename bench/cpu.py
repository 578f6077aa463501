"""CPU time spent by the processes of a stack, read from /proc (Linux).

A process is counted with everything under it: PostgreSQL's backends are children of its
postmaster, and a backend that exited leaves its time in the postmaster's `cutime`/`cstime` once
reaped, so a tree's total is its own time, its reaped children's, and its live children's trees.
"""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) may hold spaces: the fields after it start past its ')'.
    return text[text.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))):
            found.setdefault(int(fields[1]), []).append(int(entry))
    return found


def tree_cpu_s(pid: int, children: Mapping[int, list[int]] | None = None) -> float:
    """User + system seconds of `pid`, its reaped children and its live descendants."""
    children = _children() if children is None else children
    fields = _stat(pid)
    if fields is None:
        return 0.0
    # utime, stime, cutime, cstime are fields 14–17 of stat: 11–14 counted from the state (field 3).
    own = sum(int(f) for f in fields[11:15]) * TICK_S
    return own + sum(tree_cpu_s(child, children) for child in children.get(pid, []))


@dataclass
class Meter:
    """Reads the CPU seconds of named process trees; `pids` is asked each time, as processes restart."""

    pids: Callable[[], Mapping[str, int]]

    def read(self) -> dict[str, float]:
        children = _children()
        return {name: tree_cpu_s(pid, children) for name, pid in self.pids().items()}


def spent(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


def postmaster_pid(data_dir: Path) -> int | None:
    """The PostgreSQL server's pid, from the postmaster.pid file somewhere under its data directory."""
    for found in data_dir.rglob("postmaster.pid"):
        return int(found.read_text().split()[0])
    return None
