"""The WebSocket handshake: path → charge point id, subprotocol, registration, basic auth."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import unquote

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from .framing import SUBPROTOCOL
from .passwords import verify_password
from .registry import Registry, StationRecord

MAX_ID_LENGTH = 48
"""OCPP 1.6 security whitepaper: a charge point identity is at most 48 characters."""


@dataclass(frozen=True)
class Admission:
    station_id: str
    station: StationRecord | None
    """None: unknown, to be auto-registered."""


@dataclass(frozen=True)
class Refusal:
    status: HTTPStatus
    message: str
    challenge: bool = False


def station_id_from_path(path: str, prefix: str) -> str | None:
    path = path.split("?", 1)[0]
    if not path.startswith(prefix + "/"):
        return None
    raw = path[len(prefix) + 1 :]
    station_id = unquote(raw)
    if not station_id or "/" in raw or len(station_id) > MAX_ID_LENGTH:
        return None
    if not station_id.isprintable():
        return None
    return station_id


def basic_credentials(headers: Headers) -> tuple[str, str] | None:
    value = headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        user, sep, password = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


class Gatekeeper:
    """Decides whether a handshake may proceed; remembers passwords it verified (as SHA-256)
    so that a reconnect storm does not run scrypt thousands of times."""

    def __init__(
        self, registry: Registry, prefix: str, *, auto_register: bool, require_auth: bool
    ) -> None:
        self._registry = registry
        self._prefix = prefix
        self._auto_register = auto_register
        self._require_auth = require_auth
        self._verified: dict[str, bytes] = {}

    async def check(self, request: Request) -> Refusal | Admission:  # noqa: PLR0911
        station_id = station_id_from_path(request.path, self._prefix)
        if station_id is None:
            return Refusal(HTTPStatus.NOT_FOUND, f"use {self._prefix}/<charge point id>")
        offered = [
            p.strip()
            for h in request.headers.get_all("Sec-WebSocket-Protocol")
            for p in h.split(",")
        ]
        if SUBPROTOCOL not in offered:
            return Refusal(HTTPStatus.BAD_REQUEST, f"subprotocol {SUBPROTOCOL} required")
        station = await self._registry.station(station_id)
        if station is None and not self._auto_register:
            return Refusal(HTTPStatus.NOT_FOUND, "unknown charge point")
        if not self._require_auth:
            return Admission(station_id, station)
        credentials = basic_credentials(request.headers)
        if credentials is None or credentials[0] != station_id:
            return Refusal(HTTPStatus.UNAUTHORIZED, "basic auth as the charge point", True)
        if station is None or station.password_hash is None:
            return Refusal(HTTPStatus.UNAUTHORIZED, "no password set for this charge point", True)
        if not await self._password_ok(station_id, credentials[1], station.password_hash):
            return Refusal(HTTPStatus.UNAUTHORIZED, "wrong password", True)
        return Admission(station_id, station)

    async def _password_ok(self, station_id: str, password: str, stored: str) -> bool:
        digest = hashlib.sha256(f"{stored}\0{password}".encode()).digest()
        known = self._verified.get(station_id)
        if known is not None and hmac.compare_digest(known, digest):
            return True
        if await asyncio.to_thread(verify_password, password, stored):
            self._verified[station_id] = digest
            return True
        return False


def refusal_response(connection: ServerConnection, refusal: Refusal) -> Response:
    response = connection.respond(refusal.status, refusal.message + "\n")
    if refusal.challenge:
        response.headers["WWW-Authenticate"] = 'Basic realm="wiseevp", charset="UTF-8"'
    return response
