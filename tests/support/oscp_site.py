"""An OSCP site under test: our FP gateway, a CP and a CO as three processes over real HTTP on a
shared simulated clock, the bus tapped, and the RT monitor replaced by a snapshot server whose
answers the test sets (the RT monitor's own endpoint has its integration tests).

Time: every process runs ``SimulatedClock(start, SPEED, epoch)`` with the same parameters, so
the test computes the same simulated "now" (:meth:`OscpSite.now`) and timestamps published by
the FP are comparable with it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry

from wiseevp_cli.processes import free_port
from wiseevp_common.clock import SimulatedClock
from wiseevp_common.http import HttpServer, build_app
from wiseevp_common.messages.grid import CapacityMode, GroupCapacity
from wiseevp_common.messages.oscp20 import (
    CapacityForecastType,
    ForecastedBlock,
    ForecastedBlockUnit,
    PhaseIndicator,
    UpdateGroupCapacityForecast,
)
from wiseevp_common.topology import encode_level
from wiseevp_oscp.endpoints import Role

from .broker import publish_raw
from .evse import Tap, tap
from .oscp_peers import ADMIN_TOKEN, CoProcess, CpProcess, OscpPeerProcess, connect
from .waiting import wait_for_value

SPEED = 20.0
"""Simulated seconds per real second."""
HEARTBEAT_S = 20
"""Heartbeat interval (simulated s) every party asks of the other: 1 real second."""

GROUPS = {
    "area-1": ["OSCP-A.1", "OSCP-A.2", "OSCP-A.3"],
    "area-2": ["OSCP-B.1"],
}
MAX_CURRENT_A = 32


def groups_yaml() -> str:
    lines = ["groups:"]
    for group, evses in GROUPS.items():
        lines += [f"  - id: {group}", "    evses:"]
        lines += [f"      - {{id: {e}, max_current_a: {MAX_CURRENT_A}}}" for e in evses]
    return "\n".join(lines) + "\n"


class SnapshotServer:
    """Answers ``POST /api/v1/evses/snapshot`` like the RT monitor, from :attr:`items`."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.server = HttpServer(
            build_app(CollectorRegistry(), {}, [web.post("/api/v1/evses/snapshot", self._handle)]),
            "127.0.0.1",
            0,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def set(
        self,
        evse_id: str,
        *,
        charging: bool,
        energy_wh: float | None = None,
        power_w: float | None = None,
        at: datetime,
    ) -> None:
        self.items[evse_id] = {
            "evse_id": evse_id,
            "known": True,
            "energy_import_wh": energy_wh,
            "energy_export_wh": None,
            "energy_measured_at": at.isoformat() if energy_wh is not None else None,
            "power_w": power_w,
            "power_measured_at": at.isoformat() if power_w is not None else None,
            "charging": charging,
            "transactions": [],
        }

    async def _handle(self, request: web.Request) -> web.Response:
        ids = (await request.json())["evse_ids"]
        unknown = {
            "known": False,
            "energy_import_wh": None,
            "energy_export_wh": None,
            "energy_measured_at": None,
            "power_w": None,
            "power_measured_at": None,
            "charging": False,
            "transactions": [],
        }
        evses = [self.items.get(i, {"evse_id": i, **unknown}) for i in ids]
        return web.json_response({"evses": evses})


@dataclass
class OscpSite:
    fp: OscpPeerProcess
    cp: CpProcess
    co: CoProcess
    tap: Tap
    snapshots: SnapshotServer
    clock: SimulatedClock
    extra: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock.now()

    # -- forecasts -----------------------------------------------------------------------

    def blocks(
        self,
        *capacities: float,
        minutes: int = 15,
        unit: ForecastedBlockUnit = ForecastedBlockUnit.A,
        start: datetime | None = None,
    ) -> list[ForecastedBlock]:
        """Consecutive blocks of ``minutes`` from the current quarter hour."""
        begin = start or self.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
        return [
            ForecastedBlock(
                capacity=Decimal(str(c)),
                phase=PhaseIndicator.ALL,
                unit=unit,
                start_time=begin + timedelta(minutes=minutes * i),
                end_time=begin + timedelta(minutes=minutes * (i + 1)),
            )
            for i, c in enumerate(capacities)
        ]

    async def send(
        self,
        kind: CapacityForecastType,
        *capacities: float,
        group: str = "area-1",
        expect: int = 200,
        **options: Any,
    ) -> dict[str, Any]:
        """The CP sends a forecast to the FP; its answer (``request_ids`` / ``errors``)."""
        forecast = UpdateGroupCapacityForecast(
            group_id=group, type=kind, forecasted_blocks=self.blocks(*capacities, **options)
        )
        return await self.cp.send_forecast(forecast, expect=expect)

    # -- what the FP published -----------------------------------------------------------

    def capacities(self, group: str = "area-1") -> list[GroupCapacity]:
        key = f"MQTT.GRID.{encode_level(group)}.capacity"
        return [GroupCapacity.model_validate(m) for m in self.tap.on(key)]

    async def wait_capacity(
        self,
        done: Callable[[GroupCapacity], bool],
        group: str = "area-1",
        timeout: float = 15.0,
    ) -> GroupCapacity:
        found = await wait_for_value(
            lambda: [c for c in self.capacities(group) if done(c)],
            bool,
            timeout=timeout,
            what=f"a capacity of {group}",
        )
        return found[-1]

    def caps(self, evse_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(request id, SetChargingProfile payload) of every cap sent to ``evse_id``."""
        prefix = f"MQTT.EVSE.{encode_level(evse_id)}.setchargingprofile."
        return [
            (key[len(prefix) :], json.loads(body))
            for key, body in self.tap.messages
            if key.startswith(prefix)
        ]

    async def wait_caps(self, group: str = "area-1", count: int = 1) -> dict[str, list[Any]]:
        evses = GROUPS[group]
        return await wait_for_value(
            lambda: {e: self.caps(e) for e in evses},
            lambda found: all(len(c) >= count for c in found.values()),
            timeout=15.0,
            what=f"{count} cap(s) for every EVSE of {group}",
        )


def site_env(clock: SimulatedClock) -> dict[str, str]:
    return {
        "WISEEVP_CLOCK": "simulated",
        "WISEEVP_CLOCK_START": clock.start.isoformat(),
        "WISEEVP_CLOCK_EPOCH": repr(clock.epoch),
        "WISEEVP_CLOCK_SPEED": str(clock.speed),
        "WISEEVP_HEARTBEAT_INTERVAL_S": str(HEARTBEAT_S),
        "WISEEVP_MIN_HEARTBEAT_INTERVAL_S": "5",
        "WISEEVP_HANDSHAKE_RETRY_S": "10",
    }


def fp_process(
    groups_file: Path, snapshots_url: str, clock: SimulatedClock, **env: str
) -> OscpPeerProcess:
    return OscpPeerProcess(
        "oscp_fp",
        Role.FP,
        "fp",
        ADMIN_TOKEN,
        **{
            "WISEEVP_HTTP_PORT": str(free_port()),
            "WISEEVP_OSCP_GROUPS_FILE": str(groups_file),
            "WISEEVP_RT_MONITOR_URL": snapshots_url,
            "WISEEVP_MEASUREMENT_INTERVAL_S": "60",
            "WISEEVP_COMPLIANCE_WAIT_S": "20",
            **site_env(clock),
            **env,
        },
    )


@asynccontextmanager
async def oscp_site(
    directory: Path,
    *,
    connect_co: bool = True,
    fp_env: dict[str, str] | None = None,
    cp_env: dict[str, str] | None = None,
    co_env: dict[str, str] | None = None,
) -> AsyncIterator[OscpSite]:
    """FP, CP and CO started and connected (CP → FP registration and handshake; FP → CO)."""
    groups_file = directory / "groups.yaml"
    groups_file.write_text(groups_yaml())
    clock = SimulatedClock(datetime(2026, 6, 1, 8, 0, tzinfo=UTC), SPEED, time.time())
    snapshots = SnapshotServer()
    await snapshots.server.start()
    fp = fp_process(groups_file, snapshots.url, clock, **(fp_env or {}))
    cp = CpProcess(WISEEVP_HTTP_PORT=str(free_port()), **{**site_env(clock), **(cp_env or {})})
    co = CoProcess(WISEEVP_HTTP_PORT=str(free_port()), **{**site_env(clock), **(co_env or {})})
    try:
        async with tap("MQTT.#") as tapped:
            await asyncio.gather(fp.started(), cp.started(), co.started())
            await connect(cp, fp)
            if connect_co:
                await connect(fp, co)
            yield OscpSite(fp, cp, co, tapped, snapshots, clock)
    finally:
        await asyncio.gather(fp.stop(), cp.stop(), co.stop())
        await snapshots.server.stop()


def is_mode(mode: CapacityMode) -> Callable[[GroupCapacity], bool]:
    return lambda capacity: capacity.mode is mode


def cap_limits(payload: dict[str, Any]) -> list[float]:
    """The limits of a cap's schedule periods, in order."""
    periods = payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]
    return [float(p["limit"]) for p in periods]


async def answer_caps(
    caps: dict[str, list[Any]], refused: frozenset[str] | set[str] = frozenset()
) -> None:
    """Answer each EVSE's latest cap as the EVSE wrapper would: Accepted, or — for the
    ``refused`` ones — the wrapper's "profile not applied" CALLERROR."""
    for evse_id, sent in caps.items():
        request_id = sent[-1][0]
        if evse_id in refused:
            frame: list[Any] = [
                4,
                request_id,
                "NotSupported",
                "the station rejected the profile and has no max-current key",
                {"reason": "profile-not-applied"},
            ]
        else:
            frame = [3, request_id, {"status": "Accepted"}]
        key = f"MQTT.EVSE.{encode_level(evse_id)}.result.setchargingprofile.{request_id}"
        await publish_raw(key, json.dumps(frame).encode())
