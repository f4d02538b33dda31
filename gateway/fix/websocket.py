"""The /fix websocket endpoint: one tag=value FIX message per text frame, or with the
`fix-json` sub-protocol one message in the FIX JSON encoding per text frame.

Each connection gets a Session and three cooperating parts: this coroutine writes the
session's outbound frames in order (and closes the socket when the session ends), a reader
feeds inbound frames to the session, and a timer wakes the session at its next deadline
(heartbeat, TestRequest, timeouts). Websocket ping/pong is not a FIX heartbeat.
"""

import asyncio
import contextlib
import logging
import time

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from gateway.fix.acceptor import Acceptor
from gateway.fix.json_encoding import JsonEncoding
from gateway.fix.session import Session
from gateway.fix.timestamps import NS_PER_SECOND

log = logging.getLogger(__name__)

_CLOSED = None  # marks the end of the outbound queue
MAX_PENDING_FRAMES = 10_000  # a member this far behind is not reading: it is disconnected
SEND_TIMEOUT_S = 30.0
TAG_VALUE = "fix"  # the default, also when no sub-protocol is asked for
JSON = "fix-json"


class QueueTransport:
    """The session's outbound side: frames wait here for the writer, which takes all that
    have gathered at once. The queue is bounded: a member that stops reading is cut off
    rather than allowed to fill the gateway's memory (what it missed stays in the store
    for a ResendRequest)."""

    def __init__(self) -> None:
        self.frames: list[bytes | None] = []
        self.ready = asyncio.Event()  # frames are waiting
        self.wake = asyncio.Event()  # the session's next deadline came closer
        self.deadline = 0  # the one the timer sleeps towards
        self.overflowed = False

    def send(self, frame: bytes) -> None:
        if len(self.frames) >= MAX_PENDING_FRAMES:
            self.overflowed = True
            return
        self.frames.append(frame)
        self.ready.set()

    def close(self) -> None:
        self.frames.append(_CLOSED)
        self.ready.set()

    async def take(self) -> list[bytes | None]:
        """Every frame waiting, once there is at least one."""
        await self.ready.wait()
        self.ready.clear()
        frames, self.frames = self.frames, []
        return frames

    def nudge(self, session: Session) -> None:
        """Wakes the timer when the session's next deadline is now earlier than the one it
        sleeps towards (a Logon or Logout changes the timers; traffic only defers them)."""
        deadline = session.next_deadline()
        if deadline is None or deadline < self.deadline:
            self.wake.set()


def fix_router(acceptor: Acceptor) -> APIRouter:
    router = APIRouter()
    json_encoding = JsonEncoding(acceptor.dictionary)

    @router.websocket("/fix")
    async def fix_endpoint(websocket: WebSocket) -> None:
        requested = websocket.scope.get("subprotocols", [])
        encoding = json_encoding if JSON in requested else None
        chosen = JSON if encoding else TAG_VALUE if TAG_VALUE in requested else None
        await websocket.accept(subprotocol=chosen)
        peer = websocket.client.host if websocket.client else "unknown"
        transport = QueueTransport()
        session = acceptor.open(transport, peer, time.time_ns())
        reader = asyncio.create_task(_read(websocket, session, transport, encoding))
        timer = asyncio.create_task(_run_timers(session, transport))
        try:
            await _write(websocket, transport, encoding, session)
        except (WebSocketDisconnect, RuntimeError, OSError, TimeoutError) as lost:
            log.info("%s: connection lost while sending: %r", peer, lost)
        finally:
            reader.cancel()
            timer.cancel()
            session.on_disconnect()
            with contextlib.suppress(Exception):
                await websocket.close()

    return router


async def _write(
    websocket: WebSocket,
    transport: QueueTransport,
    encoding: JsonEncoding | None,
    session: Session,
) -> None:
    """Sends the session's frames in order until it closes; one timeout covers each batch
    (a timer per frame cost more than the frame)."""
    while True:
        frames = await transport.take()
        async with asyncio.timeout(SEND_TIMEOUT_S):
            for frame in frames:
                if frame is _CLOSED:
                    return
                text = encoding.from_frame(frame) if encoding else frame.decode()
                await websocket.send_text(text)
        if transport.overflowed:
            log.warning("%s: %d frames unread: disconnecting", session.peer, MAX_PENDING_FRAMES)
            return
        transport.nudge(session)


async def _read(
    websocket: WebSocket,
    session: Session,
    transport: QueueTransport,
    encoding: JsonEncoding | None,
) -> None:
    try:
        while True:
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                break
            text, data = event.get("text"), event.get("bytes")
            if text is None:
                frame = data or b""
            else:
                frame = encoding.to_frame(text) if encoding else text.encode()
            session.on_frame(frame, time.time_ns())
            transport.nudge(session)
    except (WebSocketDisconnect, RuntimeError, OSError) as lost:
        log.info("%s: connection lost while reading: %r", session.peer, lost)
    except Exception:
        # A fault handling one member's frame ends that connection, never the gateway.
        log.exception("%s: session failed; closing its connection", session.peer)
    session.on_disconnect()
    transport.close()


async def _run_timers(session: Session, transport: QueueTransport) -> None:
    """Sleeps until the session's next deadline and calls `on_timer` once it has come.
    Traffic moves the deadlines later without waking this: it looks again when it wakes."""
    while (deadline := session.next_deadline()) is not None:
        now = time.time_ns()
        if now < deadline:
            transport.wake.clear()
            transport.deadline = deadline
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout((deadline - now) / NS_PER_SECOND):
                    await transport.wake.wait()
        else:
            session.on_timer(now)
            await asyncio.sleep(0)  # whatever on_timer did, the loop goes on
