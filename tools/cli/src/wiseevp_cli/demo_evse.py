"""The charging stations of ``wiseevp demo``: the EVSE wrapper, simulated charge points of the
three pilot sites speaking OCPP 1.6-J to it, and commands sent to them over the IOP."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import yaml

from wiseevp_common.ocpp_topology import OcppIop
from wiseevp_common.settings import ServiceSettings

from .processes import Proc, free_port
from .services import REPO

CHARGERS = REPO / "deploy" / "sites" / "demo" / "chargers.yaml"
DRIVER_TAG = "DEMO-DRIVER"


@dataclass
class EvseSite:
    wrapper: Proc
    simulator: Proc
    station_ids: list[str]


def evse_site(clock_env: dict[str, str], opts: argparse.Namespace, log_dir: Path) -> EvseSite:
    port = free_port()
    wrapper = Proc(
        "evse_wrapper",
        "evse_wrapper",
        {
            **clock_env,
            "WISEEVP_OCPP_HOST": "127.0.0.1",
            "WISEEVP_OCPP_PORT": str(port),
            "WISEEVP_ACCEPT_UNKNOWN_ID_TAGS": "true",
            "WISEEVP_CALL_TIMEOUT_S": "10",
        },
        log_dir,
    )
    simulator = Proc(
        "cp_simulator",
        "cp_simulator",
        clock_env,
        log_dir,
        args=[
            *("--url", f"ws://127.0.0.1:{port}/ocpp", "--stations-file", str(CHARGERS)),
            *("--speed", str(opts.speed), "--seed", "7", "--mean-arrival-gap", "3600"),
        ],
    )
    specs = yaml.safe_load(CHARGERS.read_text())["stations"]
    return EvseSite(wrapper, simulator, [s["id"] for s in specs])


def charging_profile(limit_w: float) -> dict[str, Any]:
    return {
        "connectorId": 0,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit_w}],
            },
        },
    }


async def send_commands(
    settings: ServiceSettings, site: EvseSite, sim_now: datetime, timeout: float = 15.0
) -> list[str]:
    """What the scheduler and booking will do: a charging profile for every station (a V2G
    discharge for Crevillent's), a reservation in Ghent; one line per correlated result."""
    commands: list[tuple[str, str, str, dict[str, Any]]] = []
    for station in site.station_ids:
        limit = -10000.0 if "V2G" in station else 7400.0
        commands.append(
            (
                station,
                OcppIop.SET_CHARGING_PROFILE.level,
                f"demo-{len(commands)}",
                charging_profile(limit),
            )
        )
    expiry = (sim_now + timedelta(minutes=20)).isoformat().replace("+00:00", "Z")
    reservation = {"connectorId": 2, "expiryDate": expiry, "idTag": DRIVER_TAG, "reservationId": 1}
    commands.append(("GHENT.EVLINK.01", OcppIop.RESERVE_NOW.level, "demo-reserve", reservation))
    connection = await aio_pika.connect(str(settings.amqp_url))
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind("amq.topic", "MQTT.EVSE.*.result.#")
        exchange = await channel.get_exchange("amq.topic")
        by_key = {}
        for station, level, request_id, payload in commands:
            topic = next(
                t for t in (OcppIop.SET_CHARGING_PROFILE, OcppIop.RESERVE_NOW) if t.level == level
            )
            by_key[topic.result_routing_key(station, request_id)] = (station, level, payload)
            await exchange.publish(
                aio_pika.Message(
                    json.dumps(payload).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                ),
                topic.routing_key(station, request_id),
            )
        lines: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        async with queue.iterator() as messages:
            while len(lines) < len(by_key) and time.monotonic() < deadline:
                try:
                    message = await asyncio.wait_for(
                        anext(aiter(messages)), deadline - time.monotonic()
                    )
                except TimeoutError:
                    break
                async with message.process():
                    key = message.routing_key or ""
                    if key in by_key:
                        lines[key] = describe(*by_key[key], json.loads(message.body))
    results = [
        lines.get(k, f"{v[0]} {v[1]}: no result in {timeout:g} s") for k, v in by_key.items()
    ]
    print("  commands to the charge points over the IOP, one result each:")
    for line in results:
        print(f"    {line}")
    return results


def describe(station: str, level: str, payload: dict[str, Any], frame: list[Any]) -> str:
    what = level
    if level == OcppIop.SET_CHARGING_PROFILE.level:
        limit = payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]
        what = f"setchargingprofile {limit['limit'] / 1000:+g} kW"
    if frame[0] == 3:
        return f"{station:22} {what:32} → {frame[2].get('status', frame[2])}"
    details = frame[4] if len(frame) > 4 else {}
    fallback = details.get("fallback") or {}
    if fallback.get("applied"):
        extra = f"; fallback: {fallback['key']} = {fallback['value']} A"
    elif fallback:
        extra = f"; no fallback ({fallback.get('cause')})"
    else:
        extra = ""
    return f"{station:22} {what:32} → {frame[2]} ({details.get('reason', frame[3])}{extra})"


async def evse_counts(settings: ServiceSettings) -> dict[str, int]:
    conn = await asyncpg.connect(str(settings.postgres_url))
    try:
        return {
            "stations": await conn.fetchval("SELECT count(*) FROM evse_wrapper.station"),
            "online": await conn.fetchval("SELECT count(*) FROM evse_wrapper.station WHERE online"),
            "transactions": await conn.fetchval("SELECT count(*) FROM rt_monitor.evse_transaction"),
            "meter_values": await conn.fetchval("SELECT count(*) FROM rt_monitor.evse_meter_value"),
        }
    finally:
        await conn.close()


async def wait_registered(settings: ServiceSettings, site: EvseSite, timeout: float = 30.0) -> int:
    """Wait until every charge point of the site is online at the EVSE wrapper and has told
    it what it supports (or ``timeout``); how many have."""
    deadline = time.monotonic() + timeout
    conn = await asyncpg.connect(str(settings.postgres_url))
    try:
        while True:
            online = int(
                await conn.fetchval(
                    "SELECT count(*) FROM evse_wrapper.station "
                    "WHERE online AND feature_profiles IS NOT NULL AND id = ANY($1)",
                    site.station_ids,
                )
            )
            if online >= len(site.station_ids) or time.monotonic() > deadline:
                return online
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


def print_evse_summary(counts: dict[str, int], command_results: list[str]) -> None:
    print(f"charge points registered / online       : {counts['stations']} / {counts['online']}")
    print(
        f"EVSE transactions / meter values stored : {counts['transactions']} / "
        f"{counts['meter_values']}"
    )
    answered = sum("no result" not in line for line in command_results)
    print(f"IOP commands sent / with a result       : {len(command_results)} / {answered}")
