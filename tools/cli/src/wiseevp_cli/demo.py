"""``wiseevp demo``: the stack plus a simulated pilot site, on the simulated clock.

Starts the RT monitor, one EV wrapper per simulated fleet (Terni, Ghent/Partago, Crevillent),
the EVSE wrapper and the pilot sites' simulated charge points (OCPP 1.6-J), all on one
accelerated clock; kills one EV wrapper hard half-way (its EVs turn ``nocomm`` through their
MQTT last will); sends one malformed message (dead-lettered with its reason) and commands to
every charge point over the IOP (charging profiles, a V2G discharge, a reservation), printing
each correlated result; then prints what flowed and stops everything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import aiomqtt
import asyncpg
from prometheus_client.parser import text_string_to_metric_families
from pydantic import AnyUrl

from wiseevp_common.settings import ServiceSettings, load_settings
from wiseevp_common.storage.postgres import ensure_database, with_database
from wiseevp_common.topology import IopTopic, Queue

from . import setup
from .demo_evse import evse_counts, evse_site, print_evse_summary, send_commands
from .processes import Proc, free_port
from .services import REPO


@dataclass(frozen=True)
class Fleet:
    organisation: str
    size: int
    lon: float
    lat: float
    label: str
    source: str = "simulated"
    """``obd``: the wrapper polls simulated OBD devices over the real TCP protocol."""


DEMO_DATABASE = "wiseevp_demo"

FLEETS = (
    Fleet("TERNI", 3, 12.6467, 42.5636, "Terni (Emotion), OBD devices over TCP", "obd"),
    Fleet("PARTAGO", 25, 3.7174, 51.0543, "Ghent (Partago), simulated fleet"),
    Fleet("CREVILLENT", 3, -0.8094, 38.2497, "Crevillent, simulated fleet"),
)


def parse(args: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="wiseevp demo", description=__doc__)
    p.add_argument("--duration", type=float, default=60.0, help="real seconds to run (default 60)")
    p.add_argument(
        "--speed",
        type=float,
        default=720.0,
        help="simulated seconds per real second (720: a day in 2 min)",
    )
    p.add_argument(
        "--interval", type=float, default=300.0, help="simulated seconds between EV statuses"
    )
    p.add_argument("--no-kill", action="store_true", help="do not kill a wrapper half-way")
    return p.parse_args(args)


async def scrape(http: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """Sum of each metric's samples (all label sets)."""
    try:
        async with http.get(url + "/metrics") as resp:
            text = await resp.text()
    except aiohttp.ClientError:
        return {}
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = sample.name
            if sample.labels.get("outcome"):
                key += ":" + sample.labels["outcome"]
            totals[key] = totals.get(key, 0.0) + sample.value
    return totals


async def get_json(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as resp:
        return await resp.json()


async def dead_letters(settings: ServiceSettings) -> int:
    """Messages in the dead-letter queue; 0 before any service has declared it."""
    connection = await aio_pika.connect(str(settings.amqp_url))
    async with connection:
        channel = await connection.channel()
        try:
            queue = await channel.declare_queue(Queue.DEAD_LETTER.name, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return 0
        return int(queue.declaration_result.message_count or 0)


async def send_malformed(settings: ServiceSettings) -> None:
    """What a faulty device might send: SoC out of range, no timezone."""
    async with aiomqtt.Client(
        settings.mqtt_host,
        settings.mqtt_port,
        username=settings.mqtt_username,
        password=settings.mqtt_password,
        identifier="wiseevp-demo-faulty-device",
    ) as client:
        body = {
            "id": "FAULTY-00001",
            "timestamp": "2026-01-01T00:00:00",
            "status": "charging",
            "soc": 140,
        }
        await client.publish(
            IopTopic.EV_STATUS.topic(ev_id="FAULTY-00001"), json.dumps(body), qos=1
        )


async def demo(opts: argparse.Namespace) -> int:
    settings = load_settings(ServiceSettings, service_name="demo")
    problems = await setup.check(settings)
    if problems:
        for problem in problems:
            print(f"demo: {problem}")
        return 1
    log_dir = REPO / ".demo"
    log_dir.mkdir(exist_ok=True)
    settings = settings.model_copy(update={"postgres_url": await fresh_demo_database(settings)})
    start = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0)
    epoch = time.time()
    clock_env = {
        "WISEEVP_POSTGRES_URL": str(settings.postgres_url),
        "WISEEVP_CLOCK": "simulated",
        "WISEEVP_CLOCK_START": start.isoformat(),
        "WISEEVP_CLOCK_EPOCH": str(epoch),
        "WISEEVP_CLOCK_SPEED": str(opts.speed),
    }
    dead_before = await dead_letters(settings)
    monitor = Proc("rt_monitor", "rt_monitor", clock_env, log_dir)
    wrappers = [wrapper_process(f, clock_env, opts, log_dir) for f in FLEETS]
    devices = [
        obd_devices(f, w, opts, log_dir)
        for f, w in zip(FLEETS, wrappers, strict=True)
        if f.source == "obd"
    ]
    site = evse_site(clock_env, opts, log_dir)
    procs = [monitor, *wrappers, *devices, site.wrapper, site.simulator]
    published: dict[str, float] = {}
    command_results: list[str] = []
    try:
        await _start(monitor, [*wrappers, site.wrapper], [*devices, site.simulator], log_dir)
        print(
            f"demo: simulated clock from {start:%Y-%m-%d %H:%M} UTC at {opts.speed:g}x; "
            f"history API at {monitor.url}/api/v1/evs"
        )
        killed: Proc | None = None
        t0 = time.monotonic()
        async with aiohttp.ClientSession() as http:
            while (elapsed := time.monotonic() - t0) < opts.duration:
                await asyncio.sleep(min(10.0, opts.duration - elapsed))
                for w in wrappers:
                    if w.alive:
                        published[w.name] = (await scrape(http, w.url)).get(
                            "wiseevp_ev_wrapper_published_total", published.get(w.name, 0.0)
                        )
                evs = (await get_json(http, monitor.url + "/api/v1/evs"))["items"]
                states = _count_states(evs)
                sim_now = start + timedelta(seconds=(time.time() - epoch) * opts.speed)
                print(
                    f"  [{sim_now:%H:%M} sim] {len(evs)} EVs known; "
                    + ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
                )
                if (
                    killed is None
                    and not opts.no_kill
                    and time.monotonic() - t0 >= opts.duration / 2
                ):
                    killed = wrappers[-1]
                    killed.kill()
                    print(f"  kill -9 {killed.name}: its EVs should turn nocomm (MQTT last will)")
                    await send_malformed(settings)
                    print("  a faulty device sent a malformed status: it should be dead-lettered")
                    command_results = await send_commands(settings, site, sim_now)
            await asyncio.sleep(1.0)
            metrics = await scrape(http, monitor.url)
            evs = (await get_json(http, monitor.url + "/api/v1/evs"))["items"]
        rows = await _count_rows(settings)
        evse = await evse_counts(settings)
        dead_after = await dead_letters(settings)
        _summary(
            published=published,
            metrics=metrics,
            evs=evs,
            rows=rows,
            dead=dead_after - dead_before,
            killed=killed,
        )
        print_evse_summary(evse, command_results)
        return 0 if rows["history"] > 0 and evse["meter_values"] > 0 else 1
    finally:
        for p in reversed(procs):
            await p.stop()


async def _start(monitor: Proc, services: list[Proc], devices: list[Proc], log_dir: Path) -> None:
    """The RT monitor first (its queues bound), then the services, then what feeds them."""
    names = ", ".join(p.name for p in [monitor, *services, *devices])
    print(f"demo: starting {names} (logs in {log_dir})")
    monitor.start()
    await monitor.wait_healthy()
    for proc in services:
        proc.start()
    for proc in services:
        await proc.wait_healthy()
    for proc in devices:
        proc.start()


def wrapper_process(
    fleet: Fleet, clock_env: dict[str, str], opts: argparse.Namespace, log_dir: Path
) -> Proc:
    env = {
        **clock_env,
        "WISEEVP_SOURCE": fleet.source,
        "WISEEVP_ORGANISATION": fleet.organisation,
        "WISEEVP_STATUS_INTERVAL_S": str(opts.interval),
    }
    if fleet.source == "obd":
        inventory = log_dir / f"{fleet.organisation.lower()}-inventory.yaml"
        with inventory.open("wb") as out:
            subprocess.run(
                [sys.executable, "-m", "ev_wrapper.obd_device_sim", "inventory", *_cars(fleet)],
                stdout=out,
                check=True,
            )
        env |= {
            "WISEEVP_OBD_INVENTORY": str(inventory),
            "WISEEVP_OBD_LISTEN_PORT": str(free_port()),
            # poll as often (in simulated time) as the other wrappers publish
            "WISEEVP_OBD_POLL_INTERVAL_S": str(opts.interval),
        }
    else:
        env |= {
            "WISEEVP_FLEET_SIZE": str(fleet.size),
            "WISEEVP_FLEET_CENTRE_LON": str(fleet.lon),
            "WISEEVP_FLEET_CENTRE_LAT": str(fleet.lat),
        }
    return Proc(f"ev_wrapper-{fleet.organisation.lower()}", "ev_wrapper", env, log_dir)


def obd_devices(fleet: Fleet, wrapper: Proc, opts: argparse.Namespace, log_dir: Path) -> Proc:
    """The cars' OBD devices, connecting to the wrapper's TCP server."""
    return Proc(
        f"obd-devices-{fleet.organisation.lower()}",
        "ev_wrapper.obd_device_sim",
        {},
        log_dir,
        args=[
            "run",
            *_cars(fleet),
            *("--port", wrapper.env["WISEEVP_OBD_LISTEN_PORT"], "--speed", str(opts.speed)),
        ],
    )


def _cars(fleet: Fleet) -> list[str]:
    """The OBD simulator's options naming the fleet's cars (same ids as the inventory)."""
    return [
        *("--organisation", fleet.organisation, "--cars", str(fleet.size)),
        *("--centre-lon", str(fleet.lon), "--centre-lat", str(fleet.lat)),
    ]


async def fresh_demo_database(settings: ServiceSettings) -> AnyUrl:
    """The demo's own database (``<name>_demo``), emptied, so each run's summary is its own."""
    url = AnyUrl(with_database(str(settings.postgres_url), DEMO_DATABASE))
    await ensure_database(str(url))
    conn = await asyncpg.connect(str(url))
    try:
        await conn.execute("DROP SCHEMA IF EXISTS rt_monitor CASCADE")
        await conn.execute("DROP SCHEMA IF EXISTS evse_wrapper CASCADE")
    finally:
        await conn.close()
    return url


def _count_states(evs: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ev in evs:
        status = (ev.get("latest") or {}).get("status", "unknown")
        counts[status] = counts.get(status, 0) + 1
    return counts


async def _count_rows(settings: ServiceSettings) -> dict[str, int]:
    conn = await asyncpg.connect(str(settings.postgres_url))
    try:
        return {
            "history": await conn.fetchval("SELECT count(*) FROM rt_monitor.ev_status_history"),
            "evs": await conn.fetchval("SELECT count(*) FROM rt_monitor.ev"),
        }
    finally:
        await conn.close()


def _summary(
    *,
    published: dict[str, float],
    metrics: dict[str, float],
    evs: list[dict[str, Any]],
    rows: dict[str, int],
    dead: int,
    killed: Proc | None,
) -> None:
    states = _count_states(evs)
    nocomm = states.get("nocomm", 0)
    print("\n=== wiseevp demo summary ===")
    print(f"MQTT messages published by EV wrappers : {int(sum(published.values()))}")
    acked = int(metrics.get("wiseevp_messages_consumed_total:ack", 0))
    print(f"IOP messages processed by the RT monitor: {acked}")
    print(f"dead-lettered during the demo           : {dead}")
    print(f"EVs registered / status rows stored     : {rows['evs']} / {rows['history']}")
    print(f"EVs online / nocomm                     : {len(evs) - nocomm} / {nocomm}")
    if killed is not None:
        print(f"(nocomm: the fleet of {killed.name}, killed with SIGKILL)")
    if evs:
        print(
            f"the data stays in PostgreSQL (database {DEMO_DATABASE}, schema rt_monitor); to "
            f"browse it run WISEEVP_POSTGRES_URL=postgresql://postgres@127.0.0.1/{DEMO_DATABASE} "
            "WISEEVP_HTTP_PORT=8080 uv run python -m rt_monitor and open "
            f"http://127.0.0.1:8080/api/v1/evs/{evs[0]['id']}/status?limit=5"
        )


def run(args: list[str]) -> int:
    return asyncio.run(demo(parse(args)))
