"""The members' FIX websocket, served by picows on its own port (`fix_port`, path /fix): one
tag=value FIX message per text or binary frame, or with the `fix-json` sub-protocol one
message in the FIX JSON encoding per text frame. All websocket frame handling is in this
module, so the transport can be swapped again without touching the session layer.

picows is callback based and costs a fraction of an ASGI websocket per message: a frame is
handed to its session as it arrives, and what the session sends is written to the socket at
once (the acceptor already holds frames back until the store has committed, once per event
loop turn). A timer per connection wakes the session at its next deadline (heartbeat,
TestRequest, timeouts). Websocket ping/pong is not a FIX heartbeat.
"""

import asyncio
import logging
import time

from picows import (
    WSCloseCode,
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
    ws_create_server,
)

from gateway.fix.acceptor import Acceptor
from gateway.fix.json_encoding import JsonEncoding
from gateway.fix.session import Session
from gateway.fix.timestamps import NS_PER_SECOND

log = logging.getLogger(__name__)

PATH = b"/fix"
TAG_VALUE = "fix"  # the default, also when no sub-protocol is asked for
JSON = "fix-json"
# A member this far behind is not reading: it is disconnected rather than allowed to fill
# the gateway's memory (what it missed stays in the store for a ResendRequest).
MAX_UNSENT_BYTES = 4 * 1024 * 1024
SEND_TIMEOUT_S = 30.0  # the longest the socket may refuse more data before the member is cut
MAX_MESSAGE_BYTES = 1024 * 1024  # a websocket message, fragments included


class FixServer:
    """The listening socket and the connections it accepted, for a clean stop."""

    def __init__(self, acceptor: Acceptor):
        self.acceptor = acceptor
        self.json = JsonEncoding(acceptor.dictionary)
        self.connections: set[FixConnection] = set()
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        """Listens on `host`:`port` (0: a free one); returns the port."""
        self._server = await ws_create_server(
            self._upgrade,
            host,
            port,
            max_frame_size=MAX_MESSAGE_BYTES,
            logger_name="tcx.fix",
        )
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stops listening and closes every connection (their sessions see a disconnect)."""
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            connection.close(WSCloseCode.GOING_AWAY)
        if self._server is not None:
            await self._server.wait_closed()

    def _upgrade(self, request: WSUpgradeRequest) -> WSUpgradeResponseWithListener | None:
        if request.path.split(b"?", 1)[0] != PATH:
            return None  # 404
        requested = [
            name.strip()
            for header in request.headers.getall("Sec-WebSocket-Protocol", [])
            for name in header.split(",")
        ]
        encoding = self.json if JSON in requested else None
        chosen = JSON if encoding else TAG_VALUE if TAG_VALUE in requested else None
        headers = {"Sec-WebSocket-Protocol": chosen} if chosen else None
        return WSUpgradeResponseWithListener(
            WSUpgradeResponse.create_101_response(headers), FixConnection(self, encoding)
        )


class FixConnection(WSListener):
    """One member's connection: the session's transport, and its frames' way in."""

    def __init__(self, server: FixServer, encoding: JsonEncoding | None):
        super().__init__()
        self._server = server
        self._encoding = encoding
        self._ws: WSTransport | None = None
        self._session: Session | None = None
        self._fragments = bytearray()
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_deadline = 0
        self._check_due = False
        self._stalled: asyncio.TimerHandle | None = None
        self._closed = False

    # ---- picows callbacks ---------------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._ws = transport
        peer = transport.underlying_transport.get_extra_info("peername")
        self._server.connections.add(self)
        self._session = self._server.acceptor.open(
            self, peer[0] if peer else "unknown", time.time_ns()
        )
        self._arm_timer()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        msg_type = frame.msg_type
        if msg_type is WSMsgType.CLOSE:
            # The member has gone as of now (nothing more reaches it); the session closes
            # this connection, answering the close, once what it held back is stored.
            self._session.on_disconnect()
            return
        if msg_type not in (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION):
            return  # ping and pong: picows answers pings itself
        if not frame.fin or self._fragments:
            self._fragments += frame.get_payload_as_memoryview()
            if len(self._fragments) > MAX_MESSAGE_BYTES:
                self.close(WSCloseCode.MESSAGE_TOO_BIG)
                return
            if not frame.fin:
                return
            payload, self._fragments = bytes(self._fragments), bytearray()
        else:
            payload = frame.get_payload_as_bytes()
        try:
            if self._encoding is not None and msg_type is not WSMsgType.BINARY:
                payload = self._encoding.to_frame(payload.decode())
            self._session.on_frame(payload, time.time_ns())
        except Exception:
            # A fault handling one member's frame ends that connection, never the gateway.
            log.exception("%s: session failed; closing its connection", self._session.peer)
            self.close(WSCloseCode.INTERNAL_ERROR)
            return
        self._arm_timer()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._closed = True
        self._server.connections.discard(self)
        for handle in (self._timer, self._stalled):
            if handle is not None:
                handle.cancel()
        if self._session is not None:
            self._session.on_disconnect()

    def pause_writing(self) -> None:
        """The socket takes no more for now: a member that stays this way is cut off."""
        if self._stalled is None:
            self._stalled = self._loop.call_later(SEND_TIMEOUT_S, self._send_timed_out)

    def resume_writing(self) -> None:
        if self._stalled is not None:
            self._stalled.cancel()
            self._stalled = None

    # ---- the session's transport --------------------------------------------------------

    def send(self, frame: bytes) -> None:
        if self._closed:
            return
        if self._encoding is None:
            self._ws.send(WSMsgType.TEXT, frame)
        else:
            self._ws.send(WSMsgType.TEXT, self._encoding.from_frame(frame))
        if not self._check_due:  # once per loop turn, however many frames went out
            self._check_due = True
            self._loop.call_soon(self._after_sending)

    def close(self, code: WSCloseCode = WSCloseCode.OK) -> None:
        """Closes the connection after what was sent (at once when the member is not
        reading, or the fault is ours: then nothing more would get through)."""
        if self._closed:
            return
        self._closed = True
        self._ws.send_close(code)
        self._ws.disconnect(graceful=code in (WSCloseCode.OK, WSCloseCode.GOING_AWAY))

    # ---- upkeep -------------------------------------------------------------------------

    def _after_sending(self) -> None:
        self._check_due = False
        if self._closed:
            return
        unsent = self._ws.underlying_transport.get_write_buffer_size()
        if unsent > MAX_UNSENT_BYTES:
            log.warning("%s: %d bytes unread: disconnecting", self._session.peer, unsent)
            self.close(WSCloseCode.POLICY_VIOLATION)
            return
        self._arm_timer()

    def _send_timed_out(self) -> None:
        log.warning("%s: not reading for %.0f s: disconnecting", self._session.peer, SEND_TIMEOUT_S)
        self._ws.disconnect(graceful=False)

    def _arm_timer(self) -> None:
        """Sets the timer for the session's next deadline when that is now earlier than the
        one it waits for (a Logon or Logout changes the timers; traffic only defers them,
        and the timer looks again when it fires)."""
        deadline = self._session.next_deadline()
        if deadline is None or (self._timer is not None and self._timer_deadline <= deadline):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_deadline = deadline
        delay = max(0.0, (deadline - time.time_ns()) / NS_PER_SECOND)
        self._timer = self._loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        session = self._session
        deadline = session.next_deadline()
        if deadline is None:
            return
        now = time.time_ns()
        if now >= deadline:
            try:
                session.on_timer(now)
            except Exception:
                log.exception("%s: session timer failed; closing its connection", session.peer)
                self.close(WSCloseCode.INTERNAL_ERROR)
                return
        self._arm_timer()
