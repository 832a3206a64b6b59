"""Asynchronous RPC on RabbitMQ (design 3.1.5.2 and 3.1.6).

The client publishes a persistent request to the endpoint's durable queue with ``reply_to``
and ``correlation_id``; the server replies to ``reply_to`` with the same ``correlation_id``.
Errors come back as a reply too (header ``x-wiseevp-rpc-status: error``, body
:class:`RpcErrorBody`), so a caller never waits for a timeout to learn of a failure.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitResponse
from faststream.rabbit.annotations import RabbitMessage
from pydantic import BaseModel, ValidationError

from ..messages.types import wire_json
from ..messages.validation import describe_validation_error
from ..topology import DeadLetterReason, QueueSpec, RpcEndpoint, RpcHeader
from .broker import pass_message
from .consumer import dead_letter, to_delivery
from .declare import rabbit_queue
from .publish import JSON

log = logging.getLogger("wiseevp.bus.rpc")

Req = TypeVar("Req", bound=BaseModel)
Resp = TypeVar("Resp", bound=BaseModel)


class RpcErrorBody(BaseModel):
    code: str
    message: str


class RpcError(Exception):
    """Base of RPC failures. Raise a subclass (or this) in a server handler to reply an error."""

    code = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class RpcInvalidRequest(RpcError):
    code = "invalid-request"


class RpcInternalError(RpcError):
    code = "internal-error"


class RpcTimeout(RpcError):
    code = "timeout"


class RpcRemoteError(RpcError):
    """The server replied with an error; :attr:`code` is the server's code."""


def _error_reply(error: RpcError) -> RabbitResponse:
    body = RpcErrorBody(code=error.code, message=error.message)
    return RabbitResponse(
        wire_json(body), headers={RpcHeader.STATUS.value: "error"}, content_type=JSON
    )


def serve(
    broker: RabbitBroker,
    endpoint: RpcEndpoint[Req, Resp],
    handler: Callable[[Req], Awaitable[Resp]],
    *,
    service: str,
    max_attempts: int,
) -> None:
    """Serve ``endpoint`` with ``handler`` (typed request in, typed response out)."""
    spec = QueueSpec(endpoint.queue, (), endpoint.description)

    @broker.subscriber(
        rabbit_queue(spec, max_attempts),
        ack_policy=AckPolicy.ACK,
        decoder=pass_message,
        title=endpoint.queue,
        description=endpoint.description,
    )
    async def _serve(message: RabbitMessage) -> RabbitResponse | None:
        raw = message.raw_message
        if not raw.reply_to:
            await dead_letter(
                broker,
                to_delivery(raw),
                queue=endpoint.queue,
                service=service,
                reason=DeadLetterReason.INVALID_PAYLOAD,
                error="RPC request without reply_to",
                content_type=raw.content_type,
            )
            return None
        try:
            request = endpoint.request.model_validate_json(raw.body)
        except ValidationError as exc:
            return _error_reply(RpcInvalidRequest(describe_validation_error(exc)))
        try:
            response = await handler(request)
        except RpcError as exc:
            return _error_reply(exc)
        except Exception as exc:
            log.exception("RPC handler failed", extra={"queue": endpoint.queue})
            return _error_reply(RpcInternalError(f"{type(exc).__name__}: {exc}"))
        return RabbitResponse(
            wire_json(response), headers={RpcHeader.STATUS.value: "ok"}, content_type=JSON
        )


async def call(
    broker: RabbitBroker,
    endpoint: RpcEndpoint[Req, Resp],
    request: Req,
    *,
    timeout: float = 10.0,
) -> Resp:
    """Call ``endpoint``; raise :class:`RpcTimeout` or :class:`RpcRemoteError` on failure."""
    correlation_id = uuid.uuid4().hex
    try:
        reply: Any = await broker.request(
            wire_json(request),
            queue=endpoint.queue,
            timeout=timeout,
            persist=True,
            correlation_id=correlation_id,
            content_type=JSON,
        )
    except TimeoutError:
        raise RpcTimeout(f"no reply from {endpoint.queue} within {timeout} s") from None
    headers = reply.headers or {}
    if headers.get(RpcHeader.STATUS.value) == "error":
        err = RpcErrorBody.model_validate_json(reply.body)
        raise RpcRemoteError(err.message, code=err.code)
    return endpoint.response.model_validate_json(reply.body)
