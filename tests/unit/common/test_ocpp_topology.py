"""The OCPP topics of the IOP: levels, correlation, bindings, schemas."""

from __future__ import annotations

from wiseevp_common.bus.declare import queue_arguments
from wiseevp_common.ocpp_topology import (
    COMMAND_TOPICS,
    EVSE_WRAPPER_COMMANDS,
    STATION_TOPICS,
    OcppIop,
    ocpp16_schema,
    parse_command_key,
)
from wiseevp_common.topology import EVSE_TOPICS, Queue


def test_design_command_topics() -> None:
    levels = {t.level for t in COMMAND_TOPICS}
    assert {"reservenow", "cancelreservation", "setchargingprofile"} <= levels
    assert OcppIop.RESERVE_NOW.topic("EVSE00001") == "MQTT/EVSE/EVSE00001/reservenow"


def test_station_and_command_levels_never_collide() -> None:
    station_levels = {t.level for t in STATION_TOPICS} | {
        t.template.rsplit("/", 1)[1] for t in EVSE_TOPICS
    }
    assert not station_levels & {t.level for t in COMMAND_TOPICS}
    assert "result" not in station_levels


def test_correlated_command_and_result_keys() -> None:
    topic = OcppIop.SET_CHARGING_PROFILE
    key = topic.routing_key("CP.01", "req/1")
    assert key == "MQTT.EVSE.CP%2E01.setchargingprofile.req%2F1"
    address = parse_command_key(key)
    assert address is not None
    assert (address.evse_id, address.topic, address.request_id) == ("CP.01", topic, "req/1")
    plain = parse_command_key("MQTT.EVSE.CP%2E01.setchargingprofile")
    assert plain is not None and plain.request_id is None
    assert topic.result_routing_key("CP.01", "req/1") == (
        "MQTT.EVSE.CP%2E01.result.setchargingprofile.req%2F1"
    )
    assert parse_command_key("MQTT.EVSE.CP01.metervalues") is None
    assert parse_command_key("MQTT.EVSE.CP01.result.reservenow.r1") is None


def test_command_queue_binds_commands_only() -> None:
    keys = {b.routing_key for b in EVSE_WRAPPER_COMMANDS.bindings}
    assert "MQTT.EVSE.*.reservenow" in keys and "MQTT.EVSE.*.reservenow.*" in keys
    rt_keys = {b.routing_key for b in Queue.RT_MONITOR_EVSE.bindings}
    assert not keys & rt_keys


def test_schemas_come_from_the_ocpp_package() -> None:
    schema = ocpp16_schema("SetChargingProfile")
    assert schema["title"] == "SetChargingProfileRequest"
    assert OcppIop.SEND_DATA_TRANSFER.request_schema()["title"] == "DataTransferRequest"


def test_command_queue_keeps_order_across_wrapper_instances() -> None:
    arguments = queue_arguments(EVSE_WRAPPER_COMMANDS, 5)
    assert arguments["x-single-active-consumer"] is True
    assert arguments["x-queue-type"] == "quorum"
    assert "x-single-active-consumer" not in queue_arguments(Queue.RT_MONITOR_EVSE, 5)
