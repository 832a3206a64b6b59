"""OSCP 2.0 conformance: our FP gateway, CP and CO peers as separate processes over real HTTP
(see tests/support/oscp_site.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.support.oscp_site import OscpSite, oscp_site


@pytest.fixture
async def site(
    fresh_db: asyncpg.Connection, fresh_broker: None, tmp_path: Path
) -> AsyncIterator[OscpSite]:
    async with oscp_site(tmp_path) as running:
        yield running


@pytest.fixture
async def cp_site(
    fresh_db: asyncpg.Connection, fresh_broker: None, tmp_path: Path
) -> AsyncIterator[OscpSite]:
    """The site without a Capacity Optimizer connected (no Optimum comes back)."""
    async with oscp_site(tmp_path, connect_co=False) as running:
        yield running


@pytest.fixture
async def compliance_site(
    fresh_db: asyncpg.Connection, fresh_broker: None, tmp_path: Path
) -> AsyncIterator[OscpSite]:
    """Without a CO, and EVSEs given 200 simulated seconds (10 s) to confirm their caps, so
    the test answers them as the EVSE wrapper would before the gateway judges."""
    async with oscp_site(
        tmp_path, connect_co=False, fp_env={"WISEEVP_COMPLIANCE_WAIT_S": "200"}
    ) as running:
        yield running
