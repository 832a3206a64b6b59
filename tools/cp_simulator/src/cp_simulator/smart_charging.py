"""SetChargingProfile / ClearChargingProfile / GetCompositeSchedule decisions for one station.

Pure decisions over the station's state (no I/O); the handlers in :mod:`.handlers` call these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ocpp.v16 import call_result
from ocpp.v16.enums import (
    ChargingProfileStatus,
    ClearChargingProfileStatus,
    GetCompositeScheduleStatus,
)

from .config import Quirk, StationConfig
from .config_keys import ConfigurationStore
from .profiles import (
    ChargingProfile,
    CompositePeriod,
    Context,
    InvalidProfile,
    Purpose,
    RateUnit,
    composite_schedule,
    from_watts,
    parse_profile,
)
from .sessions import SessionManager
from .timing import iso

MAX_STACK_LEVEL = 10
MAX_PERIODS = 48


def set_profile(
    config: StationConfig,
    sessions: SessionManager,
    connector_id: int,
    data: Mapping[str, Any],
    now: datetime,
) -> ChargingProfileStatus:
    """Install the profile if the station can honour it (§5.16, plus the V2G extension)."""
    if config.has(Quirk.REJECT_PROFILES):
        return ChargingProfileStatus.rejected
    if connector_id != 0 and connector_id not in sessions.connectors:
        return ChargingProfileStatus.rejected
    try:
        profile = parse_profile(connector_id, data, now)
    except InvalidProfile:
        return ChargingProfileStatus.rejected
    if not _acceptable(config, sessions, profile):
        return ChargingProfileStatus.rejected
    sessions.profiles.install(profile)
    return ChargingProfileStatus.accepted


def _acceptable(config: StationConfig, sessions: SessionManager, profile: ChargingProfile) -> bool:
    if (
        (profile.has_negative_limit and not config.v2g)
        or (config.has(Quirk.AMPS_ONLY) and profile.unit is RateUnit.W)
        or not 0 <= profile.stack_level <= MAX_STACK_LEVEL
        or len(profile.periods) > MAX_PERIODS
    ):
        return False
    if profile.purpose is not Purpose.TX:
        return True
    tx = sessions.connectors[profile.connector_id].tx
    if tx is None:
        return False  # no transaction on the connector (§5.16.3)
    return profile.transaction_id is None or tx.transaction_id in (None, profile.transaction_id)


def clear_profiles(
    sessions: SessionManager,
    profile_id: int | None,
    connector_id: int | None,
    purpose: str | None,
    stack_level: int | None,
) -> ClearChargingProfileStatus:
    removed = sessions.profiles.clear(
        profile_id, connector_id, Purpose(purpose) if purpose else None, stack_level
    )
    return ClearChargingProfileStatus.accepted if removed else ClearChargingProfileStatus.unknown


def composite(
    config: StationConfig,
    keys: ConfigurationStore,
    sessions: SessionManager,
    *,
    connector_id: int,
    duration_s: int,
    unit: str | None,
    now: datetime,
) -> call_result.GetCompositeSchedule:
    """The real composite schedule from now for ``duration_s`` (where no profile limits the
    connector: its hardware / max-current limit). Connector 0: the whole charge point."""
    if connector_id != 0 and connector_id not in sessions.connectors:
        return call_result.GetCompositeSchedule(status=GetCompositeScheduleStatus.rejected)
    rate_unit = (
        RateUnit(unit) if unit else RateUnit.A if config.has(Quirk.AMPS_ONLY) else RateUnit.W
    )
    connector_w = min(config.connector_max_w, keys.max_current_a * config.watts_per_amp)
    if connector_id == 0:
        ctx, hardware_w = Context(0), connector_w * len(sessions.connectors)
    else:
        ctx, hardware_w = sessions.connectors[connector_id].context(), connector_w
    profiles = () if config.has(Quirk.IGNORE_PROFILES) else sessions.profiles.profiles
    periods = composite_schedule(
        profiles, ctx, now, duration_s, hardware_w=hardware_w, voltage=config.voltage
    )
    periods = periods or [CompositePeriod(0, hardware_w)]
    phases = config.number_phases
    schedule: dict[str, Any] = {
        "duration": duration_s,
        "start_schedule": iso(now),
        "charging_rate_unit": rate_unit.value,
        "charging_schedule_period": [
            {
                "start_period": p.start_s,
                "limit": round(from_watts(p.limit_w, rate_unit, phases, config.voltage), 1),
                **({"number_phases": phases} if rate_unit is RateUnit.A else {}),
            }
            for p in periods
        ],
    }
    return call_result.GetCompositeSchedule(
        status=GetCompositeScheduleStatus.accepted,
        connector_id=connector_id,
        schedule_start=iso(now),
        charging_schedule=schedule,
    )
