"""The HTTP ends of a scripted raw OSCP peer (see :mod:`tests.support.oscp_raw`): the test
plays a Capacity Provider (or Optimizer) by hand and controls every header and byte it sends.

- :class:`RawServer`: an aiohttp server on a free port in the test process; it records every
  request it receives (method, path, headers, body, arrival time) and answers 204 unless told
  otherwise for an endpoint (:meth:`RawServer.answer`), or holds the answer back until the
  test releases it (:meth:`RawServer.hold`).
- :class:`RawClient`: sends any request to the FP's endpoints — chosen headers (or none), any
  body (raw bytes too) — and returns the status, headers, body and arrival time.

Times: ``received_at`` / ``arrived_at`` are ``time.monotonic()`` of this process, so the order
of a response and a request received here can be compared; ``at`` is the test's clock (the
site's simulated time when given).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import BaseModel

from wiseevp_oscp.endpoints import TOKEN_SCHEME, Endpoint, Header

from .waiting import wait_for_value

Body = bytes | str | Mapping[str, Any] | list[Any] | BaseModel | None
"""What a raw request carries: bytes and str as they are, anything else as JSON."""
Now = Callable[[], datetime]


def encode(body: Body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, BaseModel):
        return body.model_dump_json(exclude_none=True).encode()
    return json.dumps(body).encode()


def token_of(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Token <token>`` value (None for anything else)."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token if scheme == TOKEN_SCHEME else None


def oscp_time(at: datetime) -> str:
    """An OSCP datetime: RFC 3339 with its offset, milliseconds at most (1.3.3)."""
    return at.isoformat(timespec="milliseconds")


def _utc_now() -> datetime:
    return datetime.now(UTC)


# -- what the FP sends us ------------------------------------------------------------------


@dataclass(frozen=True)
class RawRequest:
    """One request the raw server received, and how it answered."""

    method: str
    path: str
    headers: CIMultiDictProxy[str]
    body: bytes
    arrived_at: float
    """``time.monotonic()`` when the request (headers and body) had arrived."""
    at: datetime
    """The test's clock when it arrived."""
    status: int
    """What the raw server answered."""

    @property
    def endpoint(self) -> str:
        """The last path segment (``register``, ``heartbeat``, ...)."""
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    @property
    def token(self) -> str | None:
        return token_of(self.headers.get(Header.AUTHORIZATION.value))

    @property
    def request_id(self) -> str | None:
        return self.headers.get(Header.REQUEST_ID.value)

    @property
    def correlation_id(self) -> str | None:
        return self.headers.get(Header.CORRELATION_ID.value)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Answer:
    status: int
    body: bytes
    gate: asyncio.Event | None = None


class RawServer:
    """Records every request; answers 204 without body unless configured per endpoint."""

    def __init__(self, now: Now = _utc_now, host: str = "127.0.0.1") -> None:
        self.now = now
        self.host = host
        self.requests: list[RawRequest] = []
        self._answers: dict[str, _Answer] = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("the raw server is not started")
        return f"http://{self.host}:{self._port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind((self.host, 0))
        self._port = int(sock.getsockname()[1])
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        for answer in self._answers.values():
            if answer.gate is not None:
                answer.gate.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- configuration ---------------------------------------------------------------------

    def answer(self, endpoint: str, status: int, message: str | None = None) -> None:
        """Answer requests to ``endpoint`` (a last path segment) with ``status`` and, when
        given, ``{"message": message}``."""
        body = json.dumps({"message": message}).encode() if message is not None else b""
        self._answers[endpoint] = _Answer(status, body)

    def hold(self, endpoint: str) -> asyncio.Event:
        """Hold back the answers to ``endpoint`` until the returned event is set (the request
        is recorded on arrival): a slow network or peer, at the test's command."""
        gate = asyncio.Event()
        current = self._answers.get(endpoint, _Answer(204, b""))
        self._answers[endpoint] = _Answer(current.status, current.body, gate)
        return gate

    def reset(self, endpoint: str) -> None:
        """Answer ``endpoint`` with 204 again."""
        answer = self._answers.pop(endpoint, None)
        if answer is not None and answer.gate is not None:
            answer.gate.set()

    # -- what arrived --------------------------------------------------------------------------

    def received(
        self,
        endpoint: str | Endpoint | None = None,
        *,
        method: str | None = None,
        after: float | None = None,
    ) -> list[RawRequest]:
        """The requests to ``endpoint`` (all when None), with ``method``, arrived after the
        monotonic time ``after``, in arrival order."""
        return [
            r
            for r in self.requests
            if (endpoint is None or r.endpoint == str(endpoint))
            and (method is None or r.method == method)
            and (after is None or r.arrived_at > after)
        ]

    async def wait_for(
        self,
        endpoint: str | Endpoint,
        count: int = 1,
        *,
        method: str | None = None,
        after: float | None = None,
        timeout: float = 10.0,
    ) -> list[RawRequest]:
        """Wait until ``count`` such requests arrived; all of them."""
        return await wait_for_value(
            lambda: self.received(endpoint, method=method, after=after),
            lambda found: len(found) >= count,
            timeout=timeout,
            interval=0.02,
            what=f"{count} {method or ''} {endpoint} request(s) at the raw peer",
        )

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        arrived_at = time.monotonic()
        answer = self._answers.get(request.path.rstrip("/").rsplit("/", 1)[-1])
        status = answer.status if answer is not None else 204
        self.requests.append(
            RawRequest(
                request.method,
                request.path,
                CIMultiDictProxy(CIMultiDict(request.headers)),
                body,
                arrived_at,
                self.now(),
                status,
            )
        )
        if answer is not None and answer.gate is not None:
            await answer.gate.wait()
        headers = {Header.REQUEST_ID.value: str(uuid.uuid4())}
        request_id = request.headers.get(Header.REQUEST_ID.value)
        if request_id:
            headers[Header.CORRELATION_ID.value] = request_id
        if answer is None or not answer.body:
            return web.Response(status=status, headers=headers)
        return web.Response(
            status=status, body=answer.body, headers=headers, content_type="application/json"
        )


# -- what we send the FP -------------------------------------------------------------------


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    request_id: str | None
    """The X-Request-ID the request carried."""
    received_at: float
    """``time.monotonic()`` when the whole response had been read."""

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def message(self) -> str:
        """The ``message`` of an error body (fails the test when there is none)."""
        body = self.json()
        assert isinstance(body, dict), body
        assert isinstance(body.get("message"), str), body
        return str(body["message"])

    @property
    def correlation_id(self) -> str | None:
        return self.headers.get(Header.CORRELATION_ID.value)


def new_request_id() -> str:
    return str(uuid.uuid4())


class RawClient:
    """Sends requests to the endpoints under ``base_url`` exactly as told."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self,
        endpoint: str | Endpoint,
        body: Body = None,
        *,
        method: str = "POST",
        token: str | None = None,
        request_id: str | None = None,
        correlation_id: str | None = None,
        segment: tuple[int, int] | None = None,
        headers: Mapping[str, str] | None = None,
        omit: Iterable[str] = (),
    ) -> RawResponse:
        """``method <base>/<endpoint>`` with ``Authorization: Token <token>`` (when given), an
        ``X-Request-ID`` (``request_id`` or a new one), ``X-Correlation-ID`` and the segment
        headers when given, ``Content-Type: application/json`` when there is a body; then
        ``headers`` override and the names in ``omit`` are left out."""
        if self._session is None:
            raise RuntimeError("the raw client is not started")
        sent: dict[str, str] = {Header.REQUEST_ID.value: request_id or new_request_id()}
        if token is not None:
            sent[Header.AUTHORIZATION.value] = f"{TOKEN_SCHEME} {token}"
        if correlation_id is not None:
            sent[Header.CORRELATION_ID.value] = correlation_id
        if segment is not None:
            sent[Header.SEGMENT_INDEX.value] = str(segment[0])
            sent[Header.SEGMENT_COUNT.value] = str(segment[1])
        data = encode(body)
        if data:
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        dropped = {name.lower() for name in omit}
        sent = {k: v for k, v in sent.items() if k.lower() not in dropped}
        async with self._session.request(
            method, f"{self.base_url}/{endpoint}", data=data or None, headers=sent
        ) as response:
            answer = await response.read()
            received_at = time.monotonic()
            return RawResponse(
                response.status,
                CIMultiDictProxy(CIMultiDict(response.headers)),
                answer,
                sent.get(Header.REQUEST_ID.value),
                received_at,
            )
