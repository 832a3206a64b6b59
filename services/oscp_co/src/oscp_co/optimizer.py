"""The Capacity Optimizer's behaviour: an Optimum for every consumption forecast.

A received UpdateGroupCapacityForecast is checked against the rules a single forecast can
break (FR.01.05/FR.01.06 signs, overlapping blocks): a violation is a 400 naming the rule.
A CONSUMPTION forecast is answered, after its 204, with an UpdateGroupCapacityForecast of
type OPTIMUM for the same group and blocks (X-Correlation-ID: the forecast's request id),
each capacity being :func:`optimum_capacity`. Asset measurements are accepted (the party's
inbox records every message).
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_EVEN, Decimal

from wiseevp_common.messages.oscp20 import (
    CapacityForecastType,
    ForecastedBlock,
    UpdateGroupCapacityForecast,
)
from wiseevp_common.messages.oscp20.rules import check_forecast
from wiseevp_oscp.endpoints import Endpoint
from wiseevp_oscp.errors import InvalidPayload, NotConnected, PeerError, PeerUnreachable
from wiseevp_oscp.party import OscpParty
from wiseevp_oscp.server import FollowUp, Handler, Inbound

log = logging.getLogger("wiseevp.oscp_co")

EIGHT_DECIMALS = Decimal("0.00000001")


def optimum_capacity(capacity: Decimal, fraction: Decimal) -> Decimal:
    """``capacity x fraction`` rounded (half to even) to at most 8 decimals, never above the
    consumption capacity nor below 0."""
    value = (capacity * fraction).quantize(EIGHT_DECIMALS, rounding=ROUND_HALF_EVEN)
    return max(Decimal(0), min(value, capacity)).normalize()


def optimum(
    forecast: UpdateGroupCapacityForecast, fraction: Decimal
) -> UpdateGroupCapacityForecast:
    """The OPTIMUM forecast for a CONSUMPTION forecast: the same group and blocks."""
    if forecast.type is not CapacityForecastType.CONSUMPTION:
        raise ValueError(f"an optimum is computed from a CONSUMPTION forecast, not {forecast.type}")
    return UpdateGroupCapacityForecast(
        group_id=forecast.group_id,
        type=CapacityForecastType.OPTIMUM,
        forecasted_blocks=[
            ForecastedBlock(
                capacity=optimum_capacity(block.capacity, fraction),
                phase=block.phase,
                unit=block.unit,
                start_time=block.start_time,
                end_time=block.end_time,
            )
            for block in forecast.forecasted_blocks
        ],
    )


class CapacityOptimizer:
    def __init__(self, fraction: Decimal, *, answer_forecasts: bool = True) -> None:
        self.fraction = fraction
        self.answer_forecasts = answer_forecasts
        self._party: OscpParty | None = None

    def bind(self, party: OscpParty) -> None:
        """The party sending for us (built after our handlers)."""
        self._party = party

    @property
    def party(self) -> OscpParty:
        if self._party is None:
            raise RuntimeError("the Capacity Optimizer is not bound to its party")
        return self._party

    def handlers(self) -> dict[Endpoint, Handler]:
        return {
            Endpoint.UPDATE_GROUP_CAPACITY_FORECAST: self.forecast,
            Endpoint.UPDATE_ASSET_MEASUREMENTS: self.accept,
        }

    async def accept(self, inbound: Inbound) -> None:
        log.info("received %s", inbound.endpoint.value, extra={"peer": inbound.peer.peer_id})

    async def forecast(self, inbound: Inbound) -> FollowUp | None:
        received = inbound.message
        assert isinstance(received, UpdateGroupCapacityForecast)
        violations = check_forecast(received, {})
        if violations:
            raise InvalidPayload("; ".join(str(v) for v in violations))
        if received.type is not CapacityForecastType.CONSUMPTION or not self.answer_forecasts:
            return None
        reply = optimum(received, self.fraction)
        peer = inbound.peer

        async def send_optimum() -> None:
            try:
                await self.party.send(
                    peer,
                    Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
                    reply,
                    correlation_id=inbound.request_id,
                )
            except (PeerError, PeerUnreachable, NotConnected) as exc:
                log.warning("optimum not delivered: %s", exc, extra={"peer": peer.peer_id})

        return send_optimum
