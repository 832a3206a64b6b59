"""Sending OSCP messages: headers of 4.1.2, segmentation of large bodies, 204 or an error.

The transport of every outgoing message; tests replace the HTTP session, not this logic.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable

import aiohttp
from pydantic import BaseModel

from .endpoints import Header
from .errors import PeerError, PeerUnreachable
from .segments import split
from .tokens import authorization

log = logging.getLogger("wiseevp.oscp.client")

DEFAULT_MAX_SEGMENT_BYTES = 1024 * 1024


def new_request_id() -> str:
    return str(uuid.uuid4())


def _error_message(text: str) -> str:
    try:
        body = json.loads(text)
    except ValueError:
        return text[:200]
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, str):
        return message
    return text[:200]


class OscpClient:
    """Posts messages to peers with ``Authorization``, ``X-Request-ID`` and, when given,
    ``X-Correlation-ID``; splits bodies above ``max_segment_bytes`` into segments."""

    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        *,
        max_segment_bytes: int = DEFAULT_MAX_SEGMENT_BYTES,
    ) -> None:
        self.session = session
        """Gives the (open) HTTP session; the party opens it when it starts."""
        self.max_segment_bytes = max_segment_bytes

    async def send(
        self,
        url: str,
        token: str,
        message: BaseModel | None,
        *,
        method: str = "POST",
        correlation_id: str | None = None,
    ) -> str:
        """Send one message; return its X-Request-ID (the first segment's, if segmented).

        Raises :class:`PeerError` on a non-2xx answer, :class:`PeerUnreachable` when the peer
        cannot be reached."""
        body = message.model_dump_json(exclude_none=True).encode() if message is not None else b""
        parts = split(body, self.max_segment_bytes) if body else [b""]
        first_id = new_request_id()
        for index, part in enumerate(parts, start=1):
            request_id = first_id if index == 1 else new_request_id()
            headers = {
                Header.AUTHORIZATION.value: authorization(token),
                Header.REQUEST_ID.value: request_id,
            }
            if message is not None:
                headers["Content-Type"] = "application/json"
            reference = correlation_id if index == 1 else first_id
            if reference is not None:
                headers[Header.CORRELATION_ID.value] = reference
            if len(parts) > 1:
                headers[Header.SEGMENT_INDEX.value] = str(index)
                headers[Header.SEGMENT_COUNT.value] = str(len(parts))
            await self._post(method, url, headers, part)
        return first_id

    async def _post(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        try:
            async with self.session().request(
                method, url, data=body or None, headers=headers
            ) as response:
                if 200 <= response.status < 300:
                    return
                text = await response.text()
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise PeerUnreachable(f"{method} {url}: {exc.__class__.__name__}: {exc}") from exc
        raise PeerError(response.status, _error_message(text), url)
