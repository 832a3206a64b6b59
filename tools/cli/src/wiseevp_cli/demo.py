"""``wiseevp demo``: the stack plus a simulated pilot site, on the simulated clock.

Starts the RT monitor, one EV wrapper per simulated fleet (Terni, Ghent/Partago, Crevillent),
the EVSE wrapper and the pilot sites' simulated charge points (OCPP 1.6-J), the OSCP gateway
with a grid operator and a capacity optimizer (:mod:`.demo_oscp`), all on one accelerated
clock; kills one EV wrapper hard half-way (its EVs turn ``nocomm`` through their MQTT last
will); sends one malformed message (dead-lettered with its reason) and commands to every
charge point over the IOP (charging profiles, a V2G discharge, a reservation), printing each
correlated result; pauses the grid operator's OSCP heartbeats for a while (the gateway falls
back, then recovers); then prints what flowed and stops everything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import aiomqtt
import asyncpg
from prometheus_client.parser import text_string_to_metric_families
from pydantic import AnyUrl

from wiseevp_common.clock import SimulatedClock
from wiseevp_common.settings import ServiceSettings, load_settings
from wiseevp_common.storage.postgres import ensure_database, with_database
from wiseevp_common.topology import IopTopic, Queue

from . import setup
from .demo_evse import (
    EvseSite,
    evse_counts,
    evse_site,
    print_evse_summary,
    send_commands,
    wait_registered,
)
from .demo_fleets import (
    FLEETS,
    count_states,
    ev_counts,
    obd_devices,
    print_ev_summary,
    wrapper_process,
)
from .demo_oscp import SCHEMAS as OSCP_SCHEMAS
from .demo_oscp import OscpDemo
from .demo_oscp_summary import collect, print_oscp_summary
from .processes import Proc
from .services import REPO

DEMO_DATABASE = "wiseevp_demo"


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
    clock = SimulatedClock(start, opts.speed, epoch)
    oscp = OscpDemo(
        clock_env, monitor.url, log_dir, opts, amqp_url=str(settings.amqp_url), clock=clock
    )
    procs = [monitor, *wrappers, *devices, site.wrapper, site.simulator, *oscp.procs]
    published: dict[str, float] = {}
    command_results: list[str] = []
    try:
        await oscp.tap.start()
        await _start(monitor, [*wrappers, site.wrapper], [*devices, site.simulator], log_dir)
        oscp.launch(lambda: wait_registered(settings, site))
        print(
            f"demo: simulated clock from {start:%Y-%m-%d %H:%M} UTC at {opts.speed:g}x; "
            f"history API at {monitor.url}/api/v1/evs; starting oscp_fp, oscp_cp, oscp_co"
        )
        killed: Proc | None = None
        t0 = time.monotonic()
        async with aiohttp.ClientSession() as http:
            while (elapsed := time.monotonic() - t0) < opts.duration:
                await asyncio.sleep(min(10.0, opts.duration - elapsed))
                await _scrape_wrappers(http, wrappers, published)
                evs = (await get_json(http, monitor.url + "/api/v1/evs"))["items"]
                states = count_states(evs)
                sim_now = clock.now()
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
                    command_results = await _half_way(settings, killed, site, oscp, sim_now)
            await oscp.finish()
            await asyncio.sleep(1.0)
            metrics = await scrape(http, monitor.url)
            evs = (await get_json(http, monitor.url + "/api/v1/evs"))["items"]
        ok = await _report(
            settings,
            oscp,
            published=published,
            metrics=metrics,
            evs=evs,
            dead_before=dead_before,
            killed=killed,
            command_results=command_results,
        )
        return 0 if ok else 1
    finally:
        await asyncio.gather(*(p.stop() for p in oscp.procs))
        for p in reversed(procs):
            await p.stop()
        await oscp.close()


async def _scrape_wrappers(
    http: aiohttp.ClientSession, wrappers: list[Proc], published: dict[str, float]
) -> None:
    """What each EV wrapper still alive has published so far."""
    for w in wrappers:
        if w.alive:
            published[w.name] = (await scrape(http, w.url)).get(
                "wiseevp_ev_wrapper_published_total", published.get(w.name, 0.0)
            )


async def _half_way(
    settings: ServiceSettings, victim: Proc, site: EvseSite, oscp: OscpDemo, sim_now: datetime
) -> list[str]:
    """Kill an EV wrapper, start the grid operator's outage, send a malformed message and
    commands to every charge point; the commands' results."""
    victim.kill()
    print(f"  kill -9 {victim.name}: its EVs should turn nocomm (MQTT last will)")
    oscp.begin_outage()
    await send_malformed(settings)
    print("  a faulty device sent a malformed status: it should be dead-lettered")
    return await send_commands(settings, site, sim_now)


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


async def fresh_demo_database(settings: ServiceSettings) -> AnyUrl:
    """The demo's own database (``<name>_demo``), emptied, so each run's summary is its own."""
    url = AnyUrl(with_database(str(settings.postgres_url), DEMO_DATABASE))
    await ensure_database(str(url))
    conn = await asyncpg.connect(str(url))
    try:
        for schema in ("rt_monitor", "evse_wrapper", *OSCP_SCHEMAS):
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()
    return url


async def _report(
    settings: ServiceSettings,
    oscp: OscpDemo,
    *,
    published: dict[str, float],
    metrics: dict[str, float],
    evs: list[dict[str, Any]],
    dead_before: int,
    killed: Proc | None,
    command_results: list[str],
) -> bool:
    """Print the summary; whether data flowed (EV history, meter values, grid capacities)."""
    rows = await ev_counts(settings)
    evse = await evse_counts(settings)
    dead = await dead_letters(settings) - dead_before
    grid = await collect(oscp, str(settings.postgres_url))
    print_ev_summary(
        DEMO_DATABASE,
        published=published,
        metrics=metrics,
        evs=evs,
        rows=rows,
        dead=dead,
        killed=killed,
    )
    print_evse_summary(evse, command_results)
    print_oscp_summary(grid)
    return rows["history"] > 0 and evse["meter_values"] > 0 and grid.ok


def run(args: list[str]) -> int:
    return asyncio.run(demo(parse(args)))
