"""The EV fleets of ``wiseevp demo``: one EV wrapper per pilot-site fleet (Terni's cars behind
simulated OBD devices polled over TCP, Ghent and Crevillent as simulated fleets), and their
part of the summary."""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from wiseevp_common.settings import ServiceSettings

from .processes import Proc, free_port


@dataclass(frozen=True)
class Fleet:
    organisation: str
    size: int
    lon: float
    lat: float
    label: str
    source: str = "simulated"
    """``obd``: the wrapper polls simulated OBD devices over the real TCP protocol."""


FLEETS = (
    Fleet("TERNI", 3, 12.6467, 42.5636, "Terni (Emotion), OBD devices over TCP", "obd"),
    Fleet("PARTAGO", 25, 3.7174, 51.0543, "Ghent (Partago), simulated fleet"),
    Fleet("CREVILLENT", 3, -0.8094, 38.2497, "Crevillent, simulated fleet"),
)


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


def count_states(evs: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ev in evs:
        status = (ev.get("latest") or {}).get("status", "unknown")
        counts[status] = counts.get(status, 0) + 1
    return counts


async def ev_counts(settings: ServiceSettings) -> dict[str, int]:
    conn = await asyncpg.connect(str(settings.postgres_url))
    try:
        return {
            "history": await conn.fetchval("SELECT count(*) FROM rt_monitor.ev_status_history"),
            "evs": await conn.fetchval("SELECT count(*) FROM rt_monitor.ev"),
        }
    finally:
        await conn.close()


def print_ev_summary(
    database: str,
    *,
    published: dict[str, float],
    metrics: dict[str, float],
    evs: list[dict[str, Any]],
    rows: dict[str, int],
    dead: int,
    killed: Proc | None,
) -> None:
    states = count_states(evs)
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
            f"the data stays in PostgreSQL (database {database}, schema rt_monitor); to "
            f"browse it run WISEEVP_POSTGRES_URL=postgresql://postgres@127.0.0.1/{database} "
            "WISEEVP_HTTP_PORT=8080 uv run python -m rt_monitor and open "
            f"http://127.0.0.1:8080/api/v1/evs/{evs[0]['id']}/status?limit=5"
        )
