"""Handlers of the central-system-initiated calls (``@on``), and their follow-ups (``@after``,
run once the response is sent; they only queue work, so no task is left unreferenced)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from ocpp.exceptions import NotSupportedError
from ocpp.v16 import call, call_result
from ocpp.v16.enums import (
    Action,
    AvailabilityType,
    CancelReservationStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    ClearCacheStatus,
    ConfigurationStatus,
    DataTransferStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    MessageTrigger,
    ReadingContext,
    Reason,
    RemoteStartStopStatus,
    ReservationStatus,
    ResetStatus,
    ResetType,
    TriggerMessageStatus,
    UnlockStatus,
)

from wiseevp_common.clock import Clock

from . import smart_charging
from .config import FeatureProfile, StationConfig
from .config_keys import ConfigurationStore
from .connector import Connector
from .meter import meter_value
from .ocpp_typing import ChargePoint, after, on
from .outbox import Outbox
from .reservations import Reservation
from .sessions import SessionManager
from .timing import parse_iso

Job = Callable[[], Awaitable[None]]
TRIGGERS = frozenset(
    {
        MessageTrigger.boot_notification,
        MessageTrigger.heartbeat,
        MessageTrigger.meter_values,
        MessageTrigger.status_notification,
        MessageTrigger.diagnostics_status_notification,
        MessageTrigger.firmware_status_notification,
    }
)


class StationHandlers(ChargePoint):
    config: StationConfig
    clock: Clock
    keys: ConfigurationStore
    sessions: SessionManager
    outbox: Outbox
    jobs: asyncio.Queue[Job]
    reset_requests: asyncio.Queue[ResetType]

    # implemented by Station
    @property
    def online(self) -> bool:
        raise NotImplementedError

    def boot_request(self) -> call.BootNotification:
        raise NotImplementedError

    def request_boot(self) -> None:
        raise NotImplementedError

    async def remote_start(
        self, connector_id: int, id_tag: str, profile: dict[str, Any] | None
    ) -> None:
        raise NotImplementedError

    def _require(self, feature: FeatureProfile) -> None:
        if not self.config.supports(feature):
            raise NotSupportedError(description=f"{feature} is not a supported feature profile")

    def _changed(self) -> None:
        self.sessions.refresh()
        self.sessions.wake.set()

    # -- Core ----------------------------------------------------------------------------------

    def _remote_start_target(
        self, connector_id: int | None, id_tag: str, profile: Any
    ) -> Connector | None:
        if profile is not None and profile.get("charging_profile_purpose") != "TxProfile":
            return None
        conns = self.sessions.connectors
        # no connector given: one where an EV waits for the start, else the first free one
        ids = [connector_id] if connector_id else sorted(conns, key=lambda c: conns[c].ev is None)
        for cid in ids:
            conn = self.sessions.connectors.get(cid)
            reservation = self.sessions.reservations.get(cid)
            if (
                conn is not None
                and conn.operative
                and self.sessions.accepting
                and conn.tx is None
                and not conn.finished
                and (reservation is None or reservation.admits(id_tag))
            ):
                return conn
        return None

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(
        self, id_tag: str, connector_id: int | None = None, charging_profile: Any = None, **_: Any
    ) -> call_result.RemoteStartTransaction:
        ok = self._remote_start_target(connector_id, id_tag, charging_profile) is not None
        status = RemoteStartStopStatus.accepted if ok else RemoteStartStopStatus.rejected
        return call_result.RemoteStartTransaction(status=status)

    @after(Action.remote_start_transaction)
    def after_remote_start_transaction(
        self, id_tag: str, connector_id: int | None = None, charging_profile: Any = None, **_: Any
    ) -> None:
        conn = self._remote_start_target(connector_id, id_tag, charging_profile)
        if conn is not None:
            self.jobs.put_nowait(
                functools.partial(self.remote_start, conn.id, id_tag, charging_profile)
            )

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(
        self, transaction_id: int, **_: Any
    ) -> call_result.RemoteStopTransaction:
        found = self.sessions.find_transaction(transaction_id) is not None
        status = RemoteStartStopStatus.accepted if found else RemoteStartStopStatus.rejected
        return call_result.RemoteStopTransaction(status=status)

    @after(Action.remote_stop_transaction)
    def after_remote_stop_transaction(self, transaction_id: int, **_: Any) -> None:
        conn = self.sessions.find_transaction(transaction_id)
        if conn is not None:
            self.sessions.stop_transaction(conn, Reason.remote)

    @on(Action.change_availability)
    def on_change_availability(
        self, connector_id: int, type: str, **_: Any
    ) -> call_result.ChangeAvailability:
        operative = type == AvailabilityType.operative
        return call_result.ChangeAvailability(
            status=self.sessions.set_availability(connector_id, operative)
        )

    @on(Action.change_configuration)
    def on_change_configuration(
        self, key: str, value: str, **_: Any
    ) -> call_result.ChangeConfiguration:
        status = self.keys.change(key, value)
        if key == "MeterValueSampleInterval" and status == ConfigurationStatus.accepted:
            self.sessions.reschedule_samples()
        self._changed()
        return call_result.ChangeConfiguration(status=status)

    @on(Action.get_configuration)
    def on_get_configuration(
        self, key: list[str] | None = None, **_: Any
    ) -> call_result.GetConfiguration:
        known, unknown = self.keys.describe(key)
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.reset)
    def on_reset(self, type: str, **_: Any) -> call_result.Reset:
        return call_result.Reset(status=ResetStatus.accepted)

    @after(Action.reset)
    def after_reset(self, type: str, **_: Any) -> None:
        self.reset_requests.put_nowait(ResetType(type))

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id: int, **_: Any) -> call_result.UnlockConnector:
        known = connector_id in self.sessions.connectors
        return call_result.UnlockConnector(
            status=UnlockStatus.unlocked if known else UnlockStatus.not_supported
        )

    @after(Action.unlock_connector)
    def after_unlock_connector(self, connector_id: int, **_: Any) -> None:
        conn = self.sessions.connectors.get(connector_id)
        if conn is not None and conn.tx is not None:
            self.sessions.stop_transaction(conn, Reason.unlock_command)

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        known = vendor_id == self.config.vendor_id
        status = DataTransferStatus.accepted if known else DataTransferStatus.unknown_vendor_id
        return call_result.DataTransfer(status=status)

    @on(Action.clear_cache)
    def on_clear_cache(self, **_: Any) -> call_result.ClearCache:
        return call_result.ClearCache(status=ClearCacheStatus.accepted)

    # -- Reservation ---------------------------------------------------------------------------

    @on(Action.reserve_now)
    def on_reserve_now(
        self, connector_id: int, expiry_date: str, id_tag: str, reservation_id: int,
        parent_id_tag: str | None = None, **_: Any,
    ) -> call_result.ReserveNow:  # fmt: skip
        self._require(FeatureProfile.RESERVATION)
        conn = self.sessions.connectors.get(connector_id)
        if conn is None:  # includes connector 0: ReserveConnectorZeroSupported is false
            return call_result.ReserveNow(status=ReservationStatus.rejected)
        reservation = Reservation(
            reservation_id, connector_id, id_tag, parse_iso(expiry_date), parent_id_tag
        )
        status = self.sessions.reservations.reserve(reservation, conn.status, self.clock.now())
        self._changed()
        return call_result.ReserveNow(status=status)

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id: int, **_: Any) -> call_result.CancelReservation:
        self._require(FeatureProfile.RESERVATION)
        found = self.sessions.reservations.cancel(reservation_id) is not None
        self._changed()
        status = CancelReservationStatus.accepted if found else CancelReservationStatus.rejected
        return call_result.CancelReservation(status=status)

    # -- SmartCharging -------------------------------------------------------------------------

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **_: Any
    ) -> call_result.SetChargingProfile:
        self._require(FeatureProfile.SMART_CHARGING)
        now = self.clock.now()
        self.sessions.refresh(now)
        status = smart_charging.set_profile(
            self.config, self.sessions, connector_id, cs_charging_profiles, now
        )
        self._changed()
        return call_result.SetChargingProfile(status=status)

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self, id: int | None = None, connector_id: int | None = None,
        charging_profile_purpose: str | None = None, stack_level: int | None = None, **_: Any,
    ) -> call_result.ClearChargingProfile:  # fmt: skip
        self._require(FeatureProfile.SMART_CHARGING)
        self.sessions.refresh()
        status = smart_charging.clear_profiles(
            self.sessions, id, connector_id, charging_profile_purpose, stack_level
        )
        self._changed()
        return call_result.ClearChargingProfile(status=status)

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **_: Any
    ) -> call_result.GetCompositeSchedule:
        self._require(FeatureProfile.SMART_CHARGING)
        now = self.clock.now()
        return smart_charging.composite(
            self.config, self.keys, self.sessions,
            connector_id=connector_id, duration_s=duration, unit=charging_rate_unit, now=now,
        )  # fmt: skip

    # -- RemoteTrigger -------------------------------------------------------------------------

    @on(Action.trigger_message)
    def on_trigger_message(
        self, requested_message: str, connector_id: int | None = None, **_: Any
    ) -> call_result.TriggerMessage:
        self._require(FeatureProfile.REMOTE_TRIGGER)
        if connector_id not in (None, 0, *self.sessions.connectors):
            return call_result.TriggerMessage(status=TriggerMessageStatus.rejected)
        if requested_message not in TRIGGERS:
            return call_result.TriggerMessage(status=TriggerMessageStatus.not_implemented)
        return call_result.TriggerMessage(status=TriggerMessageStatus.accepted)

    @after(Action.trigger_message)
    def after_trigger_message(
        self, requested_message: str, connector_id: int | None = None, **_: Any
    ) -> None:
        if (
            connector_id not in (None, 0, *self.sessions.connectors)
            or requested_message not in TRIGGERS
        ):
            return
        if requested_message == MessageTrigger.boot_notification and not self.online:
            self.request_boot()  # still registering: boot again now
            return
        for request in self._triggered(MessageTrigger(requested_message), connector_id):
            self.outbox.push_control(request)

    def _triggered(self, message: MessageTrigger, connector_id: int | None) -> list[Any]:
        now = self.clock.now()
        self.sessions.refresh(now)
        conns = [c for c in self.sessions.connectors.values() if connector_id in (None, 0, c.id)]
        if message is MessageTrigger.boot_notification:
            return [self.boot_request()]
        if message is MessageTrigger.heartbeat:
            return [call.Heartbeat()]
        if message is MessageTrigger.diagnostics_status_notification:
            return [call.DiagnosticsStatusNotification(status=DiagnosticsStatus.idle)]
        if message is MessageTrigger.firmware_status_notification:
            return [call.FirmwareStatusNotification(status=FirmwareStatus.idle)]
        if message is MessageTrigger.status_notification:
            statuses: list[tuple[int, ChargePointStatus]] = [(c.id, c.status) for c in conns]
            if not connector_id:
                statuses.insert(0, (0, self.sessions.status0))
            return [
                call.StatusNotification(
                    connector_id=cid, error_code=ChargePointErrorCode.no_error, status=status
                )
                for cid, status in statuses
            ]
        measurands = self.keys.sampled_measurands
        return [
            call.MeterValues(
                connector_id=c.id,
                meter_value=[
                    meter_value(self.sessions.reading(c, now), measurands, ReadingContext.trigger)
                ],
                transaction_id=c.tx.transaction_id if c.tx else None,
            )
            for c in conns
        ]
