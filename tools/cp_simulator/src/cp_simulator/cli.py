"""``python -m cp_simulator`` / ``wiseevp-cp-sim``: run simulated OCPP 1.6-J charge points."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from wiseevp_common.clock import Clock, SimulatedClock, SystemClock
from wiseevp_common.logs import configure_logging

from .config import ConfigError, SimulatorConfig, load_station_file, uniform_stations, with_password
from .simulator import Simulator
from .timing import parse_iso


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wiseevp-cp-sim",
        description="Simulated OCPP 1.6-J charge points (EV sessions, meter values, smart "
        "charging with V2G, reservations) connecting to any central system.",
    )
    p.add_argument(
        "--url", required=True, help="central system base URL; each station connects to <url>/<id>"
    )
    group = p.add_argument_group("stations (uniform, unless --stations-file)")
    group.add_argument("--stations", type=int, default=1, help="number of stations (default 1)")
    group.add_argument(
        "--connectors", type=int, default=2, help="connectors per station (default 2)"
    )
    group.add_argument("--prefix", default="SIM", help="station ids <prefix>-0001… (default SIM)")
    group.add_argument("--vendor", default="WiseEVP", help="BootNotification chargePointVendor")
    group.add_argument("--model", default="SimCharger", help="BootNotification chargePointModel")
    group.add_argument(
        "--v2g", action="store_true", help="stations discharge EVs on negative limits"
    )
    group.add_argument("--feature-profiles", help="SupportedFeatureProfiles, e.g. Core,Reservation")
    group.add_argument(
        "--quirks", default="", help="comma list: reject_profiles, ignore_profiles, amps_only"
    )
    group.add_argument(
        "--max-current-key", default="MaxChargingCurrent", help="vendor key capping the current (A)"
    )
    p.add_argument(
        "--stations-file",
        help="YAML/JSON station specs (replaces the uniform options; see the README)",
    )
    p.add_argument("--password", help="basic-auth password for stations without their own")
    p.add_argument("--ca-file", help="CA bundle to verify a wss:// central system")
    p.add_argument("--insecure", action="store_true", help="do not verify the wss:// certificate")
    p.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)"
    )
    p.add_argument(
        "--start",
        default=os.environ.get("WISEEVP_CLOCK_START"),
        help="simulated start time, ISO 8601 (default: now; env WISEEVP_CLOCK_START)",
    )
    p.add_argument(
        "--epoch",
        type=float,
        default=float(os.environ["WISEEVP_CLOCK_EPOCH"])
        if os.environ.get("WISEEVP_CLOCK_EPOCH")
        else None,
        help="real UNIX time at which simulated time equals --start, to share a clock with the "
        "stack (env WISEEVP_CLOCK_EPOCH)",
    )
    p.add_argument("--seed", type=int, default=1, help="random seed (EVs, arrivals)")
    p.add_argument(
        "--meter-interval", type=int, default=60, help="MeterValueSampleInterval, simulated s"
    )
    p.add_argument(
        "--heartbeat-interval",
        type=int,
        default=300,
        help="heartbeat before boot says, simulated s",
    )
    p.add_argument(
        "--mean-arrival-gap",
        type=float,
        default=4 * 3600.0,
        help="mean simulated s between EVs per connector",
    )
    p.add_argument(
        "--no-arrivals", action="store_true", help="no random EVs (sessions only on RemoteStart)"
    )
    p.add_argument(
        "--no-validate",
        action="store_true",
        help="skip the JSON-schema check of the stations' own CALLs and the responses to them "
        "(for benchmarks: it costs about 1 ms of CPU per message)",
    )
    p.add_argument("--duration", type=float, help="stop after this many simulated seconds")
    p.add_argument(
        "--status-port", type=int, help="serve GET /status JSON on 127.0.0.1:<port> (0: any)"
    )
    p.add_argument(
        "--log-level", default="WARNING", help="DEBUG logs every OCPP message (default WARNING)"
    )
    return p


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    if args.stations_file:
        # the interval options (and --v2g) are defaults for specs that do not set them
        defaults: dict[str, object] = {
            "meter_interval_s": args.meter_interval,
            "heartbeat_interval_s": args.heartbeat_interval,
        }
        if args.v2g:
            defaults["v2g"] = True
        stations = load_station_file(args.stations_file, defaults)
    else:
        fields: dict[str, object] = {
            "connectors": args.connectors,
            "vendor": args.vendor,
            "model": args.model,
            "v2g": args.v2g,
            "quirks": [q.strip() for q in args.quirks.split(",") if q.strip()],
            "max_current_key": args.max_current_key,
            "meter_interval_s": args.meter_interval,
            "heartbeat_interval_s": args.heartbeat_interval,
        }
        if args.feature_profiles:
            fields["feature_profiles"] = args.feature_profiles
        stations = uniform_stations(args.stations, args.prefix, **fields)
    return SimulatorConfig(
        url=args.url,
        stations=with_password(stations, args.password),
        seed=args.seed,
        random_arrivals=not args.no_arrivals,
        mean_arrival_gap_s=args.mean_arrival_gap,
        duration_s=args.duration,
        ca_file=args.ca_file,
        insecure=args.insecure,
        status_port=args.status_port,
        validate_schemas=not args.no_validate,
    )


def clock_from_args(args: argparse.Namespace) -> Clock:
    if args.speed == 1 and args.start is None:
        return SystemClock()
    start = parse_iso(args.start) if args.start else datetime.now(UTC)
    return SimulatedClock(start, args.speed, args.epoch)


async def _run(simulator: Simulator) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, simulator.stop)
    run = asyncio.create_task(simulator.run())
    started = asyncio.create_task(simulator.started.wait())
    await asyncio.wait({run, started}, return_when=asyncio.FIRST_COMPLETED)
    started.cancel()
    if simulator.status_port is not None:
        port = simulator.status_port
        event = {"event": "started", "stations": len(simulator.stations), "status_port": port}
        print(json.dumps(event), flush=True)
    return await run


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        simulator = Simulator(config_from_args(args), clock_from_args(args))
    except (ConfigError, OSError, ValueError) as exc:
        print(f"wiseevp-cp-sim: {exc}", file=sys.stderr)
        return 2
    configure_logging("cp_simulator", args.log_level.upper())
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("cp_simulator.ocpp").setLevel(logging.CRITICAL)  # CALLERRORs we answer
    stats = asyncio.run(_run(simulator))
    print(json.dumps(stats["total"] | {"time": stats["time"]}), flush=True)
    return 0
