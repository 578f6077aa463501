"""Deliveries are retried with jitter over about three days; 410 disables; 429 and 503 are waited
out as long as their Retry-After asks."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from services.notify.retries import SCHEDULE_S, Schedule, Verdict, next_delay, retry_after, verdict

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def test_the_schedule_spans_about_three_days_in_thirteen_attempts():
    schedule = Schedule()
    assert schedule.max_attempts == 13
    assert timedelta(days=2.5) < timedelta(seconds=sum(SCHEDULE_S)) < timedelta(days=3.5)
    assert list(SCHEDULE_S) == sorted(SCHEDULE_S)


def test_each_delay_is_spread_within_twenty_percent_and_not_all_alike():
    rng = random.Random(7)
    delays = [d for _ in range(200) if (d := Schedule().delay(6, rng)) is not None]
    assert len(delays) == 200 and all(2880 <= d <= 4320 for d in delays)
    assert len({round(d) for d in delays}) > 50


def test_after_the_last_scheduled_attempt_there_is_no_next_one():
    assert Schedule().delay(12) is not None and Schedule().delay(13) is None
    assert next_delay(Schedule(), 13, 500, None, NOW) is None


@pytest.mark.parametrize(
    "status, expected",
    [
        (200, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (410, Verdict.GONE),
        (404, Verdict.RETRY),
        (500, Verdict.RETRY),
        (307, Verdict.RETRY),
        (429, Verdict.RETRY),
    ],
)
def test_what_a_status_means(status, expected):
    assert verdict(status) is expected


def test_retry_after_in_seconds_or_as_an_http_date_is_honoured_for_429_and_503():
    assert retry_after(429, "120", NOW) == 120
    assert retry_after(503, format_datetime(NOW + timedelta(minutes=10), usegmt=True), NOW) == 600
    assert retry_after(500, "120", NOW) is None  # only where the specification gives it a meaning
    assert retry_after(429, "soon", NOW) is None
    assert retry_after(429, format_datetime(NOW - timedelta(minutes=1), usegmt=True), NOW) == 0
    assert retry_after(429, "9999999", NOW) == 86400  # a day at most


def test_a_retry_after_longer_than_the_schedule_wins_and_a_shorter_one_does_not_hurry_us():
    rng = random.Random(1)
    assert next_delay(Schedule(jitter=0), 1, 429, "3600", NOW, rng) == 3600
    assert next_delay(Schedule(jitter=0), 5, 503, "1", NOW, rng) == 1800
    assert next_delay(Schedule(jitter=0), 1, None, None, NOW, rng) == 5
