"""What the OSCP engine tests (test_engine_*.py) share besides their fixtures (conftest.py)
and the two parties (:mod:`.parties`): the start time of the manual clock, two messages and
the tokens each party presents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from wiseevp_common.messages.oscp20 import (
    ForecastedBlock,
    ForecastedBlockUnit,
    PhaseIndicator,
    UpdateGroupCapacityForecast,
    UpdateGroupMeasurements,
)

from .parties import Party

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
FORECAST = UpdateGroupCapacityForecast(
    group_id="g1",
    type="CONSUMPTION",
    forecasted_blocks=[
        ForecastedBlock(
            capacity=Decimal(16),
            phase=PhaseIndicator.ALL,
            unit=ForecastedBlockUnit.A,
            start_time=T0,
            end_time=T0 + timedelta(minutes=15),
        )
    ],
)
MEASUREMENTS = UpdateGroupMeasurements(group_id="g1", measurements=[])


def cp_token(fp: Party) -> str:
    """TOKEN_B: the token the FP presents at the CP."""
    token = fp.peer("cp").token_out
    assert token is not None
    return token


def fp_token(cp: Party) -> str:
    """TOKEN_C: the token the CP presents at the FP."""
    token = cp.peer("fp").token_out
    assert token is not None
    return token
