"""Alert: what a detector raises for a supervisor to work.

An alert's id is derived from what it is about (pattern, instrument, accounts, window
start), so replaying the same day gives the same ids, and a later, larger sighting of the
same episode can be merged into the alert already raised (see `absorb`).

Order and trade ids are kept sorted, each once (`raise_alert` makes them so): an episode
re-raised on every cancel for an hour holds thousands of ids, and sorted ids let `absorb`
cost the size of the new sighting (a binary search per id, appending what is
new) instead of rebuilding sets of the whole episode each time.
"""

import hashlib
from bisect import bisect_left

import msgspec

Evidence = dict[str, int | float | str]


class Alert(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    pattern: str
    score: int  # 0-100: how far past the thresholds, how often repeated
    instrument: str  # "" when the pattern is not about one instrument (message flooding)
    accounts: tuple[str, ...]
    control_group: str
    window_start: int  # ns since the epoch, UTC
    window_end: int
    evidence: Evidence  # each measured value beside the threshold it was tested against
    order_ids: tuple[int, ...] = ()  # sorted, each once
    trade_ids: tuple[int, ...] = ()  # sorted, each once
    reason: str


def alert_id(pattern: str, instrument: str, accounts: tuple[str, ...], window_start: int) -> str:
    key = f"{pattern}|{instrument}|{','.join(accounts)}|{window_start}"
    return f"{pattern}-{hashlib.blake2b(key.encode(), digest_size=8).hexdigest()}"


def raise_alert(
    *,
    pattern: str,
    score: float,
    instrument: str,
    accounts: tuple[str, ...] | list[str],
    control_group: str,
    window_start: int,
    window_end: int,
    evidence: Evidence,
    reason: str,
    order_ids: tuple[int, ...] | list[int] = (),
    trade_ids: tuple[int, ...] | list[int] = (),
) -> Alert:
    """Builds an alert with its deterministic id, sorted accounts and ids, and a clamped
    score."""
    accounts = tuple(sorted(set(accounts)))
    return Alert(
        id=alert_id(pattern, instrument, accounts, window_start),
        pattern=pattern,
        score=max(0, min(100, round(score))),
        instrument=instrument,
        accounts=accounts,
        control_group=control_group,
        window_start=window_start,
        window_end=window_end,
        evidence=evidence,
        order_ids=tuple(sorted(set(order_ids))),
        trade_ids=tuple(sorted(set(trade_ids))),
        reason=reason,
    )


def same_subject(first: Alert, second: Alert) -> bool:
    return (
        first.pattern == second.pattern
        and first.instrument == second.instrument
        and first.accounts == second.accounts
    )


def windows_touch(first: Alert, second: Alert) -> bool:
    return first.window_start <= second.window_end and second.window_start <= first.window_end


def absorb(kept: Alert, later: Alert) -> Alert | None:
    """One alert for both sightings: the kept id, the union of windows and ids, the
    higher score, and the later evidence and reason (they describe the larger picture).
    None when `later` brings nothing new (no wider window, no new ids, no higher score):
    a redelivery, or an older or smaller sighting of what `kept` already holds, which
    would only swap the evidence back and forth."""
    orders = _missing(kept.order_ids, later.order_ids)
    trades = _missing(kept.trade_ids, later.trade_ids)
    if (
        not orders
        and not trades
        and kept.window_start <= later.window_start
        and later.window_end <= kept.window_end
        and later.score <= kept.score
    ):
        return None
    return msgspec.structs.replace(
        kept,
        score=max(kept.score, later.score),
        window_start=min(kept.window_start, later.window_start),
        window_end=max(kept.window_end, later.window_end),
        evidence=later.evidence,
        order_ids=_union(kept.order_ids, orders),
        trade_ids=_union(kept.trade_ids, trades),
        reason=later.reason,
    )


def _missing(kept: tuple[int, ...], ids: tuple[int, ...]) -> list[int]:
    """Those of `ids` not in `kept` (both sorted), in order."""
    if not kept:
        return list(ids)
    last = kept[-1]
    count = len(kept)
    missing = []
    for number in ids:
        if number > last:
            missing.append(number)
            continue
        at = bisect_left(kept, number)
        if at == count or kept[at] != number:
            missing.append(number)
    return missing


def _union(kept: tuple[int, ...], new: list[int]) -> tuple[int, ...]:
    """`kept` with the sorted ids it lacks. A growing episode brings ids above those kept,
    so the usual case appends; an id that falls inside re-sorts only the tail from it on."""
    if not new:
        return kept
    if not kept or new[0] > kept[-1]:
        return kept + tuple(new)
    at = bisect_left(kept, new[0])
    return kept[:at] + tuple(sorted((*kept[at:], *new)))
