"""A TCP hop on loopback that drops connections reused after an idle pause, as servers and networks do."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field
from typing import Literal

# How a connection reused after the pause is dropped: "close" is a server whose idle timer fires just
# as the request arrives (uvicorn after 5 s, a load balancer after its idle timeout): FIN, no answer.
# "reset" is a NAT, firewall or load balancer that forgot the connection while it was idle: RST.
Drop = Literal["close", "reset"]


@dataclass
class IdleDroppingProxy:
    """Forwards 127.0.0.1:`port` to `target`; a request arriving on a connection that has carried
    nothing for `idle_after` seconds is read and dropped as `how` says, without an answer.

    `connections` counts the connections clients opened, `dropped` those dropped."""

    target_host: str
    target_port: int
    idle_after: float
    how: Drop = "close"
    port: int = 0
    connections: int = 0
    dropped: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        # Cut the connections still open and let each one's task end by itself (asyncio reports a
        # connection task that was cancelled instead as an error).
        for writer in list(self._writers):
            writer.transport.abort()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            writer.close()
            self._tasks.discard(task)
            return
        self._writers.update((writer, upstream_writer))
        loop = asyncio.get_running_loop()
        last_traffic = [loop.time()]
        try:
            await asyncio.gather(
                self._requests(reader, writer, upstream_writer, last_traffic),
                self._answers(upstream_reader, writer, last_traffic),
                return_exceptions=True,
            )
        finally:
            for each in (writer, upstream_writer):
                with contextlib.suppress(Exception):
                    each.close()
                self._writers.discard(each)
            self._tasks.discard(task)

    async def _requests(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        upstream: asyncio.StreamWriter,
        last_traffic: list[float],
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            while data := await reader.read(65536):
                if loop.time() - last_traffic[0] >= self.idle_after:
                    self.dropped += 1
                    self._drop(writer)
                    upstream.transport.abort()
                    return
                last_traffic[0] = loop.time()
                upstream.write(data)
                await upstream.drain()
        finally:
            upstream.close()

    async def _answers(
        self, upstream: asyncio.StreamReader, writer: asyncio.StreamWriter, last_traffic: list[float]
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            while data := await upstream.read(65536):
                writer.write(data)
                await writer.drain()
                last_traffic[0] = loop.time()
        finally:
            writer.close()

    def _drop(self, writer: asyncio.StreamWriter) -> None:
        if self.how == "reset":
            # Linger on, for zero seconds: closing sends RST instead of FIN.
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        else:
            writer.close()
