"""The Terni source: OBD devices in the cars connect over TCP; the wrapper queries each one.

A thin network adapter around :mod:`.obd_protocol` (messages, status mapping) and
:mod:`.obd_inventory` (characteristics). Per connection: hello (known device, supported
version) → welcome → a query every ``poll_interval_s`` of the service clock, each answer
published as a status. The car is reported lost (``nocomm``) when its device disconnects, does
not answer a query within ``answer_timeout_s`` (real seconds: a network round trip), or sends
``max_errors`` malformed lines in a row. A device that reconnects replaces its old connection.
Every connection runs in the source's task group and never lets an error out: one bad device
cannot stop the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from wiseevp_common.clock import Clock
from wiseevp_common.messages.iop import EvStatus

from .base import EvSink
from .obd_inventory import Inventory
from .obd_protocol import (
    MAX_LINE_BYTES,
    PROTOCOL_VERSION,
    SUPPORTED_VERSIONS,
    DeviceError,
    DeviceMessage,
    Hello,
    ProtocolError,
    Query,
    Refused,
    Welcome,
    encode,
    parse_device_line,
    status_from_reading,
)
from .source_metrics import SourceMetrics

log = logging.getLogger("ev_wrapper.obd")


class _Refusal(Exception):
    """A hello the wrapper does not accept; ``event`` is the metrics label."""

    def __init__(self, reason: str, event: str = "malformed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.event = event


class _SessionEnded(Exception):
    """Why a device's session is over; ``event`` is the metrics label."""

    def __init__(self, reason: str, event: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event = event


@dataclass(eq=False)
class _Session:
    ev_id: str
    peer: str
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    seq: int = 0
    pending: asyncio.Future[EvStatus | None] | None = field(default=None, repr=False)
    errors: int = 0
    """Malformed lines in a row."""
    replaced: bool = False


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)


class ObdSource:
    name = "obd"

    def __init__(
        self,
        inventory: Inventory,
        clock: Clock,
        *,
        host: str,
        port: int,
        poll_interval_s: float,
        answer_timeout_s: float,
        max_errors: int,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.inventory = inventory
        self.clock = clock
        self.host = host
        self.port = port
        """The port really listened on, once :meth:`listening` returned (0 asks for a free one)."""
        self.poll_interval_s = poll_interval_s
        self.answer_timeout_s = answer_timeout_s
        self.max_errors = max_errors
        self.metrics = SourceMetrics(self.name, registry)
        self.sessions: dict[str, _Session] = {}
        """Connected cars by EV id."""
        self._listening = asyncio.Event()

    async def listening(self) -> int:
        """Wait until the server accepts connections; return its port."""
        await self._listening.wait()
        return self.port

    async def healthy(self) -> bool:
        """Whether the server accepts device connections."""
        return self._listening.is_set()

    async def run(self, sink: EvSink) -> None:
        for ev in self.inventory.cars.values():
            await sink.characteristics(ev)
        async with asyncio.TaskGroup() as group:

            def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                conversation = self._connection(reader, writer, sink)
                try:
                    group.create_task(conversation, name=f"obd-{_peer(writer)}")
                except RuntimeError:  # shutting down
                    conversation.close()
                    writer.close()

            server = await asyncio.start_server(accept, self.host, self.port, limit=MAX_LINE_BYTES)
            async with server:
                self.port = server.sockets[0].getsockname()[1]
                self._listening.set()
                log.info("OBD server listening on %s:%d", self.host, self.port)
                try:
                    await server.serve_forever()
                finally:
                    self._listening.clear()

    # -- one connection -----------------------------------------------------------------------
    async def _connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: EvSink
    ) -> None:
        peer = _peer(writer)
        self.metrics.count("connection")
        try:
            ev_id = await self._handshake(reader, writer, peer)
            if ev_id is not None:
                await self._converse(_Session(ev_id, peer, reader, writer), sink)
        except Exception:
            log.exception("OBD connection from %s failed", peer)
            self.metrics.count("internal_error")
        finally:
            writer.close()

    async def _handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> str | None:
        """The EV id of a known device that said a valid hello; None if there was no hello
        (timeout, closed) or it was refused (told why with a ``refused`` line)."""
        try:
            hello = await self._read_hello(reader, peer)
            if hello is None:
                return None
            ev_id = self.inventory.ev_for_device(hello.device)
            if ev_id is None:
                raise _Refusal(f"unknown device {hello.device}", "refused")
        except _Refusal as refusal:
            self.metrics.count(refusal.event)
            log.warning("refused OBD connection from %s: %s", peer, refusal.reason)
            with contextlib.suppress(ConnectionError, TimeoutError):
                await self._send(writer, encode(Refused(reason=refusal.reason)))
            return None
        welcome = Welcome(protocol=PROTOCOL_VERSION, ev=ev_id, poll_interval_s=self.poll_interval_s)
        try:
            await self._send(writer, encode(welcome))
        except (ConnectionError, TimeoutError):
            return None
        log.info("device %s (%s) connected from %s", hello.device, ev_id, peer)
        return ev_id

    async def _read_hello(self, reader: asyncio.StreamReader, peer: str) -> Hello | None:
        """The device's hello; None without one; :class:`_Refusal` if it is not acceptable."""
        try:
            line = await asyncio.wait_for(reader.readline(), self.answer_timeout_s)
        except TimeoutError:
            self.metrics.count("timeout")
            log.warning("no hello from %s within %.1f s", peer, self.answer_timeout_s)
            return None
        except ValueError:
            raise _Refusal(f"hello longer than {MAX_LINE_BYTES} bytes") from None
        except ConnectionError:
            return None
        if not line:
            return None
        try:
            hello = parse_device_line(line)
        except ProtocolError as exc:
            raise _Refusal(f"malformed hello: {exc}") from None
        if not isinstance(hello, Hello):
            raise _Refusal(f"expected hello, got {hello.type}")
        if hello.protocol not in SUPPORTED_VERSIONS:
            raise _Refusal(f"unsupported protocol version {hello.protocol}", "refused")
        return hello

    async def _send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        await asyncio.wait_for(writer.drain(), self.answer_timeout_s)

    async def _converse(self, session: _Session, sink: EvSink) -> None:
        ev_id = session.ev_id
        previous = self.sessions.get(ev_id)
        self.sessions[ev_id] = session
        if previous is not None:
            previous.replaced = True
            previous.writer.close()
            log.info(
                "%s reconnected from %s; closing its connection from %s",
                ev_id,
                session.peer,
                previous.peer,
            )
        try:
            await sink.characteristics(self.inventory.cars[ev_id])
            reason = await self._serve(session, sink)
        except Exception:
            log.exception("session of %s failed", ev_id)
            self.metrics.count("internal_error")
            reason = "internal error"
        finally:
            if self.sessions.get(ev_id) is session:
                del self.sessions[ev_id]
        if session.replaced:
            return
        log.warning("lost %s (%s): %s", ev_id, session.peer, reason)
        await sink.lost(ev_id)

    async def _serve(self, session: _Session, sink: EvSink) -> str:
        """Poll and read answers until the session ends; return why it ended."""
        ended: list[_SessionEnded] = []
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._read_answers(session), name=f"obd-read-{session.ev_id}")
                group.create_task(self._poll(session, sink), name=f"obd-poll-{session.ev_id}")
        except* _SessionEnded as group_error:
            ended = [e for e in group_error.exceptions if isinstance(e, _SessionEnded)]
        if not ended:  # pragma: no cover - both loops only end by raising
            return "session ended"
        self.metrics.count(ended[0].event)
        return ended[0].reason

    async def _poll(self, session: _Session, sink: EvSink) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = self.clock.now()
            session.seq += 1
            answer: asyncio.Future[EvStatus | None] = loop.create_future()
            session.pending = answer
            try:
                async with asyncio.timeout(self.answer_timeout_s):
                    session.writer.write(encode(Query(seq=session.seq)))
                    await session.writer.drain()
                    status = await answer
            except TimeoutError:
                raise _SessionEnded(
                    f"no answer to query {session.seq} within {self.answer_timeout_s} s", "timeout"
                ) from None
            except ConnectionError as exc:
                raise _SessionEnded(f"connection lost ({exc})", "disconnect") from None
            finally:
                session.pending = None
            if status is not None:
                self.metrics.count("reading")
                await sink.status(status)
            elapsed = (self.clock.now() - started).total_seconds()
            await self.clock.sleep(max(0.0, self.poll_interval_s - elapsed))

    async def _read_answers(self, session: _Session) -> None:
        while True:
            try:
                line = await session.reader.readline()
            except ValueError:
                self.metrics.count("malformed")
                raise _SessionEnded(f"line longer than {MAX_LINE_BYTES} bytes", "dropped") from None
            except ConnectionError as exc:
                raise _SessionEnded(f"connection lost ({exc})", "disconnect") from None
            if not line:
                raise _SessionEnded("device closed the connection", "disconnect")
            try:
                self._answer(session, parse_device_line(line))
            except ProtocolError as exc:
                self._malformed(session, str(exc))

    def _answer(self, session: _Session, message: DeviceMessage) -> None:
        """Resolve the pending query with ``message`` or raise :class:`ProtocolError`."""
        if isinstance(message, Hello):
            raise ProtocolError("hello after the handshake")
        pending = session.pending
        if pending is None or pending.done() or message.seq != session.seq:
            expected = "no query" if pending is None else f"query {session.seq}"
            raise ProtocolError(
                f"{message.type} with seq {message.seq} while {expected} is pending"
            )
        if isinstance(message, DeviceError):
            self.metrics.count("device_error")
            log.warning("device of %s could not read the car: %s", session.ev_id, message.message)
            status = None
        else:
            try:
                status = status_from_reading(session.ev_id, message, self.clock.now())
            except ValidationError as exc:  # pragma: no cover - the reading's bounds are the IOP's
                raise ProtocolError(f"reading does not fit the IOP status: {exc}") from None
        session.errors = 0
        pending.set_result(status)

    def _malformed(self, session: _Session, reason: str) -> None:
        session.errors += 1
        self.metrics.count("malformed")
        log.warning(
            "malformed line from %s (%s), %d of %d in a row: %s",
            session.ev_id,
            session.peer,
            session.errors,
            self.max_errors,
            reason,
        )
        if session.errors >= self.max_errors:
            raise _SessionEnded(f"{session.errors} malformed lines in a row", "dropped")
