"""The console's security rules: session expiry, CSRF tokens, the sign-in limit."""

from datetime import UTC, datetime, timedelta

from services.console.rules import Expiry, SignInLimit, csrf_matches, new_token, token_hash

T0 = datetime(2024, 9, 2, 9, 0, tzinfo=UTC)
EXPIRY = Expiry(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


def test_a_session_used_within_its_idle_time_is_valid():
    assert not EXPIRY.expired(T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=39))


def test_a_session_left_idle_for_its_idle_time_has_expired():
    assert EXPIRY.expired(T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=40))


def test_a_session_kept_busy_still_ends_at_its_absolute_expiry():
    busy = T0 + timedelta(hours=11, minutes=59)
    assert not EXPIRY.expired(T0, busy, T0 + timedelta(hours=11, minutes=59, seconds=30))
    assert EXPIRY.expired(T0, busy, T0 + timedelta(hours=12))


def test_a_session_ends_at_the_earlier_of_its_two_limits():
    assert EXPIRY.ends_at(T0, T0 + timedelta(hours=1)) == T0 + timedelta(hours=1, minutes=30)
    assert EXPIRY.ends_at(T0, T0 + timedelta(hours=11, minutes=50)) == T0 + timedelta(hours=12)


def test_a_form_token_matches_only_the_sessions_own():
    token = new_token()
    assert csrf_matches(token, token)
    assert not csrf_matches(token, new_token())
    assert not csrf_matches(token, token[:-1])


def test_a_missing_form_token_never_matches_even_an_empty_one():
    assert not csrf_matches("", "")
    assert not csrf_matches(None, None)
    assert not csrf_matches(new_token(), None)
    assert not csrf_matches(None, "x")


def test_tokens_are_random_and_only_their_hash_is_kept():
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 43
    assert token_hash(a) != a and len(token_hash(a)) == 64 and token_hash(a) == token_hash(a)


LIMIT = SignInLimit(failures=5, window=timedelta(minutes=15))


def test_four_failures_leave_another_attempt():
    failures = [T0 + timedelta(minutes=m) for m in range(4)]
    assert LIMIT.retry_after(failures, T0 + timedelta(minutes=5)) is None


def test_the_fifth_failure_in_fifteen_minutes_makes_the_client_wait_until_the_oldest_leaves_the_window():
    failures = [T0 + timedelta(minutes=m) for m in range(5)]
    assert LIMIT.retry_after(failures, T0 + timedelta(minutes=5)) == 10 * 60
    assert LIMIT.retry_after(failures, T0 + timedelta(minutes=14, seconds=59)) == 1
    assert LIMIT.retry_after(failures, T0 + timedelta(minutes=15)) is None


def test_failures_older_than_the_window_do_not_count():
    failures = [T0 - timedelta(minutes=20 + m) for m in range(10)] + [T0]
    assert LIMIT.retry_after(failures, T0 + timedelta(seconds=1)) is None


def test_with_more_failures_than_the_limit_the_wait_lasts_until_fewer_than_the_limit_remain():
    failures = [T0 + timedelta(minutes=m) for m in range(7)]  # 0..6
    now = T0 + timedelta(minutes=7)
    # 0, 1 and 2 must leave the window before only 4 remain: 2 leaves at 17 minutes
    assert LIMIT.retry_after(failures, now) == 10 * 60
