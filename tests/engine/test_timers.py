"""The engine service's one timer asks each clock-command timer in turn: the first with a
command due gives it, the next one's comes on a later turn, none is lost."""

from engine.commands import AuctionClock, ClockTick
from engine.timers import Timers


def test_the_first_due_timer_gives_its_command_and_the_next_follows_on_a_later_turn():
    due = {"auctions": [AuctionClock(5)], "blocks": [ClockTick(7)]}

    def timer(name: str):
        return lambda: due[name].pop() if due[name] else None

    timers = Timers(timer("auctions"), timer("blocks"))
    assert [timers(), timers(), timers()] == [AuctionClock(5), ClockTick(7), None]
