"""Can the group comply with its capacity? (3.4.1, FR.04.01-FR.04.04)

Two signs that it cannot:

- **Caps not applied.** Every change of limits sends each EVSE of the group a cap (see
  :mod:`.limits`); each answer comes back as a command result from the EVSE wrapper. An EVSE
  that rejects its cap, cannot apply it (no SmartCharging and no fallback key), or does not
  answer within ``compliance_wait_s`` (offline, network down: the spec's Example 1) leaves the
  group unable to comply.
- **Measured overload** (FR.04.02): the group's measured power exceeds its consumption
  capacity by more than the tolerance.

Then a GroupCapacityComplianceError goes to the Capacity Provider at once (FR.04.01), its
X-Correlation-ID naming the forecast concerned (4.4.3). Each new forecast is evaluated
afresh, so while the group still cannot comply the error is sent again (FR.04.03); a forecast
that is complied with sends nothing (FR.04.04).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from wiseevp_common.bus import Delivery
from wiseevp_common.clock import Clock
from wiseevp_common.messages.oscp20 import ForecastedBlock
from wiseevp_common.ocpp_topology import parse_result_key
from wiseevp_oscp.liveness import sleep_or_wake

log = logging.getLogger("wiseevp.oscp_fp.compliance")

ComplianceSender = Callable[[str, str, str, list[ForecastedBlock]], Awaitable[None]]
"""(group_id, forecast request id, message, blocks) → sends GroupCapacityComplianceError."""


@dataclass
class PendingCaps:
    group_id: str
    forecast_request_id: str
    blocks: list[ForecastedBlock]
    awaiting: dict[str, str]
    """request id → EVSE id of the caps not answered yet."""
    deadline: datetime
    failed: dict[str, str] = field(default_factory=dict)
    """EVSE id → why its cap was not applied."""
    total: int = 0


def result_failure(body: bytes) -> str | None:
    """Why a SetChargingProfile result means "not applied" (None: accepted)."""
    try:
        frame = json.loads(body)
    except ValueError:
        return "unreadable result"
    if not isinstance(frame, list) or len(frame) < 3:
        return "unreadable result"
    if frame[0] == 3:
        status = frame[2].get("status") if isinstance(frame[2], dict) else None
        return None if status == "Accepted" else f"station answered {status}"
    if frame[0] == 4 and len(frame) >= 4:
        details = frame[4] if len(frame) > 4 and isinstance(frame[4], dict) else {}
        reason = details.get("reason") or frame[2]
        return f"{reason}: {frame[3]}"
    return "unreadable result"


class ComplianceTracker:
    def __init__(self, clock: Clock, wait_s: float) -> None:
        self.clock = clock
        self.wait = timedelta(seconds=wait_s)
        self._send: ComplianceSender | None = None
        self._pending: dict[str, PendingCaps] = {}
        self._by_request: dict[str, str] = {}
        self._overload_reported: set[tuple[str, str]] = set()
        self._wake = asyncio.Event()

    def attach(self, send: ComplianceSender) -> None:
        """Who tells the Capacity Provider (the gateway, which knows the group's CP)."""
        self._send = send

    async def send(
        self, group_id: str, forecast_request_id: str, message: str, blocks: list[ForecastedBlock]
    ) -> None:
        log.warning("cannot comply: %s", message, extra={"group": group_id})
        if self._send is not None:
            await self._send(group_id, forecast_request_id, message, blocks)

    def expect(
        self,
        group_id: str,
        forecast_request_id: str,
        blocks: list[ForecastedBlock],
        caps: Mapping[str, str],
    ) -> None:
        """Caps were sent (request id → EVSE id); a previous evaluation of the group is
        superseded."""
        previous = self._pending.pop(group_id, None)
        if previous is not None:
            for rid in previous.awaiting:
                self._by_request.pop(rid, None)
        self._pending[group_id] = PendingCaps(
            group_id,
            forecast_request_id,
            blocks,
            dict(caps),
            self.clock.now() + self.wait,
            total=len(caps),
        )
        for rid in caps:
            self._by_request[rid] = group_id
        self._wake.set()

    async def handle_result(self, delivery: Delivery) -> None:
        address = parse_result_key(delivery.routing_key)
        if address is None or address.request_id is None:
            return
        group_id = self._by_request.pop(address.request_id, None)
        pending = self._pending.get(group_id) if group_id else None
        if pending is None:
            return  # not ours, or from a superseded evaluation
        evse_id = pending.awaiting.pop(address.request_id, address.evse_id)
        failure = result_failure(delivery.body)
        if failure is not None:
            pending.failed[evse_id] = failure
        if not pending.awaiting:
            await self._evaluate(pending)

    async def _evaluate(self, pending: PendingCaps) -> None:
        self._pending.pop(pending.group_id, None)
        for rid in pending.awaiting:
            self._by_request.pop(rid, None)
        failed = dict(pending.failed)
        failed.update(
            {evse: "no answer (offline or unreachable)" for evse in pending.awaiting.values()}
        )
        if not failed:
            log.info("group complies", extra={"group": pending.group_id})
            return
        listed = "; ".join(f"{evse}: {why}" for evse, why in sorted(failed.items())[:20])
        more = f" (and {len(failed) - 20} more)" if len(failed) > 20 else ""
        message = (
            f"cannot comply with the capacity of group {pending.group_id}: "
            f"{len(failed)} of {pending.total} EVSEs did not apply their limit - {listed}{more}"
        )
        await self.send(pending.group_id, pending.forecast_request_id, message, pending.blocks)

    async def measured(
        self,
        *,
        group_id: str,
        forecast_request_id: str | None,
        capacity: float | None,
        measured: float,
        tolerance: float,
        unit: str,
        blocks: list[ForecastedBlock],
    ) -> None:
        """FR.04.02: measured load above the capacity is non-compliance (once per forecast)."""
        if (
            capacity is None
            or forecast_request_id is None
            or measured <= capacity * (1 + tolerance)
        ):
            return
        key = (group_id, forecast_request_id)
        if key in self._overload_reported:
            return
        self._overload_reported.add(key)
        await self.send(
            group_id,
            forecast_request_id,
            f"cannot comply with the capacity of group {group_id}: measured load "
            f"{measured:.1f} {unit} exceeds the consumption capacity {capacity:.1f} {unit} "
            f"(FR.04.02)",
            blocks,
        )

    async def run(self) -> None:
        """Evaluate groups whose EVSEs did not all answer in time. Runs forever."""
        while True:
            self._wake.clear()
            now = self.clock.now()
            for pending in [p for p in self._pending.values() if p.deadline <= now]:
                await self._evaluate(pending)
            deadlines = [p.deadline for p in self._pending.values()]
            delay = (min(deadlines) - now).total_seconds() if deadlines else None
            await sleep_or_wake(self.clock, delay, self._wake)
