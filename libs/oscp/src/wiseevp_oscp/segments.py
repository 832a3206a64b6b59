"""Segmented messages (OSCP 4.1.2.1), both directions.

A message too large for one HTTP request is sent as segments, each a request of its own with
``X-Segment-Index`` (1-based) and ``X-Segment-Count`` headers. The first segment carries its own
``X-Request-ID`` (and, when the message answers an earlier request, ``X-Correlation-ID``); every
later segment refers to the first one in ``X-Correlation-ID``. The receiver joins the bodies in
index order.

- :func:`split` cuts a body for sending;
- :func:`parse_segment_headers` reads and checks the two headers of a request;
- :class:`Reassembler` collects segments per sender until a message is complete and drops
  incomplete messages after a timeout (:meth:`Reassembler.run`).

Problems raise :class:`SegmentError`, an ``OscpError`` with status 400 whose message is meant
for the error response body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from wiseevp_common.clock import Clock

from .endpoints import Header
from .errors import OscpError

MAX_SEGMENT_COUNT = 1000
"""The largest ``X-Segment-Count`` we accept (and :func:`split` produces)."""
MIN_EXPIRY_PERIOD_S = 0.05

_OSCP_INTEGER = re.compile(r"[1-9][0-9]{0,8}")
"""A positive integer without sign or leading zeros; nine digits are plenty for a count."""

log = logging.getLogger(__name__)


class SegmentError(OscpError, ValueError):
    """A segment (or its headers) we refuse: HTTP 400 with a human-readable message."""

    status = 400
    default = "invalid segmented message"


def split(body: bytes, max_segment_bytes: int) -> list[bytes]:
    """``body`` cut into segments of at most ``max_segment_bytes``: ``[body]`` when it fits.

    Segments are cut at byte boundaries (a multi-byte UTF-8 character may straddle two);
    the receiver joins the bytes before decoding. More than :data:`MAX_SEGMENT_COUNT`
    segments raise ``ValueError``: the receiver would refuse them.
    """
    if max_segment_bytes < 1:
        raise ValueError("max_segment_bytes must be at least 1")
    if len(body) <= max_segment_bytes:
        return [body]
    segments = [body[i : i + max_segment_bytes] for i in range(0, len(body), max_segment_bytes)]
    if len(segments) > MAX_SEGMENT_COUNT:
        raise ValueError(
            f"a body of {len(body)} bytes needs {len(segments)} segments of "
            f"{max_segment_bytes} bytes, more than the {MAX_SEGMENT_COUNT} allowed"
        )
    return segments


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive look-up (aiohttp's headers already are; a plain dict may not be)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _positive_integer(name: str, raw: str) -> int:
    value = raw.strip()
    if not _OSCP_INTEGER.fullmatch(value):
        raise SegmentError(
            f"{name} must be a positive integer without sign or leading zeros "
            f"(at most {MAX_SEGMENT_COUNT}), got {raw[:20]!r}"
        )
    return int(value)


def _check_range(index: int, count: int) -> None:
    if count < 1 or count > MAX_SEGMENT_COUNT:
        raise SegmentError(
            f"{Header.SEGMENT_COUNT} must be between 1 and {MAX_SEGMENT_COUNT}, got {count}"
        )
    if index < 1 or index > count:
        raise SegmentError(
            f"{Header.SEGMENT_INDEX} must be between 1 and {Header.SEGMENT_COUNT} ({count}), "
            f"got {index}"
        )


def parse_segment_headers(headers: Mapping[str, str]) -> tuple[int, int] | None:
    """``(index, count)`` of a segment, or ``None`` for an unsegmented message.

    Raises :class:`SegmentError` when only one of the two headers is present, when a value
    is not a positive integer, when the index exceeds the count or the count exceeds
    :data:`MAX_SEGMENT_COUNT`.
    """
    raw_index = _header(headers, Header.SEGMENT_INDEX)
    raw_count = _header(headers, Header.SEGMENT_COUNT)
    if raw_index is None and raw_count is None:
        return None
    if raw_index is None or raw_count is None:
        missing = Header.SEGMENT_INDEX if raw_index is None else Header.SEGMENT_COUNT
        raise SegmentError(
            f"{missing} is missing: a segmented message needs both {Header.SEGMENT_INDEX} "
            f"and {Header.SEGMENT_COUNT} on every segment (OSCP 4.1.2.1)"
        )
    count = _positive_integer(Header.SEGMENT_COUNT, raw_count)
    index = _positive_integer(Header.SEGMENT_INDEX, raw_index)
    _check_range(index, count)
    return index, count


@dataclass(frozen=True)
class Assembled:
    """A complete message: the ids of its first segment and the joined body."""

    request_id: str
    correlation_id: str | None
    body: bytes
    segments: int


@dataclass(frozen=True)
class Expired:
    """An incomplete message dropped after the timeout."""

    sender: str
    key: str
    """The ``X-Request-ID`` of the first segment (as referred to by the others)."""
    received: tuple[int, ...]
    """The segment indexes that did arrive, ascending."""
    count: int


@dataclass
class _Pending:
    count: int
    first_received: datetime
    parts: dict[int, bytes] = field(default_factory=dict)
    size: int = 0
    correlation_id: str | None = None
    """The first segment's ``X-Correlation-ID``, once it has arrived."""


class Reassembler:
    """Collects the segments of messages per sender until each message is complete.

    A message is keyed by ``(sender, X-Request-ID of its first segment)``: the first segment
    names itself, every later one names the first in ``X-Correlation-ID``. Segments may arrive
    in any order; an identical repeat of a segment (a retry) is ignored. An incomplete message
    whose first-received segment is older than ``timeout_s`` is dropped by :meth:`expire`
    (periodically, by :meth:`run`). A repeat of a segment after its message completed starts
    a new incomplete message, which expires.
    """

    def __init__(
        self,
        clock: Clock,
        timeout_s: float,
        max_pending: int = 1000,
        max_message_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if max_pending < 1 or max_message_bytes < 1:
            raise ValueError("max_pending and max_message_bytes must be at least 1")
        self.clock = clock
        self.timeout_s = timeout_s
        self.max_pending = max_pending
        self.max_message_bytes = max_message_bytes
        self._pending: dict[tuple[str, str], _Pending] = {}

    @property
    def pending(self) -> int:
        """The number of incomplete messages held."""
        return len(self._pending)

    def add(  # noqa: PLR0917 - the segment's headers and body, in the order of 4.1.2
        self,
        sender: str,
        request_id: str,
        correlation_id: str | None,
        index: int,
        count: int,
        body: bytes,
    ) -> Assembled | None:
        """Store one segment; the whole message when this was its last missing segment.

        ``sender`` identifies the authenticated party (segments of different parties never
        mix). Raises :class:`SegmentError` for a later segment without ``X-Correlation-ID``, a
        count differing from the message's other segments, a repeated index with different
        content, too many incomplete messages, or a message over ``max_message_bytes`` (which
        is then dropped). A refused segment leaves the rest of its message untouched.
        """
        _check_range(index, count)
        if index == 1:
            key = request_id
        elif correlation_id:
            key = correlation_id
        else:
            raise SegmentError(
                f"segment {index} of {count} has no {Header.CORRELATION_ID}: every segment "
                f"after the first SHALL refer to the first one's {Header.REQUEST_ID} "
                "(OSCP 4.1.2.1)"
            )
        slot = (sender, key)
        pending = self._pending.get(slot)
        if pending is None:
            if len(self._pending) >= self.max_pending:
                raise SegmentError(
                    f"too many segmented messages are incomplete ({self.max_pending}): "
                    "try again later"
                )
            pending = _Pending(count=count, first_received=self.clock.now())
        elif count != pending.count:
            raise SegmentError(
                f"{Header.SEGMENT_COUNT} {count} differs from the {pending.count} of the other "
                f"segments of message {key!r}"
            )
        known = pending.parts.get(index)
        if known is not None:
            if known == body:
                return None
            raise SegmentError(
                f"segment {index} of message {key!r} was already received with different content"
            )
        if pending.size + len(body) > self.max_message_bytes:
            self._pending.pop(slot, None)
            raise SegmentError(
                f"segmented message {key!r} is larger than {self.max_message_bytes} bytes"
            )
        pending.parts[index] = body
        pending.size += len(body)
        if index == 1:
            pending.correlation_id = correlation_id
        if len(pending.parts) < pending.count:
            self._pending[slot] = pending
            return None
        self._pending.pop(slot, None)
        return Assembled(
            request_id=key,
            correlation_id=pending.correlation_id,
            body=b"".join(pending.parts[i] for i in range(1, pending.count + 1)),
            segments=pending.count,
        )

    def expire(self) -> list[Expired]:
        """Drop the incomplete messages whose first segment arrived more than ``timeout_s``
        ago; what was dropped, oldest first."""
        now = self.clock.now()
        stale = sorted(
            (
                (slot, pending)
                for slot, pending in self._pending.items()
                if (now - pending.first_received).total_seconds() > self.timeout_s
            ),
            key=lambda item: item[1].first_received,
        )
        dropped = []
        for (sender, key), pending in stale:
            del self._pending[(sender, key)]
            dropped.append(Expired(sender, key, tuple(sorted(pending.parts)), pending.count))
        return dropped

    @property
    def period_s(self) -> float:
        """How often :meth:`run` looks for expired messages."""
        return max(self.timeout_s / 4, MIN_EXPIRY_PERIOD_S)

    async def run(self) -> None:
        """Expire incomplete messages every :attr:`period_s`, logging each; runs until
        cancelled."""
        while True:
            for gone in self.expire():
                log.warning(
                    "segmented message timed out: %d of %d segments received",
                    len(gone.received),
                    gone.count,
                    extra={
                        "sender": gone.sender,
                        "request_id": gone.key,
                        "received_segments": list(gone.received),
                        "segment_count": gone.count,
                    },
                )
            await self.clock.sleep(self.period_s)
