"""Per-session rate limit: pass under it, reject over it, log out far over it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.trading.throttle import NS_PER_SECOND, Throttle, Verdict

T0 = 1_790_000_000_000_000_000
MS = 1_000_000


def test_a_burst_up_to_the_limit_passes_then_rejects():
    throttle = Throttle(rate=10, burst=10, logout_multiple=3, now_ns=T0)
    assert [throttle.admit(T0) for _ in range(10)] == [Verdict.PASS] * 10
    assert throttle.admit(T0) is Verdict.REJECT


def test_tokens_refill_with_time():
    throttle = Throttle(rate=10, burst=10, logout_multiple=3, now_ns=T0)
    for _ in range(10):
        throttle.admit(T0)
    assert throttle.admit(T0 + 99 * MS) is Verdict.REJECT  # 0.99 of a token back
    assert throttle.admit(T0 + 100 * MS) is Verdict.PASS  # one token after 100 ms
    assert throttle.admit(T0 + 100 * MS) is Verdict.REJECT


def test_refill_stops_at_the_burst():
    throttle = Throttle(rate=10, burst=10, logout_multiple=3, now_ns=T0)
    later = T0 + 3600 * NS_PER_SECOND
    assert [throttle.admit(later) for _ in range(11)] == [Verdict.PASS] * 10 + [Verdict.REJECT]


def test_flooding_far_over_the_limit_logs_out():
    throttle = Throttle(rate=10, burst=10, logout_multiple=3, now_ns=T0)
    verdicts = [throttle.admit(T0) for _ in range(31)]
    assert verdicts == [Verdict.PASS] * 10 + [Verdict.REJECT] * 20 + [Verdict.LOGOUT]


def test_sending_steadily_at_twice_the_limit_rejects_but_never_logs_out():
    throttle = Throttle(rate=10, burst=10, logout_multiple=3, now_ns=T0)
    verdicts = [throttle.admit(T0 + i * 50 * MS) for i in range(2000)]  # 20/s for 100 s
    assert Verdict.LOGOUT not in verdicts
    assert verdicts.count(Verdict.REJECT) > 900
    assert verdicts.count(Verdict.PASS) >= 1000


def test_a_clock_stepping_back_adds_no_tokens():
    throttle = Throttle(rate=10, burst=1, logout_multiple=3, now_ns=T0)
    assert throttle.admit(T0) is Verdict.PASS
    assert throttle.admit(T0 - NS_PER_SECOND) is Verdict.REJECT
    assert throttle.admit(T0 + 100 * MS) is Verdict.PASS


@pytest.mark.parametrize(("rate", "burst", "multiple"), [(0, 1, 2), (1, 0, 2), (1, 1, 1)])
def test_bad_settings_are_refused(rate, burst, multiple):
    with pytest.raises(ValueError, match="throttle needs rate >= 1, burst >= 1"):
        Throttle(rate, burst, multiple, T0)


@given(
    rate=st.integers(1, 100),
    gaps=st.lists(st.integers(0, NS_PER_SECOND), min_size=1, max_size=300),
)
def test_never_more_passes_than_the_bucket_allows(rate, gaps):
    throttle = Throttle(rate=rate, burst=rate, logout_multiple=4, now_ns=T0)
    now, passed = T0, 0
    for gap in gaps:
        now += gap
        verdict = throttle.admit(now)
        if verdict is Verdict.LOGOUT:
            break
        passed += verdict is Verdict.PASS
        # a token bucket admits at most burst + rate x elapsed
        assert passed * NS_PER_SECOND <= rate * NS_PER_SECOND + rate * (now - T0)
