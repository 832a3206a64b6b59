"""Fixtures of the OSCP engine tests (test_engine_*.py): an FP and a CP (:mod:`.parties`) on
one manual clock, registered (``token_a``) or registered and handshaken (``connected``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from wiseevp_common.clock import ManualClock
from wiseevp_oscp.endpoints import Role

from .engine_helpers import T0
from .parties import CP_REQUIRES, FP_REQUIRES, Party, handshake, register


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def fp(clock: ManualClock) -> AsyncIterator[Party]:
    party = Party(Role.FP, "fp", clock, FP_REQUIRES)
    await party.start()
    try:
        yield party
    finally:
        await party.stop()


@pytest.fixture
async def cp(clock: ManualClock) -> AsyncIterator[Party]:
    party = Party(Role.CP, "cp", clock, CP_REQUIRES)
    await party.start()
    try:
        yield party
    finally:
        await party.stop()


@pytest.fixture
async def token_a(fp: Party, cp: Party) -> str:
    """The CP registered with the FP (no handshake yet); the TOKEN_A it registered with."""
    return await register(cp, fp)


@pytest.fixture
async def connected(fp: Party, cp: Party, token_a: str) -> None:
    """Registered and handshaken (the CP initiates the handshake)."""
    await handshake(cp, fp)
