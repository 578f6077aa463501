"""The quota clock read from a file: the system's time until the file is written, the file's after,
and the system's again once it is removed (what `subsidy up` and `subsidy demo` rely on)."""

from datetime import UTC, datetime, timedelta, timezone

from shared.clock import FileClock


def test_a_clock_file_not_written_yet_is_the_system_clock_and_the_file_rules_once_written(tmp_path):
    clock = FileClock(tmp_path / "quota-clock")
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)

    rehearsed = datetime(2024, 9, 21, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    clock.set(rehearsed)
    assert clock.now() == rehearsed
    clock.set(rehearsed + timedelta(days=6))
    assert clock.now() == rehearsed + timedelta(days=6)

    (tmp_path / "quota-clock").unlink()
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    clock.set(rehearsed)  # written again: the same moment as before is read afresh
    assert clock.now() == rehearsed
