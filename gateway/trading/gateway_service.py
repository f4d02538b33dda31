"""The gateway's side of the stream: commands out to the engine, events in from it.

Every event the engine publishes passes through here once, in order, to whoever listens
(execution reports for FIX sessions, market data, the dashboard), and to any supervisor
request waiting for the event that answers its command.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence

from prometheus_client import Counter, Gauge

from engine.commands import Command, EndOfDay
from engine.events import CommandRejected, Event
from engine.stream import COMMANDS_TOPIC, EVENTS_TOPIC, Stream
from gateway.trading.command_replies import answers

log = logging.getLogger("tcx.gateway")

COMMANDS_SENT = Counter("tcx_gateway_commands", "Commands the gateway sent to the engine")
EVENTS_SEEN = Counter("tcx_gateway_events", "Events the gateway received")
LAST_SEQ = Gauge("tcx_gateway_last_seq", "Sequence number of the last event the gateway saw")

Listener = Callable[[Sequence[Event]], None]


class RequestTimeout(Exception):
    """The engine did not answer in time; the command may still be applied later."""


class _Waiter:
    __slots__ = ("command", "events", "expected", "future")

    def __init__(self, command: Command, expected: int, future: asyncio.Future):
        self.command = command
        self.expected = expected
        self.events: list[Event] = []
        self.future = future


class GatewayService:
    def __init__(
        self,
        stream: Stream,
        instruments: int,
        idle_wait: float = 0.05,
        shutdown_wait: float = 5.0,
        name: str = "gateway",
    ):
        self.stream = stream
        self.name = name  # its consumer's: the back office's admin side reads as "admin"
        self.instruments = instruments  # an EndOfDay is answered once per instrument
        self.idle_wait = idle_wait
        self.shutdown_wait = shutdown_wait  # seconds to deliver queued commands on stopping
        self.listeners: list[Listener] = []
        self.last_seq = 0
        self._publisher = stream.publisher()
        self._waiters: list[_Waiter] = []

    async def submit(self, commands: Sequence[Command]) -> None:
        await self._publisher.publish(COMMANDS_TOPIC, commands)
        COMMANDS_SENT.inc(len(commands))

    async def request(self, command: Command, timeout: float = 10.0) -> list[Event]:
        """Submits `command` and returns the event(s) that answer it."""
        expected = self.instruments if type(command) is EndOfDay else 1
        waiter = _Waiter(command, expected, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            await self.submit([command])
            return await asyncio.wait_for(waiter.future, timeout)
        except TimeoutError:
            raise RequestTimeout(f"no answer from the engine within {timeout:.0f} s") from None
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def deliver(self, events: Sequence[Event]) -> None:
        """Hands a batch of events to the listeners and the waiting requests."""
        for listener in self.listeners:
            try:
                listener(events)
            except Exception:  # one broken listener must not starve the others
                log.exception("event listener failed", extra={"listener": repr(listener)})
        if self._waiters:
            for event in events:
                for waiter in self._waiters:
                    if not waiter.future.done() and answers(waiter.command, event):
                        waiter.events.append(event)
                        refused = isinstance(event, CommandRejected)  # the only answer
                        if refused or len(waiter.events) >= waiter.expected:
                            waiter.future.set_result(waiter.events)
        self.last_seq = events[-1].seq
        LAST_SEQ.set(self.last_seq)
        EVENTS_SEEN.inc(len(events))

    async def run(self, stop: asyncio.Event) -> None:
        consumer = self.stream.events_consumer(
            EVENTS_TOPIC, self.name, after_seq=self.last_seq, from_start=True
        )
        try:
            while not stop.is_set():
                batch = await consumer.next_batch(self.idle_wait)
                if batch.items:
                    self.deliver(batch.items)
                await consumer.commit(batch.position)
        finally:
            await consumer.close()
            await self._hand_over_commands()

    async def _hand_over_commands(self) -> None:
        """On stopping, commands still queued for the broker get a bounded wait: past it
        they are dropped, unacknowledged, and members resend them (a resent order id that
        did reach the engine is refused as a duplicate, not executed twice)."""
        try:
            await asyncio.wait_for(self._publisher.flush(), self.shutdown_wait)
        except TimeoutError:
            log.warning("stopping with commands not delivered to the engine")
        await self._publisher.close()
