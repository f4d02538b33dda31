"""A member's FIX 4.4 client over websocket, on the gateway's own codec: the initiator
side of the session (logon, heartbeats, sequencing, resend, logout) and typed requests
(place, amend, cancel, mass cancel, status, security list, market data, and block
trades through `client.blocks`, gateway/client/block_trades.py).

    async with MemberClient(url, "M1-OE", password, store=ClientStore(path)) as client:
        client_order_id = await client.place("BUYER", "TJEA25", Side.BUY, 10, "50.50")
        ack = await client.answer(client_order_id)  # New, or Rejected with its Text
        async for report in client.execution_reports(): ...

The session's sequence numbers are kept per trading day in the ClientStore, so a client
started again the same day continues the session: the exchange's Logon then shows a
MsgSeqNum past the last one seen, the client asks for the gap, and the execution reports
sent while it was away come back (PossDupFlag 43=Y). The client never resends its own
orders: a ResendRequest from the exchange is answered with a gap fill, because an order
replayed minutes late is one nobody meant to send.
"""

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from engine.money import format_cny, parse_cny
from engine.orders import OrderType, Side, TimeInForce
from gateway.client.block_trades import BlockReport, BlockTrades
from gateway.client.messages import (
    MD_ENTRY_TYPE,
    MD_REQ_ID,
    CancelReject,
    ExecutionReport,
    MarketDataUpdate,
    MassCancelReport,
    Security,
    cancel_reject,
    execution_report,
    market_data,
    mass_cancel_report,
    security_list,
)
from gateway.client.store import ClientStore, OrderIdentity, SessionDay
from gateway.fix import tags
from gateway.fix.codec import GarbledFrame, encode, parse
from gateway.fix.dictionary import load_dictionary
from gateway.fix.message import Message
from gateway.fix.tags import MsgType
from gateway.fix.timestamps import NS_PER_SECOND, format_utc_timestamp
from gateway.trading.tags import Tag
from surveillance.market_data.depth import DEPTH

log = logging.getLogger(__name__)

EXCHANGE_COMP_ID = "TCX"
EXCHANGE_TIMEZONE = ZoneInfo("Asia/Shanghai")  # the exchange's trading day is Beijing's date
DEFAULT_HEARTBEAT_S = 30
ANSWER_TIMEOUT_S = 10.0
LOGOUT_TIMEOUT_S = 5.0
_DICTIONARY = load_dictionary()

Answer = (
    ExecutionReport | CancelReject | MassCancelReport | BlockReport | list[Security | BlockReport]
)


class MemberClientError(Exception):
    """The client could not do what was asked; the message says why, for a person."""


class CannotConnect(MemberClientError):
    pass


class LogonRefused(MemberClientError):
    pass


class SessionLost(MemberClientError):
    """The session ended while something still waited on it."""


class Refused(MemberClientError):
    """The exchange would not act on a request: a session Reject (3), a
    BusinessMessageReject (j), a MarketDataRequestReject (Y) or a refused security list."""


class _End:
    """Marks the end of a feed; carries the error when the session did not end by our logout."""

    def __init__(self, error: MemberClientError | None):
        self.error = error


class MemberClient:
    def __init__(
        self,
        url: str,
        session: str,
        password: str,
        *,
        store: ClientStore,
        comp_id: str = EXCHANGE_COMP_ID,
        heartbeat_s: int = DEFAULT_HEARTBEAT_S,
        reset_sequence: bool = False,
    ):
        self.url = url
        self.session = session
        self.comp_id = comp_id
        self._password = password
        self._store = store
        self._heartbeat_s = heartbeat_s
        self._reset_sequence = reset_sequence
        self._key = SessionDay(url, session, comp_id, trading_day(time.time_ns()))
        self._ws: ClientConnection | None = None
        self._next_sender = 1
        self._next_target = 1
        self._logon_seq = 1  # the MsgSeqNum of our Logon on this connection
        self._queue: dict[int, Message | None] = {}  # ahead of a gap; None: already acted on
        self._resend_until: int | None = None  # the end of the gap we asked to be resent
        self._send_lock = asyncio.Lock()
        self._last_sent = self._last_received = time.monotonic_ns()
        self._test_request_out = False
        self._pending: dict[str, asyncio.Future] = {}  # request id -> its answer
        self._request_of_seq: dict[int, str] = {}  # our MsgSeqNum -> request id
        self._report_feeds: list[asyncio.Queue] = []
        self._market_feeds: dict[str, asyncio.Queue] = {}
        self._logging_out = False
        self._logout_received = asyncio.Event()
        self._logout_text = ""
        self._ended: MemberClientError | None = None
        self._closed = False
        self._tasks: list[asyncio.Task] = []
        self.blocks = BlockTrades(self._request, self._resolve, new_client_order_id)

    async def __aenter__(self) -> "MemberClient":
        await self.log_on()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.log_out()

    # ---- session ------------------------------------------------------------------------

    async def log_on(self) -> None:
        if self._reset_sequence:
            self._store.reset(self._key)
        self._next_sender, self._next_target = self._store.next_numbers(self._key)
        self._logon_seq = self._next_sender
        try:
            self._ws = await connect(self.url, subprotocols=["fix"], open_timeout=ANSWER_TIMEOUT_S)
        except (OSError, InvalidURI, InvalidHandshake, TimeoutError) as error:
            raise CannotConnect(f"cannot connect to {self.url}: {error}") from error
        try:
            await self._log_on()
        except BaseException:
            await self._ws.close()
            raise
        self._tasks = [
            asyncio.create_task(self._read()),
            asyncio.create_task(self._keep_alive()),
        ]

    async def _log_on(self) -> None:
        logon = [
            (tags.ENCRYPT_METHOD, "0"),
            (tags.HEART_BT_INT, str(self._heartbeat_s)),
            (tags.USERNAME, self.session),
            (tags.PASSWORD, self._password),
        ]
        if self._reset_sequence:
            logon.insert(2, (tags.RESET_SEQ_NUM_FLAG, "Y"))
        await self._send(MsgType.LOGON, logon)
        try:
            frame = await asyncio.wait_for(self._ws.recv(), ANSWER_TIMEOUT_S)
            reply = parse(_bytes(frame), _DICTIONARY.data_length)
        except ConnectionClosed as closed:
            raise LogonRefused(
                f"the exchange closed the connection without answering the Logon of "
                f"{self.session}: another connection may be logged on as {self.session} "
                f"(one per session), or the exchange's CompID is not {self.comp_id!r}"
            ) from closed
        except TimeoutError as silence:
            raise LogonRefused(
                f"no answer to the Logon within {ANSWER_TIMEOUT_S:.0f} s"
            ) from silence
        except GarbledFrame as garbled:
            raise LogonRefused(f"the answer to the Logon is not FIX: {garbled}") from garbled
        self._last_received = time.monotonic_ns()
        if reply.msg_type == MsgType.LOGOUT:
            text = reply.get(tags.TEXT) or "no reason given"
            if "MsgSeqNum too low" in text:
                text += (
                    "; this client's sequence numbers are behind the exchange's "
                    "(--reset-sequence starts the session's day over)"
                )
            raise LogonRefused(f"logon refused: {text}")
        if reply.msg_type != MsgType.LOGON:
            raise LogonRefused(f"the exchange answered the Logon with MsgType {reply.msg_type}")
        seq = reply.seq_num or 0
        if seq < self._next_target:
            text = f"MsgSeqNum too low, expecting {self._next_target} but received {seq}"
            await self._send(MsgType.LOGOUT, [(tags.TEXT, text)])
            raise LogonRefused(
                f"the exchange numbers this session from {seq} but this client expects "
                f"{self._next_target}: the exchange started the session over (a new demo "
                "market?); --reset-sequence starts over with it"
            )
        if seq == self._next_target:
            self._advance()
        else:
            self._queue[seq] = None
            await self._ask_resend(seq)

    async def log_out(self) -> None:
        """The Logout handshake: ours, then the exchange's, then the connection closes."""
        if self._closed:
            return
        if self._ended is None and self._ws is not None:
            self._logging_out = True
            with contextlib.suppress(MemberClientError):
                await self._send(MsgType.LOGOUT, [])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._logout_received.wait(), LOGOUT_TIMEOUT_S)
        await self._close(None)

    async def _close(self, error: MemberClientError | None) -> None:
        self._closed = True
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        if self._ws is not None:
            await self._ws.close()
        self._end(error or SessionLost("logged out"), clean=error is None)

    def _end(self, error: MemberClientError, clean: bool) -> None:
        """Everyone still waiting learns the session is over."""
        if self._ended is not None:
            return
        self._ended = error
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        for queue in [*self._report_feeds, *self._market_feeds.values()]:
            queue.put_nowait(_End(None if clean else error))

    async def _read(self) -> None:
        error: MemberClientError = SessionLost("the exchange closed the connection")
        try:
            async for frame in self._ws:
                try:
                    message = parse(_bytes(frame), _DICTIONARY.data_length)
                except GarbledFrame as garbled:
                    log.warning("garbled frame from the exchange ignored: %s", garbled)
                    continue
                self._last_received = time.monotonic_ns()
                self._test_request_out = False
                if not await self._on_message(message):
                    error = SessionLost(f"the exchange logged us out: {self._logout_text}")
                    break
        except ConnectionClosed:
            pass
        except MemberClientError as failure:
            error = failure
        if not self._logging_out:
            log.info("%s: %s", self.session, error)
        await self._close(None if self._logging_out else error)

    async def _keep_alive(self) -> None:
        """Heartbeat when we have been quiet; TestRequest, then give up, when the exchange has."""
        interval = self._heartbeat_s * NS_PER_SECOND
        while True:
            now = time.monotonic_ns()
            silent = now - self._last_received
            if silent >= interval * 24 // 10:
                await self._close(SessionLost(f"no word from the exchange for {silent // 10**9} s"))
                return
            if silent >= interval * 12 // 10 and not self._test_request_out:
                self._test_request_out = True
                await self._send(MsgType.TEST_REQUEST, [(tags.TEST_REQ_ID, f"T{now}")])
            elif now - self._last_sent >= interval:
                await self._send(MsgType.HEARTBEAT, [])
            await asyncio.sleep(self._heartbeat_s / 10)

    # ---- inbound: sequencing ------------------------------------------------------------

    async def _on_message(self, message: Message) -> bool:
        """False once the exchange has logged us out."""
        msg_type, seq = message.msg_type, message.seq_num or 0
        if msg_type == MsgType.LOGOUT:
            self._logout_text = message.get(tags.TEXT) or "no reason given"
            if seq == self._next_target:
                self._advance()
            if not self._logging_out:
                await self._send(MsgType.LOGOUT, [])
            self._logout_received.set()
            return False
        if msg_type == MsgType.RESEND_REQUEST:
            await self._gap_fill(message.get_int(tags.BEGIN_SEQ_NO) or 1)
        if msg_type == MsgType.SEQUENCE_RESET and not message.get_flag(tags.GAP_FILL_FLAG):
            self._set_next_target(message.get_int(tags.NEW_SEQ_NO) or self._next_target)
            return True
        if seq > self._next_target:
            self._queue[seq] = None if msg_type == MsgType.RESEND_REQUEST else message
            if self._resend_until is None:
                await self._ask_resend(seq)
            return True
        if seq < self._next_target:
            if message.get_flag(tags.POSS_DUP_FLAG):
                return True  # a resent message we have already had
            text = f"MsgSeqNum too low, expecting {self._next_target} but received {seq}"
            await self._send(MsgType.LOGOUT, [(tags.TEXT, text)])
            raise SessionLost(text)
        await self._accept(message)
        while self._next_target in self._queue:
            queued = self._queue.pop(self._next_target)
            if queued is None:
                self._advance()
            else:
                await self._accept(queued)
        for stale in [s for s in self._queue if s < self._next_target]:
            del self._queue[stale]
        if self._resend_until is not None and self._next_target > self._resend_until:
            self._resend_until = None
        return True

    async def _accept(self, message: Message) -> None:
        """`message` is the one expected next."""
        msg_type = message.msg_type
        if msg_type == MsgType.SEQUENCE_RESET:  # a gap fill
            self._set_next_target(max(message.get_int(tags.NEW_SEQ_NO) or 0, self._next_target))
            return
        self._advance()
        if msg_type == MsgType.TEST_REQUEST:
            await self._send(MsgType.HEARTBEAT, [(tags.TEST_REQ_ID, message.get(112) or "")])
        elif msg_type == MsgType.REJECT:
            request = self._request_of_seq.get(message.get_int(tags.REF_SEQ_NUM) or 0)
            self._fail(request, Refused(f"session Reject: {message.get(tags.TEXT)}"))
        elif not _DICTIONARY.is_admin(msg_type):
            self._dispatch(message)

    async def _ask_resend(self, seq: int) -> None:
        self._resend_until = seq - 1
        begin = str(self._next_target)
        await self._send(
            MsgType.RESEND_REQUEST, [(tags.BEGIN_SEQ_NO, begin), (tags.END_SEQ_NO, "0")]
        )

    async def _gap_fill(self, begin: int) -> None:
        """Answer a ResendRequest: nothing of ours is replayed, the numbers are skipped up
        to this connection's Logon. What was sent on this connection the exchange has (one
        ordered stream): a fill past the Logon would skip orders it holds behind the gap."""
        new_seq = self._logon_seq if begin < self._logon_seq else self._next_sender
        async with self._send_lock:
            now = format_utc_timestamp(time.time_ns())
            gap_fill = Message.of(
                MsgType.SEQUENCE_RESET,
                (tags.MSG_SEQ_NUM, str(begin)),
                (tags.SENDER_COMP_ID, self.session),
                (tags.SENDING_TIME, now),
                (tags.TARGET_COMP_ID, self.comp_id),
                (tags.POSS_DUP_FLAG, "Y"),
                (tags.ORIG_SENDING_TIME, now),
                (tags.GAP_FILL_FLAG, "Y"),
                (tags.NEW_SEQ_NO, str(new_seq)),
            )
            await self._transmit(gap_fill)

    def _advance(self) -> None:
        self._set_next_target(self._next_target + 1)

    def _set_next_target(self, seq: int) -> None:
        self._next_target = seq
        self._store.raise_numbers(self._key, self._next_sender, seq)

    # ---- inbound: application messages --------------------------------------------------

    def _dispatch(self, message: Message) -> None:
        match message.msg_type:
            case "8":
                report = execution_report(message)
                self._remember(report)
                request = message.get(Tag.OrdStatusReqID) or report.client_order_id
                self._resolve(request, report)
                for queue in self._report_feeds:
                    queue.put_nowait(report)
            case "9":
                self._resolve(message.get(Tag.ClOrdID), cancel_reject(message))
            case "r":
                self._resolve(message.get(Tag.ClOrdID), mass_cancel_report(message))
            case "y":
                request = message.get(Tag.SecurityReqID)
                result = message.get(Tag.SecurityRequestResult)
                if result == "0":
                    self._resolve(request, security_list(message))
                else:
                    self._fail(request, Refused(f"security list refused: result (560) {result}"))
            case "AR" | "AE" | "AQ":
                block = self.blocks.on_message(message)
                if block is not None:
                    for queue in self._report_feeds:
                        queue.put_nowait(block)
            case "j":
                self._business_reject(message)
            case "W" | "X":
                update = market_data(message)
                request = message.get(MD_REQ_ID)
                feeds = [self._market_feeds[request]] if request in self._market_feeds else []
                for queue in feeds or self._market_feeds.values():
                    queue.put_nowait(update)
            case "Y":
                queue = self._market_feeds.get(message.get(MD_REQ_ID) or "")
                if queue is not None:
                    refusal = Refused(f"market data refused: {message.get(tags.TEXT)}")
                    queue.put_nowait(_End(refusal))
            case other:
                log.info("MsgType %s from the exchange not handled by this client", other)

    def _business_reject(self, message: Message) -> None:
        text = f"{message.get(tags.TEXT)} (BusinessRejectReason {message.get(380)})"
        request = message.get(Tag.BusinessRejectRefID) or self._request_of_seq.get(
            message.get_int(tags.REF_SEQ_NUM) or 0
        )
        if request:
            self._fail(request, Refused(text))
        elif message.get(Tag.RefMsgType) == "V":
            for queue in self._market_feeds.values():
                queue.put_nowait(_End(Refused(f"market data refused: {text}")))

    def _remember(self, report: ExecutionReport) -> None:
        if report.account and report.symbol and report.side is not None:
            identity = OrderIdentity(report.account, report.symbol, report.side)
            for client_order_id in (report.client_order_id, report.orig_client_order_id):
                if client_order_id and client_order_id != "NONE":
                    self._store.remember_order(self._key, client_order_id, identity)

    def _resolve(self, request: str | None, answer: Answer) -> None:
        future = self._pending.get(request or "")
        if future is not None and not future.done():
            future.set_result(answer)

    def _fail(self, request: str | None, error: MemberClientError) -> None:
        future = self._pending.get(request or "")
        if future is not None and not future.done():
            future.set_exception(error)

    # ---- outbound -----------------------------------------------------------------------

    async def _send(self, msg_type: str, body: list[tuple[int, str]]) -> int:
        async with self._send_lock:
            seq = self._next_sender
            message = Message.of(
                msg_type,
                (tags.MSG_SEQ_NUM, str(seq)),
                (tags.SENDER_COMP_ID, self.session),
                (tags.SENDING_TIME, format_utc_timestamp(time.time_ns())),
                (tags.TARGET_COMP_ID, self.comp_id),
                *body,
            )
            self._next_sender = seq + 1
            self._store.raise_numbers(self._key, self._next_sender, self._next_target)
            await self._transmit(message)
            return seq

    async def _transmit(self, message: Message) -> None:
        try:
            await self._ws.send(encode(message, _DICTIONARY.begin_string).decode())
        except ConnectionClosed as closed:
            raise SessionLost("the connection to the exchange is closed") from closed
        self._last_sent = time.monotonic_ns()

    async def _request(self, msg_type: str, request: str, body: list[tuple[int, str]]) -> None:
        """Send a request whose answer `answer(request)` will return."""
        if self._ended is not None:
            raise self._ended
        future = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieved)
        self._pending[request] = future
        self._request_of_seq[await self._send(msg_type, body)] = request

    async def answer(self, request: str, timeout: float = ANSWER_TIMEOUT_S) -> Answer:
        """The exchange's first answer to the request with this id (a ClOrdID from place,
        amend, cancel or mass_cancel): an ExecutionReport (New, Rejected, Canceled,
        Replaced), a CancelReject or a MassCancelReport. Raises Refused or SessionLost."""
        future = self._pending.get(request)
        if future is None:
            raise MemberClientError(f"no request {request!r} was sent by this client")
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError as silence:
            raise MemberClientError(f"no answer to {request} within {timeout:.0f} s") from silence
        finally:
            if future.done():
                del self._pending[request]

    # ---- requests -----------------------------------------------------------------------

    async def place(
        self,
        account: str,
        symbol: str,
        side: Side,
        quantity: int,
        price: str | Decimal | None = None,
        order_type: OrderType | None = None,
        time_in_force: TimeInForce | None = None,
        client_order_id: str | None = None,
    ) -> str:
        """NewOrderSingle (D); returns its ClOrdID. A limit order without a time in force
        is a day order, a market order (no price) is immediate-or-cancel."""
        if order_type is None:
            order_type = OrderType.MARKET if price is None else OrderType.LIMIT
        if order_type == OrderType.LIMIT and price is None:
            raise ValueError("a limit order needs a price")
        if order_type == OrderType.MARKET and price is not None:
            raise ValueError("a market order takes no price: it trades up to the band's edge")
        client_order_id = client_order_id or new_client_order_id()
        body = [
            (Tag.Account, account),
            (Tag.ClOrdID, client_order_id),
            (Tag.OrderQty, _tonnes(quantity)),
            (Tag.OrdType, str(int(order_type))),
        ]
        if price is not None:
            body.append((Tag.Price, _price(price)))
        body += [(Tag.Side, str(int(Side(side)))), (Tag.Symbol, symbol)]
        if time_in_force is not None:
            body.append((Tag.TimeInForce, str(int(time_in_force))))
        body.append((Tag.TransactTime, _now()))
        identity = OrderIdentity(account, symbol, Side(side))
        self._store.remember_order(self._key, client_order_id, identity)
        await self._request("D", client_order_id, body)
        return client_order_id

    async def amend(
        self,
        orig_client_order_id: str,
        quantity: int,
        price: str | Decimal,
        client_order_id: str | None = None,
    ) -> str:
        """OrderCancelReplaceRequest (G) of a resting limit order: its new total quantity
        and price. Lowering the quantity keeps the order's time priority; any other change
        sends it to the back of its price level. Returns the request's ClOrdID, which
        becomes the order's."""
        order = self._identity(orig_client_order_id)
        client_order_id = client_order_id or new_client_order_id()
        body = [
            (Tag.Account, order.account),
            (Tag.ClOrdID, client_order_id),
            (Tag.OrderQty, _tonnes(quantity)),
            (Tag.OrdType, str(int(OrderType.LIMIT))),
            (Tag.OrigClOrdID, orig_client_order_id),
            (Tag.Price, _price(price)),
            (Tag.Side, str(int(order.side))),
            (Tag.Symbol, order.symbol),
            (Tag.TransactTime, _now()),
        ]
        self._store.remember_order(self._key, client_order_id, order)
        await self._request("G", client_order_id, body)
        return client_order_id

    async def cancel(self, orig_client_order_id: str, client_order_id: str | None = None) -> str:
        """OrderCancelRequest (F); returns the request's ClOrdID."""
        order = self._identity(orig_client_order_id)
        client_order_id = client_order_id or new_client_order_id()
        body = [
            (Tag.Account, order.account),
            (Tag.ClOrdID, client_order_id),
            (Tag.OrigClOrdID, orig_client_order_id),
            (Tag.Side, str(int(order.side))),
            (Tag.Symbol, order.symbol),
            (Tag.TransactTime, _now()),
        ]
        self._store.remember_order(self._key, client_order_id, order)
        await self._request("F", client_order_id, body)
        return client_order_id

    async def mass_cancel(self, symbol: str | None = None, account: str | None = None) -> str:
        """OrderMassCancelRequest (q): the member's orders (or one account's), in one
        instrument or all; returns the request's ClOrdID (answer: a MassCancelReport)."""
        client_order_id = new_client_order_id()
        body = [(Tag.ClOrdID, client_order_id), (Tag.MassCancelRequestType, "1" if symbol else "7")]
        if account:  # tcx's user-defined MassCancelAccount: FIX 4.4's q has no Account (1)
            body.append((Tag.MassCancelAccount, account))
        if symbol:
            body.append((Tag.Symbol, symbol))
        body.append((Tag.TransactTime, _now()))
        await self._request("q", client_order_id, body)
        return client_order_id

    async def status(self, client_order_id: str) -> ExecutionReport:
        """OrderStatusRequest (H): the order as the exchange has it now (ExecType I). An
        order not yet acknowledged is not known there yet: await its answer first."""
        order = self._identity(client_order_id)
        request = new_client_order_id()
        body = [
            (Tag.Account, order.account),
            (Tag.ClOrdID, client_order_id),
            (Tag.Side, str(int(order.side))),
            (Tag.Symbol, order.symbol),
            (Tag.OrdStatusReqID, request),
        ]
        await self._request("H", request, body)
        return await self.answer(request)

    async def security_list(self) -> list[Security]:
        """SecurityListRequest (x) for all instruments, with their trading rules."""
        request = new_client_order_id()
        await self._request(
            "x", request, [(Tag.SecurityReqID, request), (Tag.SecurityListRequestType, "4")]
        )
        return await self.answer(request)

    def execution_reports(self) -> AsyncIterator[ExecutionReport | BlockReport]:
        """Every execution report and block trade report from now on (recovered ones
        included, PossDup set), until we log out; raises SessionLost if the session ends
        otherwise."""
        queue: asyncio.Queue = asyncio.Queue()
        self._report_feeds.append(queue)
        return _feed(queue, lambda: self._report_feeds.remove(queue))

    async def market_data(self, symbols: list[str]) -> AsyncIterator[MarketDataUpdate]:
        """MarketDataRequest (V), snapshot plus updates (263=1), as deep as the exchange
        publishes, bids, offers and trades: a snapshot (W) per symbol, then incremental
        refreshes (X). Raises Refused from the iterator when the exchange refuses."""
        request = new_client_order_id()
        queue: asyncio.Queue = asyncio.Queue()
        self._market_feeds[request] = queue
        body = [
            (MD_REQ_ID, request),
            (263, "1"),
            (264, str(DEPTH)),
            (265, "1"),
            (267, "3"),
            (MD_ENTRY_TYPE, "0"),
            (MD_ENTRY_TYPE, "1"),
            (MD_ENTRY_TYPE, "2"),
            (Tag.NoRelatedSym, str(len(symbols))),
            *((Tag.Symbol, symbol) for symbol in symbols),
        ]
        await self._send("V", body)
        return _feed(queue, lambda: self._market_feeds.pop(request, None))

    def _identity(self, client_order_id: str) -> OrderIdentity:
        order = self._store.order(self._key, client_order_id)
        if order is None:
            raise MemberClientError(
                f"order {client_order_id} is unknown to this client: it was neither placed "
                f"nor reported on session {self.session} today"
            )
        return order


async def _feed(queue: asyncio.Queue, unsubscribe: Callable[[], object]) -> AsyncIterator:
    try:
        while not isinstance(item := await queue.get(), _End):
            yield item
        if item.error is not None:
            raise item.error
    finally:
        unsubscribe()


def trading_day(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / NS_PER_SECOND, EXCHANGE_TIMEZONE).date().isoformat()


def new_client_order_id() -> str:
    """Short enough to type: the Beijing time and four random hex digits (101502-a3f9)."""
    return f"{dt.datetime.now(EXCHANGE_TIMEZONE):%H%M%S}-{secrets.token_hex(2)}"


def _price(price: str | Decimal) -> str:
    return format_cny(parse_cny(price))


def _tonnes(quantity: int) -> str:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValueError(f"quantity {quantity!r} is not a whole number of tonnes")
    return str(quantity)


def _now() -> str:
    return format_utc_timestamp(time.time_ns())


def _bytes(frame: str | bytes) -> bytes:
    return frame.encode() if isinstance(frame, str) else frame


def _retrieved(future: asyncio.Future) -> None:
    """An answer nobody awaited is not an error to report at exit."""
    if not future.cancelled():
        future.exception()
