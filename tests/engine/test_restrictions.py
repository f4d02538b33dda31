"""Enforcement restrictions: each mode against each command type, expiry, lifting, bad input,
and the restriction surviving a snapshot, a replay and a restart of the journal."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands import EndOfDay, LiftRestriction, MassCancel, RestrictAccount
from engine.durable_sequencer import DurableSequencer, GroupCommit
from engine.events import (
    AccountRestricted,
    CancelRejected,
    CommandRejected,
    OrderRejected,
    RestrictionLifted,
)
from engine.memory_holds import MemoryHolds
from engine.orders import MassCancelScope
from engine.reasons import ORD_REJ_REASON, Reason, ord_rej_reason
from engine.reference import ReferenceData
from engine.restrictions import Action, Mode, Restriction, Restrictions
from engine.sequencer import Sequencer
from tests.engine.conftest import OPEN, at, open_accounts
from tests.engine.flow import BUY, SELL, amend, cancel, kinds, limit, only

HOUR = 3600 * 1_000_000_000


def restrict(mode: Mode, reference: str = "R1", until: int = 0, account: str = "B1", ts=OPEN):
    return RestrictAccount(ts, account, mode, until, "suspected layering", reference, "sup1")


def lift(reference: str = "R1", account: str = "B1", reason: str = "reviewed", ts=OPEN):
    return LiftRestriction(ts, account, reference, reason, "sup2")


def refused(events, reason: Reason) -> bool:
    rejection = only(events, OrderRejected if kinds(events) == ["rejected"] else CancelRejected)
    return rejection.reason == reason


@pytest.mark.parametrize(
    ("mode", "buy", "sell", "amend_ok", "reason"),
    [
        (Mode.SELL_ONLY, False, True, "sell", Reason.ACCOUNT_SELL_ONLY),
        (Mode.CANCEL_ONLY, False, False, "", Reason.ACCOUNT_CANCEL_ONLY),
        (Mode.SUSPENDED, False, False, "", Reason.ACCOUNT_SUSPENDED),
    ],
)
def test_each_mode_against_each_command_type(
    sequencer: Sequencer, mode: Mode, buy: bool, sell: bool, amend_ok: str, reason: Reason
) -> None:
    assert kinds(sequencer.apply(limit("B1", "rb", BUY, 4800, 10))) == ["accepted"]
    assert kinds(sequencer.apply(limit("B1", "rs", SELL, 5200, 10))) == ["accepted"]
    restricted = only(sequencer.apply(restrict(mode)), AccountRestricted)
    assert (restricted.mode, restricted.actor, restricted.reason) == (
        mode,
        "sup1",
        "suspected layering",
    )

    new_buy = sequencer.apply(limit("B1", "b", BUY, 4900, 1))
    new_sell = sequencer.apply(limit("B1", "s", SELL, 5100, 1))
    assert (kinds(new_buy) == ["accepted"]) is buy
    assert (kinds(new_sell) == ["accepted"]) is sell
    for events, allowed in ((new_buy, buy), (new_sell, sell)):
        if not allowed:
            rejection = only(events, OrderRejected)
            assert rejection.reason == reason
            assert ord_rej_reason(rejection.reason) == 0  # FIX: broker / exchange option
            assert "until lifted" in rejection.text and "supervision desk" in rejection.text

    amend_buy = sequencer.apply(amend("B1", "rb", "rb2", 4800, 5))
    amend_sell = sequencer.apply(amend("B1", "rs", "rs2", 5200, 5))
    assert (kinds(amend_sell) == ["amended"]) is (amend_ok == "sell")
    assert only(amend_buy, CancelRejected).reason == reason
    # a cancel is always accepted: a member can always step back
    assert kinds(sequencer.apply(cancel("B1", "rb"))) == ["cancelled"]
    mass = MassCancel(OPEN, "mc", MassCancelScope.ACCOUNT, account="B1")
    assert kinds(sequencer.apply(mass))[-1] == "mass_cancelled"
    # other accounts trade as before
    assert kinds(sequencer.apply(limit("C1", "c", BUY, 4900, 1))) == ["accepted"]


def test_the_strictest_restriction_in_force_decides(sequencer: Sequencer) -> None:
    sequencer.apply(restrict(Mode.SELL_ONLY, "R1"))
    sequencer.apply(restrict(Mode.SUSPENDED, "R2"))
    assert refused(sequencer.apply(limit("B1", "s", SELL, 5100, 1)), Reason.ACCOUNT_SUSPENDED)
    sequencer.apply(lift("R2"))
    assert refused(sequencer.apply(limit("B1", "b", BUY, 4900, 1)), Reason.ACCOUNT_SELL_ONLY)
    assert kinds(sequencer.apply(limit("B1", "s2", SELL, 5100, 1))) == ["accepted"]


def test_a_restriction_ends_at_its_time_without_a_clock(sequencer: Sequencer) -> None:
    until = OPEN + HOUR
    sequencer.apply(restrict(Mode.CANCEL_ONLY, until=until))
    early = sequencer.apply(limit("B1", "b1", BUY, 4900, 1, ts=until - 1))
    assert refused(early, Reason.ACCOUNT_CANCEL_ONLY)
    assert "until 2026-11-24 03:00 UTC" in only(early, OrderRejected).text
    assert kinds(sequencer.apply(limit("B1", "b2", BUY, 4900, 1, ts=until))) == ["accepted"]
    # expired: there is nothing to lift
    lifted = sequencer.apply(lift(ts=until))
    assert only(lifted, CommandRejected).reason == Reason.NOT_RESTRICTED
    sequencer.apply(EndOfDay(at(15, 30), "2026-11-24"))
    assert not sequencer.restrictions.by_account  # forgotten at the day's end


def test_lifting_restores_trading_and_lifting_twice_is_refused(sequencer: Sequencer) -> None:
    sequencer.apply(restrict(Mode.SUSPENDED))
    lifted = only(sequencer.apply(lift()), RestrictionLifted)
    assert (lifted.mode, lifted.reason, lifted.actor) == (Mode.SUSPENDED, "reviewed", "sup2")
    assert kinds(sequencer.apply(limit("B1", "b", BUY, 4900, 1))) == ["accepted"]
    before, seq = sequencer.state_hash(), sequencer.next_seq
    again = only(sequencer.apply(lift()), CommandRejected)
    assert (again.reason, again.reference, again.command) == (Reason.NOT_RESTRICTED, "R1", "XL")
    assert (sequencer.state_hash(), sequencer.next_seq) == (before, seq + 1)


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (
            RestrictAccount(OPEN, "B1", Mode.SUSPENDED, 0, "", "R9", "s"),
            Reason.NO_RESTRICTION_REASON,
        ),
        (
            RestrictAccount(OPEN, "B1", Mode.SUSPENDED, 0, "   ", "R9", "s"),
            Reason.NO_RESTRICTION_REASON,
        ),
        (RestrictAccount(OPEN, "ZZ", Mode.SUSPENDED, 0, "why", "R9", "s"), Reason.UNKNOWN_ACCOUNT),
        (RestrictAccount(OPEN, "B1", 7, 0, "why", "R9", "s"), Reason.BAD_RESTRICTION),
        (
            RestrictAccount(OPEN, "B1", Mode.SUSPENDED, OPEN, "why", "R9", "s"),
            Reason.BAD_RESTRICTION,
        ),
        (
            RestrictAccount(OPEN, "B1", Mode.SUSPENDED, 0, "why", "R1", "s"),
            Reason.DUPLICATE_REFERENCE,
        ),
        (
            RestrictAccount(OPEN, "B1", Mode.SUSPENDED, 0, "why", "", "s"),
            Reason.DUPLICATE_REFERENCE,
        ),
        (LiftRestriction(OPEN, "B1", "R1", "", "s"), Reason.NO_RESTRICTION_REASON),
        (LiftRestriction(OPEN, "B1", "R404", "why", "s"), Reason.NOT_RESTRICTED),
        (LiftRestriction(OPEN, "C1", "R1", "why", "s"), Reason.NOT_RESTRICTED),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_changes_nothing(
    sequencer: Sequencer, command, reason: Reason
) -> None:
    sequencer.apply(restrict(Mode.SELL_ONLY, "R1"))
    before = sequencer.state_hash()
    rejection = only(sequencer.apply(command), CommandRejected)
    assert rejection.reason == reason and rejection.text
    assert sequencer.state_hash() == before


def test_a_lifted_reference_cannot_be_reused(sequencer: Sequencer) -> None:
    sequencer.apply(restrict(Mode.SELL_ONLY, "R1"))
    sequencer.apply(lift("R1"))
    again = sequencer.apply(restrict(Mode.SUSPENDED, "R1"))
    assert only(again, CommandRejected).reason == Reason.DUPLICATE_REFERENCE


def test_restrictions_are_in_the_snapshot_and_the_state_hash(
    sequencer: Sequencer, reference: ReferenceData
) -> None:
    plain = sequencer.state_hash()
    sequencer.apply(restrict(Mode.CANCEL_ONLY, until=OPEN + HOUR))
    assert sequencer.state_hash() != plain
    restored = Sequencer(reference, MemoryHolds())
    restored.restore(sequencer.snapshot())
    assert restored.state_hash() == sequencer.state_hash()
    rejected = restored.apply(limit("B1", "b", BUY, 4900, 1))
    assert only(rejected, OrderRejected).reason == Reason.ACCOUNT_CANCEL_ONLY


def test_a_restriction_survives_a_restart_of_the_journal(
    tmp_path: Path, reference: ReferenceData
) -> None:
    """Journaled commands, a snapshot in between, then a fresh process recovers."""
    fresh = Sequencer(reference, MemoryHolds())
    open_accounts(fresh, reference)
    durable = DurableSequencer(tmp_path, fresh, GroupCommit(max_commands=1, snapshot_every=2))
    durable.submit(restrict(Mode.SUSPENDED, "R1"))
    durable.submit(restrict(Mode.SELL_ONLY, "R2", account="C1"))
    durable.submit(lift("R2", account="C1"))
    durable.submit(restrict(Mode.CANCEL_ONLY, "R3", account="C1"))
    expected = fresh.state_hash()
    durable.close()

    recovered = Sequencer(reference, MemoryHolds())
    open_accounts(recovered, reference)
    DurableSequencer(tmp_path, recovered, GroupCommit()).close()
    assert recovered.state_hash() == expected
    assert set(recovered.restrictions.by_account) == {"B1", "C1"}
    for account, reason in (("B1", Reason.ACCOUNT_SUSPENDED), ("C1", Reason.ACCOUNT_CANCEL_ONLY)):
        rejection = only(recovered.apply(limit(account, "x", SELL, 5100, 1)), OrderRejected)
        assert rejection.reason == reason


def test_the_fix_mapping_covers_the_restriction_reasons() -> None:
    for reason in (Reason.ACCOUNT_SELL_ONLY, Reason.ACCOUNT_CANCEL_ONLY, Reason.ACCOUNT_SUSPENDED):
        assert ORD_REJ_REASON[reason] == 0


modes = st.sampled_from(list(Mode))
windows = st.tuples(st.integers(0, 10), st.integers(0, 10))  # (start, length) in hours


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(modes, windows), max_size=6),
    st.integers(0, 24),
    st.sampled_from(list(Action)),
)
def test_refusal_is_the_strictest_mode_in_force(restrictions_given, hour, action) -> None:
    """Property: an action is refused iff a restriction in force forbids it, and the
    reason is that of the strictest such restriction; a cancel is never refused."""

    restrictions = Restrictions()
    in_force = []
    for index, (mode, (start, length)) in enumerate(restrictions_given):
        until = 0 if not length else OPEN + (start + length) * HOUR
        restrictions.impose(Restriction(f"R{index}", "B1", mode, until, "why", "s", OPEN))
        if not until or OPEN + hour * HOUR < until:
            in_force.append(mode)
    reason = restrictions.refusal("B1", action, OPEN + hour * HOUR)
    forbidding = [
        m
        for m in in_force
        if action is not Action.CANCEL and not (m is Mode.SELL_ONLY and action is Action.SELL)
    ]
    if not forbidding:
        assert reason == Reason.OK
    else:
        strictest = max(forbidding)
        assert (
            reason
            == {
                Mode.SELL_ONLY: Reason.ACCOUNT_SELL_ONLY,
                Mode.CANCEL_ONLY: Reason.ACCOUNT_CANCEL_ONLY,
                Mode.SUSPENDED: Reason.ACCOUNT_SUSPENDED,
            }[strictest]
        )
    assert restrictions.refusal("B2", action, OPEN) == Reason.OK


commands = st.lists(
    st.one_of(
        st.builds(
            lambda account, side, price, n: limit(account, f"o{n}", side, price, 1, ts=OPEN + n),
            st.sampled_from(["B1", "C1"]),
            st.sampled_from([BUY, SELL]),
            st.sampled_from([4900, 5000, 5100]),
            st.integers(0, 10**6),
        ),
        st.builds(
            lambda account, mode, ref, hours: restrict(
                mode, f"R{ref}", OPEN + hours * HOUR if hours else 0, account
            ),
            st.sampled_from(["B1", "C1"]),
            modes,
            st.integers(0, 3),
            st.integers(0, 2),
        ),
        st.builds(
            lambda account, ref: lift(f"R{ref}", account),
            st.sampled_from(["B1", "C1"]),
            st.integers(0, 3),
        ),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(commands, st.integers(0, 25))
def test_a_snapshot_anywhere_then_the_rest_gives_the_same_state(
    reference: ReferenceData, sequence, cut: int
) -> None:
    """Property: restoring a snapshot taken after any prefix and applying the rest reaches
    the state (and the events) of applying everything at once."""
    whole = Sequencer(reference, MemoryHolds())
    open_accounts(whole, reference)
    start = whole.snapshot()
    events = [whole.apply(command) for command in sequence]
    part = Sequencer(reference, MemoryHolds())
    part.restore(start)
    for command in sequence[:cut]:
        part.apply(command)
    resumed = Sequencer(reference, MemoryHolds())
    resumed.restore(part.snapshot())
    assert [resumed.apply(command) for command in sequence[cut:]] == events[cut:]
    assert resumed.state_hash() == whole.state_hash()
