"""Charging-profile composition (OCPP 1.6 §3.13, §5.16, §7.8-7.10): a pure module, no I/O.

Every limit is evaluated in watts: ``W`` limits as given, ``A`` limits x voltage x
``numberPhases`` (default 3). A NEGATIVE limit is the design's V2G extension: the station
discharges the EV at that power.

Composition at time ``t`` for a connector:

* per purpose, the applicable profile with the highest ``stackLevel`` that has a limit at ``t``
  wins (when its schedule has ended or is not valid, the next lower stack level takes over);
  connector-specific profiles beat connector-0 ones at the same stack level;
* ``TxProfile`` (only while a transaction runs) overrules ``TxDefaultProfile`` (§3.13.2);
* the result is the minimum of that and ``ChargePointMaxProfile``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .timing import parse_iso

DEFAULT_VOLTAGE = 230.0
DEFAULT_PHASES = 3
NEXT_CHANGE_HORIZON = timedelta(days=8)


class Purpose(StrEnum):
    CHARGE_POINT_MAX = "ChargePointMaxProfile"
    TX_DEFAULT = "TxDefaultProfile"
    TX = "TxProfile"


class Kind(StrEnum):
    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


class Recurrency(StrEnum):
    DAILY = "Daily"
    WEEKLY = "Weekly"


class RateUnit(StrEnum):
    W = "W"
    A = "A"


RECURRENCE_PERIOD = {Recurrency.DAILY: timedelta(days=1), Recurrency.WEEKLY: timedelta(days=7)}


class InvalidProfile(ValueError):
    """A charging profile the station cannot use (answered ``Rejected``)."""


@dataclass(frozen=True)
class Period:
    start_s: int
    limit: float
    number_phases: int | None = None


@dataclass(frozen=True)
class ChargingProfile:
    id: int
    connector_id: int
    stack_level: int
    purpose: Purpose
    kind: Kind
    unit: RateUnit
    periods: tuple[Period, ...]
    recurrency: Recurrency | None = None
    transaction_id: int | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    start_schedule: datetime | None = None
    duration_s: int | None = None

    @property
    def has_negative_limit(self) -> bool:
        return any(p.limit < 0 for p in self.periods)


@dataclass(frozen=True)
class Context:
    """Where and when a limit is asked for: the connector and its transaction, if any."""

    connector_id: int
    tx_active: bool = False
    transaction_id: int | None = None
    tx_start: datetime | None = None


@dataclass(frozen=True)
class CompositePeriod:
    start_s: int
    limit_w: float


def to_watts(limit: float, unit: RateUnit, phases: int | None, voltage: float) -> float:
    if unit is RateUnit.W:
        return limit
    return limit * voltage * (phases or DEFAULT_PHASES)


def from_watts(watts: float, unit: RateUnit, phases: int, voltage: float) -> float:
    return watts if unit is RateUnit.W else watts / (voltage * phases)


def _opt_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_iso(str(value))


def parse_profile(
    connector_id: int, data: Mapping[str, Any], received_at: datetime
) -> ChargingProfile:
    """Build a profile from a ``csChargingProfiles`` payload (snake_case keys, as the ocpp
    library passes it to handlers). Raises :class:`InvalidProfile`."""
    try:
        schedule = data["charging_schedule"]
        periods = tuple(
            Period(int(p["start_period"]), float(p["limit"]), p.get("number_phases"))
            for p in schedule["charging_schedule_period"]
        )
        kind = Kind(data["charging_profile_kind"])
        recurrency = data.get("recurrency_kind")
        profile = ChargingProfile(
            id=int(data["charging_profile_id"]),
            connector_id=connector_id,
            stack_level=int(data["stack_level"]),
            purpose=Purpose(data["charging_profile_purpose"]),
            kind=kind,
            unit=RateUnit(schedule["charging_rate_unit"]),
            periods=periods,
            recurrency=Recurrency(recurrency) if recurrency else None,
            transaction_id=data.get("transaction_id"),
            valid_from=_opt_time(data.get("valid_from")),
            valid_to=_opt_time(data.get("valid_to")),
            start_schedule=_opt_time(schedule.get("start_schedule")),
            duration_s=schedule.get("duration"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidProfile(f"malformed charging profile: {exc}") from exc
    return _checked(profile, received_at)


def _checked(profile: ChargingProfile, received_at: datetime) -> ChargingProfile:
    starts = [p.start_s for p in profile.periods]
    if not starts or starts != sorted(set(starts)) or starts[0] < 0:
        raise InvalidProfile("schedule periods must be non-empty with increasing startPeriod")
    if profile.kind is Kind.RECURRING and (
        profile.recurrency is None or not profile.start_schedule
    ):
        raise InvalidProfile("a Recurring profile needs recurrencyKind and startSchedule")
    if profile.kind is Kind.ABSOLUTE and profile.start_schedule is None:
        # no startSchedule on an Absolute profile: it starts when received
        profile = replace(profile, start_schedule=received_at)
    if profile.purpose is Purpose.CHARGE_POINT_MAX and profile.connector_id != 0:
        raise InvalidProfile("ChargePointMaxProfile applies to connector 0 only")
    if profile.purpose is Purpose.TX and profile.connector_id == 0:
        raise InvalidProfile("TxProfile needs a connector")
    return profile


def _cycle_start(profile: ChargingProfile, t: datetime, ctx: Context) -> datetime | None:
    if profile.kind is Kind.RELATIVE:
        return ctx.tx_start
    start = profile.start_schedule
    if start is None or profile.kind is Kind.ABSOLUTE or profile.recurrency is None:
        return start
    period = RECURRENCE_PERIOD[profile.recurrency]
    return start + period * math.floor((t - start) / period)


def schedule_limit_w(
    profile: ChargingProfile, t: datetime, ctx: Context, voltage: float = DEFAULT_VOLTAGE
) -> float | None:
    """The profile's limit at ``t`` in watts, or ``None`` when it says nothing at ``t``."""
    if (profile.valid_from and t < profile.valid_from) or (
        profile.valid_to and t >= profile.valid_to
    ):
        return None
    start = _cycle_start(profile, t, ctx)
    if start is None or t < start:
        return None
    offset = (t - start).total_seconds()
    if profile.duration_s is not None and offset >= profile.duration_s:
        return None
    current = None
    for period in profile.periods:
        if period.start_s > offset:
            break
        current = period
    if current is None:
        return None
    return to_watts(current.limit, profile.unit, current.number_phases, voltage)


def applies(profile: ChargingProfile, ctx: Context) -> bool:
    """Whether ``profile`` concerns the connector (and transaction) of ``ctx``."""
    if profile.purpose is Purpose.CHARGE_POINT_MAX:
        return True
    if ctx.connector_id == 0:
        return False
    if profile.purpose is Purpose.TX_DEFAULT:
        return profile.connector_id in (0, ctx.connector_id)
    return (
        ctx.tx_active
        and profile.connector_id == ctx.connector_id
        and (profile.transaction_id is None or profile.transaction_id == ctx.transaction_id)
    )


def purpose_limit_w(
    profiles: Iterable[ChargingProfile],
    purpose: Purpose,
    ctx: Context,
    t: datetime,
    voltage: float = DEFAULT_VOLTAGE,
) -> float | None:
    """Limit of the highest-stack-level applicable profile of ``purpose`` active at ``t``."""
    candidates = sorted(
        (p for p in profiles if p.purpose is purpose and applies(p, ctx)),
        key=lambda p: (p.stack_level, p.connector_id != 0),
        reverse=True,
    )
    for profile in candidates:
        limit = schedule_limit_w(profile, t, ctx, voltage)
        if limit is not None:
            return limit
    return None


def connector_limit_w(
    profiles: Iterable[ChargingProfile], ctx: Context, t: datetime, voltage: float = DEFAULT_VOLTAGE
) -> float | None:
    """Composite limit in watts at ``t`` (``None``: no profile limits it). Connector 0: the
    charge point as a whole (``ChargePointMaxProfile`` only)."""
    profiles = list(profiles)
    station = purpose_limit_w(profiles, Purpose.CHARGE_POINT_MAX, ctx, t, voltage)
    if ctx.connector_id == 0:
        return station
    tx = purpose_limit_w(profiles, Purpose.TX, ctx, t, voltage) if ctx.tx_active else None
    if tx is None:
        tx = purpose_limit_w(profiles, Purpose.TX_DEFAULT, ctx, t, voltage)
    if station is None or tx is None:
        return tx if station is None else station
    return min(station, tx)


def change_times(
    profiles: Iterable[ChargingProfile], ctx: Context, start: datetime, end: datetime
) -> list[datetime]:
    """Every instant in ``(start, end)`` at which a profile's limit may change."""
    times: set[datetime] = set()
    for profile in profiles:
        times.update(t for t in (profile.valid_from, profile.valid_to) if t is not None)
        for cycle in _cycle_starts(profile, ctx, start, end):
            times.update(cycle + timedelta(seconds=p.start_s) for p in profile.periods)
            if profile.duration_s is not None:
                times.add(cycle + timedelta(seconds=profile.duration_s))
    return sorted(t for t in times if start < t < end)


def _cycle_starts(
    profile: ChargingProfile, ctx: Context, start: datetime, end: datetime
) -> list[datetime]:
    first = _cycle_start(profile, start, ctx)
    if first is None:
        return []
    if profile.kind is not Kind.RECURRING or profile.recurrency is None:
        return [first]
    period = RECURRENCE_PERIOD[profile.recurrency]
    cycles = []
    while first < end:
        cycles.append(first)
        first += period
    return cycles


def next_change(profiles: Iterable[ChargingProfile], ctx: Context, t: datetime) -> datetime | None:
    """The first instant after ``t`` at which the composite limit may change."""
    times = change_times(profiles, ctx, t, t + NEXT_CHANGE_HORIZON)
    return times[0] if times else None


def composite_schedule(
    profiles: Iterable[ChargingProfile],
    ctx: Context,
    start: datetime,
    duration_s: int,
    *,
    hardware_w: float,
    voltage: float = DEFAULT_VOLTAGE,
) -> list[CompositePeriod] | None:
    """The composite schedule over ``[start, start + duration_s)`` in watts, limits clamped to
    ``±hardware_w`` (where no profile applies: ``hardware_w``). ``None`` if no profile applies
    at any time in the window."""
    profiles = list(profiles)
    end = start + timedelta(seconds=duration_s)
    result: list[CompositePeriod] = []
    limited = False
    for t in [start, *change_times(profiles, ctx, start, end)]:
        limit = connector_limit_w(profiles, ctx, t, voltage)
        limited = limited or limit is not None
        watts = hardware_w if limit is None else max(-hardware_w, min(hardware_w, limit))
        if not result or result[-1].limit_w != watts:
            result.append(CompositePeriod(int((t - start).total_seconds()), watts))
    return result if limited else None
