"""A loopback TCP proxy that can cut every connection and refuse new ones for a while:
a broker outage as the clients see it, without killing the broker (whose topics live in
memory and would be lost)."""

import asyncio
import contextlib

_CHUNK = 64 * 1024


class TcpProxy:
    def __init__(self, target_port: int, listen_port: int = 0) -> None:
        self.target_port = target_port
        self.listen_port = listen_port
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()
        self.cut = False
        self.refused = 0  # connections turned away while cut
        self._flowing = asyncio.Event()  # cleared by `hold`: bytes wait in the proxy
        self._flowing.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.listen_port)
        self.listen_port = self._server.sockets[0].getsockname()[1]

    def cut_off(self) -> None:
        """Drops every connection and turns new ones away until `restore`."""
        self.cut = True
        for writer in self._open:
            writer.transport.abort()
        self._open.clear()

    def restore(self) -> None:
        self.cut = False

    def hold(self) -> None:
        """Keeps every connection open but forwards nothing until `release`: a broker that
        has stopped answering, so requests stay in flight."""
        self._flowing.clear()

    def release(self) -> None:
        self._flowing.set()

    async def stop(self) -> None:
        self.cut_off()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for pump in self._pumps:
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, upstream_writer))
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            pump = asyncio.create_task(self._pump(source, sink))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await source.read(_CHUNK):
                await self._flowing.wait()
                sink.write(data)
                await sink.drain()
        sink.transport.abort()
        self._open.discard(sink)
