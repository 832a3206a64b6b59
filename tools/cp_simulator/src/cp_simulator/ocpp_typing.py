"""Typed faces of the untyped ``ocpp`` library: the ChargePoint base class and the routing
decorators, so the station code is type-checked (behaviour is the library's own)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ocpp.routing import after as _after
from ocpp.routing import on as _on
from ocpp.v16 import ChargePoint as _ChargePoint

F = TypeVar("F", bound=Callable[..., Any])


def on(action: str) -> Callable[[F], F]:
    """``ocpp.routing.on``: handle the central system's CALL ``action``."""
    return cast(Callable[[F], F], _on(action))


def after(action: str) -> Callable[[F], F]:
    """``ocpp.routing.after``: run once the response to ``action`` has been sent."""
    return cast(Callable[[F], F], _after(action))


if TYPE_CHECKING:

    class ChargePoint:
        """What the station uses of ``ocpp.v16.ChargePoint``."""

        id: str
        _connection: Any
        _response_queue: asyncio.Queue[Any]

        def __init__(
            self,
            id: str,
            connection: Any,
            response_timeout: float = 30,
            logger: logging.Logger = ...,
        ) -> None: ...

        async def start(self) -> None: ...

        async def call(
            self, payload: Any, suppress: bool = True, skip_schema_validation: bool = False
        ) -> Any: ...

        async def _send(self, message: str) -> None: ...

else:
    ChargePoint = _ChargePoint
