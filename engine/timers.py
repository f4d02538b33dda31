"""Several clock-command timers behind the engine service's one `timer` (the auctions'
and the block allegations'): each turn the first with a command due gives it, and the
others are asked again on the next turn, a read's wait later."""

from collections.abc import Callable

from engine.commands import Command

Timer = Callable[[], Command | None]


class Timers:
    __slots__ = ("timers",)

    def __init__(self, *timers: Timer) -> None:
        self.timers = timers

    def __call__(self) -> Command | None:
        for timer in self.timers:
            command = timer()
            if command is not None:
                return command
        return None
