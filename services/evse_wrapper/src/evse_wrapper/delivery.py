"""Sends one stored command to its connected station and publishes its one result."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from wiseevp_common.clock import Clock
from wiseevp_common.ocpp_topology import (
    COMMAND_BY_LEVEL,
    MAX_UNIQUE_ID_LENGTH,
    OcppIop,
    ResultReason,
)

from .fallback import fallback_keys, limit_now, setting_value
from .registry import QueuedCommand, StationRecord
from .results import ResultPublisher
from .session import Answer, OcppSession
from .settings import EvseWrapperSettings

log = logging.getLogger("evse_wrapper.delivery")

SMART_CHARGING = "SmartCharging"
PROFILE_NOT_APPLIED_ERRORS = {"NotSupported", "NotImplemented"}


class CommandDelivery:
    def __init__(
        self, results: ResultPublisher, clock: Clock, settings: EvseWrapperSettings
    ) -> None:
        self._results = results
        self._clock = clock
        self._settings = settings

    async def expire(self, command: QueuedCommand) -> None:
        topic = COMMAND_BY_LEVEL[command.level]
        await self._results.wrapper_error(
            topic,
            command.station_id,
            command.request_id,
            reason=ResultReason.EXPIRED,
            description="The station stayed offline until the command expired",
            receivedAt=command.received_at.isoformat(),
            expiresAt=command.expires_at.isoformat(),
        )

    async def deliver(
        self, session: OcppSession, station: StationRecord, command: QueuedCommand
    ) -> None:
        """Send, wait, publish the result. :class:`~.session.StationOffline` propagates (the
        command stays queued for the next connection)."""
        topic = COMMAND_BY_LEVEL[command.level]
        if topic is OcppIop.SET_CHARGING_PROFILE and _lacks_smart_charging(station):
            await self._fallback(
                session,
                station,
                command,
                reason=ResultReason.NOT_SUPPORTED,
                answer=None,
                code="NotSupported",
            )
            return
        unique_id = (
            command.request_id
            if len(command.request_id) <= MAX_UNIQUE_ID_LENGTH
            else str(uuid.uuid4())
        )
        try:
            answer = await session.call(unique_id, topic.action, command.payload)
        except TimeoutError:
            await self._results.wrapper_error(
                topic,
                command.station_id,
                command.request_id,
                reason=ResultReason.TIMEOUT,
                description=f"No answer within {self._settings.call_timeout_s:g} s",
            )
            return
        if topic is OcppIop.SET_CHARGING_PROFILE and _profile_refused(answer):
            await self._fallback(
                session,
                station,
                command,
                reason=ResultReason.PROFILE_NOT_APPLIED,
                answer=answer,
                code=answer.error[0] if answer.error else "GenericError",
            )
            return
        if answer.error is not None:
            code, description, details = answer.error
            await self._results.failed(
                topic,
                command.station_id,
                command.request_id,
                code=code,
                description=description,
                details=details,
            )
        else:
            await self._results.answered(
                topic, command.station_id, command.request_id, answer.result or {}
            )

    async def _fallback(
        self,
        session: OcppSession,
        station: StationRecord,
        command: QueuedCommand,
        *,
        reason: ResultReason,
        answer: Answer | None,
        code: str,
    ) -> None:
        fallback = await self._cap_current(session, station, json.loads(command.payload))
        details: dict[str, Any] = {"reason": reason.value, "fallback": fallback}
        if answer is not None:
            details["stationAnswer"] = (
                answer.result if answer.error is None else {"errorCode": answer.error[0]}
            )
        await self._results.failed(
            OcppIop.SET_CHARGING_PROFILE,
            command.station_id,
            command.request_id,
            code=code,
            description="Charging profile not applied by the station",
            details=details,
        )

    async def _cap_current(
        self, session: OcppSession, station: StationRecord, request: dict[str, Any]
    ) -> dict[str, Any]:
        limit = limit_now(
            request,
            self._clock.now(),
            voltage=self._settings.fallback_voltage_v,
            default_phases=self._settings.fallback_phases,
        )
        if limit.amperes is None:
            return {"applied": False, "cause": limit.cause}
        value = setting_value(limit.amperes)
        keys = fallback_keys(station.configuration, self._settings.fallback_current_keys)
        tried: list[dict[str, str]] = []
        for key in keys:
            try:
                answer = await session.call_json(
                    str(uuid.uuid4()), "ChangeConfiguration", {"key": key, "value": value}
                )
            except TimeoutError:
                tried.append({"key": key, "status": "Timeout"})
                continue
            if answer.result is not None:
                status = str(answer.result.get("status", "?"))
            else:
                status = answer.error[0] if answer.error else "?"
            tried.append({"key": key, "status": status})
            if status in ("Accepted", "RebootRequired"):
                return {"applied": True, "key": key, "value": value, "unit": "A", "tried": tried}
        return {"applied": False, "cause": "no writable max-current key", "tried": tried}


def _lacks_smart_charging(station: StationRecord) -> bool:
    return station.feature_profiles is not None and SMART_CHARGING not in station.feature_profiles


def _profile_refused(answer: Answer) -> bool:
    if answer.error is not None:
        return answer.error[0] in PROFILE_NOT_APPLIED_ERRORS
    return (answer.result or {}).get("status") != "Accepted"
