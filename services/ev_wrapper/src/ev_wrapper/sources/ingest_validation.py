"""Rules of the HTTP ingestion endpoint (Crevillent's phone app), as pure functions.

Each rule either returns the validated IOP payload or raises :class:`IngestRejected` with the
HTTP status and the ``{"message": ...}`` text the app gets back:

- 401: missing, malformed or wrong ``Authorization: Bearer <token>`` (when a token is set);
- 400: body not JSON, not a valid IOP payload, ``id`` not the one in the path, or a status
  dated more than ``max_future_s`` ahead of the wrapper's clock;
- 403: an EV id of another organisation than the wrapper's;
- 409: a status of an EV whose characteristics were not PUT first (decided by the source,
  which knows what was PUT: see :mod:`.http_ingest`).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from wiseevp_common.messages.iop import EvCharacteristics, EvStatus
from wiseevp_common.messages.validation import describe_validation_error

M = TypeVar("M", bound=BaseModel)


class IngestRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bearer_token_ok(authorization: str | None, expected: str) -> bool:
    """Whether ``Authorization`` carries ``Bearer <expected>``; always true when ``expected`` is
    empty (authentication off). The token comparison takes constant time."""
    if not expected:
        return True
    if authorization is None:
        return False
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def _parse(model: type[M], body: bytes) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        problems = describe_validation_error(exc, limit=3)
        raise IngestRejected(400, f"invalid body: {problems}") from None


def _check_id(path_id: str, body_id: str, organisation: str) -> None:
    if body_id != path_id:
        raise IngestRejected(
            400, f"id {body_id!r} in the body is not the id in the path ({path_id!r})"
        )
    if not body_id.startswith(f"{organisation}-"):
        raise IngestRejected(403, f"EV {body_id} is not of organisation {organisation}")


def parse_characteristics(path_id: str, body: bytes, organisation: str) -> EvCharacteristics:
    characteristics = _parse(EvCharacteristics, body)
    _check_id(path_id, characteristics.id, organisation)
    return characteristics


def parse_status(
    path_id: str, body: bytes, organisation: str, now: datetime, max_future_s: float
) -> EvStatus:
    status = _parse(EvStatus, body)
    _check_id(path_id, status.id, organisation)
    ahead = (status.timestamp - now).total_seconds()
    if ahead > max_future_s:
        raise IngestRejected(
            400,
            f"timestamp is {ahead:.0f} s ahead of the wrapper's clock (at most {max_future_s:.0f})",
        )
    return status
