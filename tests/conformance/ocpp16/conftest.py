"""Conformance fixtures: the EVSE wrapper process (see tests/integration/conftest.py), and a
factory for wrappers with settings of their own (security profiles, short expiries, ...)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest

from tests.integration.conftest import evse_wrapper
from tests.support.evse import EvseWrapperProcess

__all__ = ["evse_wrapper", "wrapper_factory"]

WrapperFactory = Callable[..., EvseWrapperProcess]


@pytest.fixture
async def wrapper_factory(
    fresh_db: asyncpg.Connection, fresh_broker: None
) -> AsyncIterator[WrapperFactory]:
    """``wrapper_factory(WISEEVP_X="...")``: an EVSE wrapper not started yet (its ``env`` is
    ready for ``python -m evse_wrapper`` admin commands), on an empty database and vhost,
    stopped at the end of the test. Call timeout 5 s unless given."""
    made: list[EvseWrapperProcess] = []

    def make(**env: str) -> EvseWrapperProcess:
        process = EvseWrapperProcess(**{"WISEEVP_CALL_TIMEOUT_S": "5", **env})
        made.append(process)
        return process

    try:
        yield make
    finally:
        for process in made:
            await process.stop()
