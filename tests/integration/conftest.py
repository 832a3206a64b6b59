"""Fixtures of the EVSE data path tests (``test_evse_data_path_*.py``): an MQTT client of
the EVSE wrapper's kind, and a real ``rt_monitor`` process on a fresh database and vhost."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiomqtt
import asyncpg
import pytest

from tests.support.env import MQTT_HOST, MQTT_PASSWORD, MQTT_PORT, MQTT_USERNAME
from tests.support.evse import EvseWrapperProcess
from tests.support.processes import ServiceProcess


@pytest.fixture
async def mqtt(org: str) -> AsyncIterator[aiomqtt.Client]:
    async with aiomqtt.Client(
        MQTT_HOST,
        MQTT_PORT,
        username=MQTT_USERNAME,
        password=MQTT_PASSWORD,
        identifier=f"evse-wrapper-test-{org}",
    ) as client:
        yield client


@pytest.fixture
async def monitor(
    fresh_db: asyncpg.Connection, fresh_broker: None
) -> AsyncIterator[ServiceProcess]:
    process = await ServiceProcess("rt_monitor", WISEEVP_HISTORY_MAX_LIMIT="50").started()
    try:
        yield process
    finally:
        await process.stop()


@pytest.fixture
async def evse_wrapper(
    fresh_db: asyncpg.Connection, fresh_broker: None
) -> AsyncIterator[EvseWrapperProcess]:
    """The EVSE wrapper on an empty database and vhost (auto-registration on)."""
    process = await EvseWrapperProcess(WISEEVP_CALL_TIMEOUT_S="5").started()
    try:
        yield process
    finally:
        await process.stop()
