"""What time it is for a process. Quota's deadlines and notice ends pass by its clock.

In production it is the system clock. A clock file (quota's `QUOTA_CLOCK_FILE`) names a file holding an ISO 8601
date-time with offset that the clock reads instead (re-read whenever the file changes), so that a
test or a rehearsal can run a whole round — deadline, review, notice over a holiday — in minutes
against the real servers; every replica pointed at the same file agrees on the time. While the
file does not exist the clock is the system clock: `subsidy up` names a file in its data directory
that only `subsidy demo` writes (and removes when it is done), so a local stack keeps real time
until a demo moves it.
"""

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._seen: tuple[tuple[int, int], datetime] | None = None

    def now(self) -> datetime:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:  # nobody has set the time: it is the system's
            self._seen = None
            return datetime.now(UTC)
        mtime = (stat.st_ino, stat.st_mtime_ns)  # a replaced file is a new inode
        if self._seen is None or self._seen[0] != mtime:
            moment = datetime.fromisoformat(self.path.read_text().strip())
            if moment.tzinfo is None:
                raise ValueError(f"{self.path}: the time needs an offset, e.g. 2024-09-27T10:00:00+08:00")
            self._seen = (mtime, moment)
        return self._seen[1]

    def set(self, moment: datetime) -> None:
        """Used by tests and rehearsals: writes the file atomically."""
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(moment.isoformat())
        os.replace(tmp, self.path)
