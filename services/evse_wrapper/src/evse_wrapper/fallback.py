"""When a charging profile cannot be applied: cap the current through a configuration key.

Many installed stations lack the SmartCharging profile or reject profiles. The wrapper then
sets the first writable max-current key the station has (``fallback_current_keys``) to the
limit the profile asks for *now*, and reports the command as failed with what it did — a
fallback is never reported as the profile being applied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wiseevp_common.messages.ocpp16 import parse_rfc3339


@dataclass(frozen=True)
class CurrentLimit:
    amperes: float | None
    """Per-phase current to set; None when the profile cannot be expressed as one."""
    cause: str | None = None


def limit_now(
    request: dict[str, Any], now: datetime, *, voltage: float, default_phases: int
) -> CurrentLimit:
    """The per-phase current limit a SetChargingProfile.req asks for at ``now``."""
    profile = request["csChargingProfiles"]
    schedule = profile["chargingSchedule"]
    periods = sorted(schedule["chargingSchedulePeriod"], key=lambda p: p["startPeriod"])
    start = schedule.get("startSchedule")
    elapsed = (now - parse_rfc3339(start)).total_seconds() if start else 0.0
    if profile.get("chargingProfileKind") == "Recurring" and start:
        span = 7 * 86400 if profile.get("recurrencyKind") == "Weekly" else 86400
        elapsed %= span
    current = periods[0]
    for period in periods:
        if period["startPeriod"] <= elapsed:
            current = period
    limit = float(current["limit"])
    if limit < 0:
        return CurrentLimit(None, "a V2G (negative) limit cannot be set as a max current")
    if schedule["chargingRateUnit"] == "A":
        return CurrentLimit(limit)
    phases = int(current.get("numberPhases", default_phases))
    return CurrentLimit(limit / (voltage * phases))


def fallback_keys(configuration: list[dict[str, Any]] | None, candidates: list[str]) -> list[str]:
    """Candidate keys the station has and can write; all candidates if its keys are unknown."""
    if configuration is None:
        return list(candidates)
    writable = {c["key"] for c in configuration if not c.get("readonly", False)}
    return [k for k in candidates if k in writable]


def setting_value(amperes: float) -> str:
    """Configuration values are strings; whole amperes, rounded down (never above the limit)."""
    return str(max(0, math.floor(amperes)))
