"""People and alerts for the alert store, workflow and API tests."""

from dataclasses import dataclass

from surveillance.alert import Alert, raise_alert

S = 1_000_000_000
OPEN = 1_795_483_800 * S  # 2026-11-24 09:30 Asia/Shanghai


@dataclass(frozen=True)
class Person:
    name: str
    role: str = "supervisor"


LI = Person("li.wei")
WANG = Person("wang.fang")
CLERK = Person("zhao.min", role="member")


def sighting(
    pattern: str = "spoofing",
    *,
    accounts: tuple[str, ...] = ("A1",),
    instrument: str = "TJEA2026",
    start_s: int = 0,
    end_s: int = 60,
    score: float = 70,
    order_ids: tuple[int, ...] = (),
    trade_ids: tuple[int, ...] = (),
    reason: str = "a large bid cancelled within 3 s while the account sold",
) -> Alert:
    """An alert as a detector raises it, its window in seconds after the open."""
    return raise_alert(
        pattern=pattern,
        score=score,
        instrument=instrument,
        accounts=accounts,
        control_group="",
        window_start=OPEN + start_s * S,
        window_end=OPEN + end_s * S,
        evidence={"size_multiple": 7.5, "threshold": 5.0, "orders": len(order_ids)},
        reason=reason,
        order_ids=order_ids,
        trade_ids=trade_ids,
    )
