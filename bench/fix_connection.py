"""The benches' side of a FIX websocket, on picows: frames are written straight to the
socket and each arriving frame is handed to a callback, so the load client costs a few
microseconds per request and is not what limits a run (an asyncio websocket library cost
several times the gateway's own share)."""

import asyncio
from collections.abc import Callable

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect


class _Listener(WSListener):
    def __init__(self, on_frame: Callable[[bytes], None]):
        super().__init__()
        self.on_frame = on_frame
        self.closed = asyncio.get_running_loop().create_future()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type in (WSMsgType.TEXT, WSMsgType.BINARY):
            self.on_frame(frame.get_payload_as_bytes())
        elif frame.msg_type is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class FixConnection:
    """One session's connection: `send` a frame; every frame received goes to `on_frame`."""

    def __init__(self, transport: WSTransport, listener: _Listener):
        self._transport = transport
        self._listener = listener

    @classmethod
    async def open(cls, url: str, on_frame: Callable[[bytes], None]) -> "FixConnection":
        transport, listener = await ws_connect(lambda: _Listener(on_frame), url)
        return cls(transport, listener)

    def send(self, frame: bytes) -> None:
        self._transport.send(WSMsgType.TEXT, frame)

    async def wait_closed(self) -> None:
        """Until the gateway (or `close`) ends the connection."""
        await self._listener.closed

    async def close(self) -> None:
        if not self._listener.closed.done():
            self._transport.send_close()
            self._transport.disconnect()
        await self._listener.closed
