"""The end-to-end bench's member session: bench.gateway's FIX frames (the same minimal
encoder and exchange set-up), with amends in the mix and every answer kept for the end
checks.

Each session trades its own funded account. Its mix: 40% day limit orders resting within
50 ticks of the mid, 20% IOC orders crossing the spread, 15% amends and 25% cancels of its
own resting orders. A session never keeps more than `RESTING_CAP` orders resting (past it,
it cancels), so a long run holds a steady book instead of one that grows without bound.
"""

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from bench.gateway import MID, SYMBOL, Answers, Member, field_of

NEW, CROSS, AMEND, CANCEL = "new", "cross", "amend", "cancel"
MIX = ((NEW, 0.40), (CROSS, 0.20), (AMEND, 0.15), (CANCEL, 0.25))
RESTING_CAP = 100
ACCEPTED = {b"0": NEW, b"4": CANCEL, b"5": AMEND}  # ExecType of an accepted request
_CL_ORD_ID, _EXEC_TYPE = b"\x0111=", b"\x01150="
_ORD_STATUS, _TRD_MATCH_ID = b"\x0139=", b"\x01880="
# OrdStatus of an order no longer on the book: filled, cancelled, expired
_CLOSED = {b"2", b"4", b"C"}


@dataclass
class Tally:
    """Everything the sessions saw, for the figures and the end checks."""

    sent_ns: dict[bytes, int] = field(default_factory=dict)  # ClOrdID -> when it was sent
    acks: list[tuple[int, int, str]] = field(default_factory=list)  # answered at, latency, kind
    accepted: dict[str, str] = field(default_factory=dict)  # ClOrdID -> request kind
    rejected: int = 0  # ExecutionReport Rejected or OrderCancelReject
    trade_sent_ns: dict[int, int] = field(default_factory=dict)  # TrdMatchID -> its trigger
    trade_reports: dict[int, int] = field(default_factory=dict)  # TrdMatchID -> reports seen
    trade_quantity: dict[int, int] = field(default_factory=dict)  # TrdMatchID -> tonnes


class Trader(Member):
    """One order-entry session sending the e2e mix; bench.gateway's Member for the logon,
    the framing and the outstanding requests, with answers kept in a Tally."""

    def __init__(self, number: int, rng: random.Random, tally: Tally):
        super().__init__(number, 0, rng, Answers())
        self.tally = tally
        self.outstanding: dict[bytes, tuple[int, str]] = {}  # ClOrdID -> sent ns, kind
        self.resting: dict[bytes, tuple[int, int]] = {}  # ClOrdID -> side, price

    async def log_out(self) -> None:
        self._send(b"5", b"")
        await self.connection.close()

    def choose(self) -> str:
        if len(self.resting) >= RESTING_CAP:
            return CANCEL
        draw = self.rng.random()
        for kind, share in MIX:
            if draw < share:
                return kind if kind in (NEW, CROSS) or self.resting else NEW
            draw -= share
        return NEW

    async def send_request(self) -> None:
        """The next request of the mix."""
        kind = self.choose()
        self.sent += 1
        client_order_id = f"{self.prefix}{self.sent}".encode()
        if kind in (AMEND, CANCEL):
            victim = self.rng.choice(list(self.resting))
            side, price = self.resting.pop(victim)
            if kind == CANCEL:
                body = b"1=%s\x0111=%s\x0141=%s\x0154=%d\x0155=%s\x0160=%s\x01" % (
                    self.account,
                    client_order_id,
                    victim,
                    side,
                    SYMBOL.encode(),
                    self.clock.now(),
                )
                self._request(b"F", client_order_id, body, kind)
                return
            price = self._resting_price(side)
            body = self._order(b"0", client_order_id, side, price) + b"41=%s\x01" % victim
            self._request(b"G", client_order_id, body, kind)
            return
        side = self.rng.choice((1, 2))
        if kind == CROSS:
            price = MID + 20 if side == 1 else MID - 20
            self._request(
                b"D", client_order_id, self._order(b"3", client_order_id, side, price), kind
            )
            return
        price = self._resting_price(side)
        self._request(b"D", client_order_id, self._order(b"0", client_order_id, side, price), kind)

    def _resting_price(self, side: int) -> int:
        offset = self.rng.randint(1, 50)
        return MID - offset if side == 1 else MID + offset

    def _order(self, time_in_force: bytes, client_order_id: bytes, side: int, price: int) -> bytes:
        return (
            b"1=%s\x0111=%s\x0138=%d\x0140=2\x0144=%d.%02d\x0154=%d\x0155=%s\x0159=%s\x0160=%s\x01"
            % (
                self.account,
                client_order_id,
                self.rng.randint(1, 100),
                *divmod(price, 100),
                side,
                SYMBOL.encode(),
                time_in_force,
                self.clock.now(),
            )
        )

    def _request(self, msg_type: bytes, client_order_id: bytes, body: bytes, kind: str) -> None:
        sent = time.perf_counter_ns()
        self.outstanding[client_order_id] = (sent, kind)
        self.tally.sent_ns[client_order_id] = sent
        self._send(msg_type, body)

    def on_answer(self, frame: bytes, msg_type: bytes) -> None:
        if msg_type in (b"8", b"9"):
            self._answer(frame, msg_type)

    def _answer(self, frame: bytes, msg_type: bytes) -> None:
        now = time.perf_counter_ns()
        client_order_id = field_of(frame, _CL_ORD_ID)
        exec_type = field_of(frame, _EXEC_TYPE)
        if exec_type == b"F":
            self._trade(frame, client_order_id)
        request = self.outstanding.pop(client_order_id, None)
        if request is not None:
            sent, kind = request
            self.tally.acks.append((now, now - sent, kind))
            if msg_type == b"8" and exec_type in ACCEPTED:
                self.tally.accepted[client_order_id.decode()] = kind
            else:
                self.tally.rejected += 1
            if kind in (NEW, AMEND) and exec_type in (b"0", b"5"):
                self.resting[client_order_id] = self._side_and_price(frame)
            self.answered.set()
        if field_of(frame, _ORD_STATUS) in _CLOSED:
            self.resting.pop(client_order_id, None)

    def _trade(self, frame: bytes, client_order_id: bytes) -> None:
        """Remembers, per trade, the later of its two orders' sending (the one whose
        arrival made the trade)."""
        trade_id = int(field_of(frame, _TRD_MATCH_ID))
        tally = self.tally
        sent = tally.sent_ns.get(client_order_id, 0)
        tally.trade_sent_ns[trade_id] = max(tally.trade_sent_ns.get(trade_id, 0), sent)
        tally.trade_reports[trade_id] = tally.trade_reports.get(trade_id, 0) + 1
        tally.trade_quantity[trade_id] = int(field_of(frame, b"\x0132="))

    @staticmethod
    def _side_and_price(frame: bytes) -> tuple[int, int]:
        units, _, cents = field_of(frame, b"\x0144=").partition(b".")
        return int(field_of(frame, b"\x0154=")), int(units) * 100 + int(cents.ljust(2, b"0")[:2])


def traders(sessions: int, seed: int, tally: Tally) -> Iterator[Trader]:
    for number in range(sessions):
        yield Trader(number, random.Random(seed * 1000 + number), tally)
