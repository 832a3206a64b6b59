"""Measurements back to the peers, and the checks that need them (FR.01.01, 3.2.3, 4.5).

Every ``measurement_interval_s`` and for every group: the EVSEs' latest meter values are read
from the RT monitor; the group's accumulated energy goes to its Capacity Provider
(UpdateGroupMeasurements, aggregated as the CP's measurement_configuration asks) and the
EVSEs' measurements to every Capacity Optimizer (UpdateAssetMeasurements, not sent when there
is nothing to report). Then: measured load above capacity is reported as non-compliance
(FR.04.02), and demand of the charging EVSEs above capacity asks the CP for more
(AdjustGroupCapacityForecast, once per forecast).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from pydantic import BaseModel

from wiseevp_common.clock import Clock
from wiseevp_common.messages.grid import CapacityUnit, GroupCapacity
from wiseevp_common.messages.oscp20 import (
    AdjustGroupCapacityForecast,
    CapacityForecastType,
    ForecastedBlock,
    ForecastedBlockUnit,
    PhaseIndicator,
)
from wiseevp_oscp.endpoints import Endpoint, Role

from .compliance import ComplianceTracker
from .gateway import Gateway
from .groups import GroupConfig
from .limits import LimitPublisher
from .measurements import GroupTotals, asset_measurements, group_measurements
from .sent import SentLog
from .snapshots import EvseSnapshot, SnapshotSource

log = logging.getLogger("wiseevp.oscp_fp.reporting")


def demand(group: GroupConfig, snapshots: list[EvseSnapshot], unit: CapacityUnit) -> float:
    """What the charging EVSEs would draw unconstrained, in the group's unit."""
    charging = {s.evse_id for s in snapshots if s.charging}
    total = 0.0
    for evse in group.evses:
        if evse.id in charging:
            total += (
                evse.max_current_a
                if unit is CapacityUnit.A
                else evse.max_power_w(group.nominal_voltage_v)
            )
    return total


def measured_load(snapshots: list[EvseSnapshot], group: GroupConfig, unit: CapacityUnit) -> float:
    watts = sum(s.power_w or 0.0 for s in snapshots)
    return watts / (group.nominal_voltage_v * 3) if unit is CapacityUnit.A else watts


class Reporter:
    def __init__(
        self,
        gateway: Gateway,
        source: SnapshotSource,
        *,
        limits: LimitPublisher,
        compliance: ComplianceTracker,
        sent: SentLog,
        clock: Clock,
        interval_s: float,
        tolerance: float,
        request_adjustments: bool,
    ) -> None:
        self.gateway = gateway
        self.source = source
        self.limits = limits
        self.compliance = compliance
        self.sent = sent
        self.clock = clock
        self.interval_s = interval_s
        self.tolerance = tolerance
        self.request_adjustments = request_adjustments
        self._totals: dict[tuple[str, str], GroupTotals] = {}
        self._adjusted: set[tuple[str, str]] = set()

    async def run(self) -> None:
        while True:
            await self.report_all()
            await self.clock.sleep(self.interval_s)

    async def report_all(self) -> None:
        charging: set[str] = set()
        for group in self.gateway.groups.values():
            try:
                snapshots = await self.source.fetch([e.id for e in group.evses])
            except Exception as exc:  # the RT monitor may be down: report next time
                log.warning("no meter values for %s: %s", group.id, exc)
                continue
            charging.update(s.evse_id for s in snapshots if s.charging)
            await self._report(group, snapshots)
            await self._check(group, snapshots)
        self.limits.charging = charging

    async def _report(self, group: GroupConfig, snapshots: list[EvseSnapshot]) -> None:
        party = self.gateway.party
        now = self.clock.now()
        cp = self.gateway.capacity_provider(group.id)
        if cp is not None and cp.connected:
            asked = cp.their_behaviour.measurement_configuration if cp.their_behaviour else None
            key = (cp.peer_id, group.id)
            message, self._totals[key] = group_measurements(
                group.id, snapshots, asked or [], now, self._totals.get(key)
            )
            if message is not None:
                await self._send(cp.peer_id, Endpoint.UPDATE_GROUP_MEASUREMENTS, message, group.id)
        for co in party.connected(Role.CO):
            asked = co.their_behaviour.measurement_configuration if co.their_behaviour else None
            assets = asset_measurements(group.id, snapshots, asked or [], now)
            if assets is not None:
                await self._send(co.peer_id, Endpoint.UPDATE_ASSET_MEASUREMENTS, assets, group.id)

    async def _check(self, group: GroupConfig, snapshots: list[EvseSnapshot]) -> None:
        capacity = self.gateway.capacities.get(group.id)
        if capacity is None or capacity.current is None:
            return
        limit = capacity.current.consumption
        forecast = self.gateway.in_force.get(group.id, {}).get(CapacityForecastType.CONSUMPTION)
        blocks = forecast.forecast.forecasted_blocks if forecast else []
        await self.compliance.measured(
            group_id=group.id,
            forecast_request_id=capacity.forecast_request_id,
            capacity=limit,
            measured=measured_load(snapshots, group, capacity.unit),
            tolerance=self.tolerance,
            unit=capacity.unit.value,
            blocks=blocks,
        )
        if self.request_adjustments and limit is not None:
            await self._maybe_adjust(group, capacity, demand(group, snapshots, capacity.unit))

    async def _maybe_adjust(self, group: GroupConfig, capacity: GroupCapacity, need: float) -> None:
        """3.2.3: the demand exceeds the capacity: ask the CP for ``need`` in this block."""
        current = capacity.current
        if current is None or current.consumption is None or need <= current.consumption:
            return
        key = (group.id, capacity.forecast_request_id or "")
        if key in self._adjusted:
            return
        cp = self.gateway.capacity_provider(group.id)
        if cp is None or not cp.connected:
            return
        self._adjusted.add(key)
        unit = ForecastedBlockUnit.A if capacity.unit is CapacityUnit.A else ForecastedBlockUnit.W
        request = AdjustGroupCapacityForecast(
            group_id=group.id,
            type=CapacityForecastType.CONSUMPTION,
            forecasted_blocks=[
                ForecastedBlock(
                    capacity=Decimal(str(round(need, 1))),
                    phase=PhaseIndicator.ALL,
                    unit=unit,
                    start_time=current.start,
                    end_time=current.end,
                )
            ],
        )
        await self._send(cp.peer_id, Endpoint.ADJUST_GROUP_CAPACITY_FORECAST, request, group.id)

    async def _send(
        self, peer_id: str, endpoint: Endpoint, message: BaseModel, group_id: str
    ) -> None:
        await self.sent.send(peer_id, endpoint, message, group_id=group_id)
