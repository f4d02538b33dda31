"""The alert-latency benchmark's path works end to end (no timing is asserted here)."""

from bench.alert_latency import run


def test_every_spoofing_episode_reaches_the_alert_stream():
    latencies = run(episodes=2)
    assert len(latencies) == 2
    assert all(latency > 0 for latency in latencies)
