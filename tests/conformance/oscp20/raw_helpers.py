"""What the OSCP 2.0 conformance tests with a Capacity Provider played by hand
(tests/support/oscp_raw.py) share: the peer id, the ``raw`` fixtures and the helpers that
build messages and watch the FP.

Two fixtures provide ``raw``; a test module imports the one it needs:

- :func:`unregistered_raw`: the CP only invited, not registered (the connection tests drive
  registration and handshake themselves);
- :func:`joined_raw`: the CP registered and handshaken (the message tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from tests.support.oscp_peers import PeerView
from tests.support.oscp_raw import RawPeer, RawResponse, oscp_time, raw_peer
from tests.support.oscp_site import OscpSite
from wiseevp_common.messages.oscp20 import CapacityForecastType, UpdateGroupCapacityForecast
from wiseevp_oscp.endpoints import Endpoint, Role, base_path

RAW = "raw-cp"
"""The peer id the FP knows the hand-played CP by."""


# -- the connection tests (test_registration.py, test_handshake_and_heartbeat.py) -------------

FP_MIN_HEARTBEAT_S = 5
"""The shortest heartbeat interval the FP keeps up in the harness
(``WISEEVP_MIN_HEARTBEAT_INTERVAL_S``): a shorter one is refused."""
QUIET_S = 0.6
"""Real seconds to watch for something that must not happen (a few heartbeat intervals)."""


def fp_base(site: OscpSite) -> str:
    return site.fp.url + base_path(Role.FP)


@pytest.fixture(name="raw")
async def unregistered_raw(cp_site: OscpSite) -> AsyncIterator[RawPeer]:
    async with raw_peer(fp_base(cp_site), Role.CP, cp_site.now) as peer:
        yield peer


def heartbeat_body(site: OscpSite, ahead: timedelta = timedelta(minutes=5)) -> dict[str, str]:
    return {"offline_mode_at": oscp_time(site.now() + ahead)}


async def view(site: OscpSite) -> PeerView:
    found = await site.fp.peer(RAW)
    assert found is not None
    return found


async def quiet(raw: RawPeer, endpoint: Endpoint, after: float, grace: float = 0.0) -> None:
    """Nothing reaches ``endpoint`` of the raw peer for :data:`QUIET_S` from ``after`` +
    ``grace`` (a request already on its way may arrive during the grace)."""
    await asyncio.sleep(grace + QUIET_S)
    assert raw.server.received(endpoint, after=after + grace) == []


# -- the message tests (test_messages.py, test_segmented_messages.py) -------------------------

GROUP = "area-2"


@pytest.fixture(name="raw")
async def joined_raw(cp_site: OscpSite) -> AsyncIterator[RawPeer]:
    """A CP played by hand, registered and handshaken at the FP (online for an hour)."""
    async with raw_peer(cp_site.fp.url + base_path(Role.FP), Role.CP, cp_site.now) as peer:
        await peer.join(cp_site.fp, RAW)
        yield peer


def forecast(site: OscpSite, *capacities: float) -> dict[str, Any]:
    """An UpdateGroupCapacityForecast (CONSUMPTION, amperes) of :data:`GROUP` as JSON."""
    message = UpdateGroupCapacityForecast(
        group_id=GROUP,
        type=CapacityForecastType.CONSUMPTION,
        forecasted_blocks=site.blocks(*(capacities or (16,))),
    )
    return message.model_dump(mode="json", exclude_none=True)


def refused(response: RawResponse, status: int = 400, *words: str) -> None:
    """``response`` is an error ``status`` with a ``{"message": ...}`` naming ``words``."""
    assert response.status == status, (response.status, response.body)
    for word in words:
        assert word in response.message, (word, response.message)
