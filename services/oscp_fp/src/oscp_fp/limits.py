"""Publishing a group's limits: the GroupCapacity on the IOP (for the scheduler and other grid
tools), and — unless disabled — a cap for every EVSE of the group, sent as an OCPP
SetChargingProfile command (ChargePointMaxProfile) through the EVSE wrapper.

The caps of one group never add up to more than the group's limit (:mod:`.allocation`), so
the group complies even before the scheduler has planned anything; the scheduler's own
profiles (TxProfile) stay below them, since a charge point applies the lowest of its profiles.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterable
from typing import TypeVar

from wiseevp_common.bus import Bus
from wiseevp_common.clock import Clock
from wiseevp_common.messages.grid import GroupCapacity
from wiseevp_common.messages.oscp20 import UpdateGroupCapacityForecast
from wiseevp_common.ocpp_topology import OcppIop
from wiseevp_common.topology import IopTopic

from .allocation import AllocationOptions, allocate
from .compliance import ComplianceTracker
from .groups import GroupConfig

log = logging.getLogger("wiseevp.oscp_fp.limits")

PUBLISH_CONCURRENCY = 256
"""Caps in flight at once (each waits for its broker confirmation)."""


class LimitPublisher:
    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        compliance: ComplianceTracker,
        options: AllocationOptions,
        *,
        apply_profiles: bool,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.compliance = compliance
        self.options = options
        self.apply_profiles = apply_profiles
        self.charging: set[str] = set()
        """EVSEs charging at the last measurement (they get a larger share)."""

    async def publish(
        self,
        capacity: GroupCapacity,
        group: GroupConfig,
        *,
        profiles: bool,
        forecast: UpdateGroupCapacityForecast | None,
    ) -> None:
        await self.bus.publish_iop(IopTopic.GRID_CAPACITY, capacity, group_id=capacity.group_id)
        if not (profiles and self.apply_profiles) or not capacity.blocks:
            return
        limits = allocate(capacity, group, self.clock.now(), self.charging, self.options)
        caps = [(str(uuid.uuid4()), limit.evse_id, limit.payload) for limit in limits]
        if forecast is not None and capacity.forecast_request_id is not None:
            # expected before the first cap leaves: a fast station's result may come back
            # before the last cap is published
            self.compliance.expect(
                capacity.group_id,
                capacity.forecast_request_id,
                forecast.forecasted_blocks,
                {rid: evse_id for rid, evse_id, _ in caps},
            )
        for chunk in _chunks(caps, PUBLISH_CONCURRENCY):
            await asyncio.gather(
                *(
                    self.bus.publish_raw(
                        OcppIop.SET_CHARGING_PROFILE.routing_key(evse_id, rid),
                        json.dumps(payload, separators=(",", ":")).encode(),
                        message_id=rid,
                    )
                    for rid, evse_id, payload in chunk
                )
            )
        log.info(
            "limits published",
            extra={"group": capacity.group_id, "mode": capacity.mode.value, "evses": len(caps)},
        )


X = TypeVar("X")


def _chunks(items: list[X], size: int) -> Iterable[list[X]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
