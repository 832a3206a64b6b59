"""The bench's options (``--help``) and the settled configuration of one run."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

from bench_args import parse_env

FIXED_ENV = (
    "WISEEVP_AMQP_URL",
    "WISEEVP_POSTGRES_URL",
    "WISEEVP_OCPP_HOST",
    "WISEEVP_OCPP_PORT",
    "WISEEVP_HTTP_",
)
BENCH_ENV = {"WISEEVP_RATE_LIMIT_PER_S": "1000000"}
"""The per-station rate limit lifted: the bench measures the wrapper's capacity, not the limit
(1,000 stations at 2,000 msg/s send only 2/s each anyway). ``--env`` can set it back."""


@dataclass(frozen=True)
class Config:
    mode: str
    connections: int
    stations: int
    seconds: float
    rate: float
    extra_rates: tuple[float, ...]
    latency_seconds: float
    warmup: float
    procs: int
    concurrency: int
    timeout: float
    stop_timeout: float
    env: dict[str, str]
    profile: bool
    skip_raw: bool


def parse_args(argv: Sequence[str] | None = None) -> Config:
    p = argparse.ArgumentParser(
        description="OCPP benchmark: connections one EVSE wrapper holds, MeterValues "
        "throughput and latency, each beside a raw websockets echo server.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="small run, ends within a minute")
    p.add_argument(
        "--connections",
        type=int,
        help="stations connected in all (full 10000, quick 1000; at least --stations)",
    )
    p.add_argument(
        "--stations", type=int, default=1000, help="stations connected for the throughput run"
    )
    p.add_argument("--seconds", type=float, help="throughput run measured for (full 30, quick 6)")
    p.add_argument(
        "--rate",
        type=float,
        default=2000.0,
        help="latency run: MeterValues/s offered by all the stations together",
    )
    p.add_argument(
        "--extra-rates",
        default="",
        metavar="R1,R2",
        help="further latency runs at these rates, after the main one (e.g. 250,500)",
    )
    p.add_argument(
        "--latency-seconds", type=float, help="latency run measured for (full 20, quick 3)"
    )
    p.add_argument("--warmup", type=float, help="sending before measuring, s (full 3, quick 0.5)")
    p.add_argument("--procs", type=int, default=4, help="load generator processes")
    p.add_argument(
        "--connect-concurrency",
        type=int,
        default=25,
        help="connections being opened at once per load generator process",
    )
    p.add_argument("--timeout", type=float, help="max wait per step, s (full 300, quick 40)")
    p.add_argument(
        "--stop-timeout",
        type=float,
        help="grace after SIGTERM before the wrapper is killed, s (full 60; quick 0: killed at "
        "once; with --profile 60: the profile is written at exit)",
    )
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="WISEEVP_X=VALUE",
        help="setting for the wrapper process, e.g. WISEEVP_DB_POOL_SIZE=16 (repeatable)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="run the wrapper under cProfile and print its hot spots (slows it: figures are "
        "then not comparable; --connections equal to --stations profiles the throughput run "
        "with little else)",
    )
    p.add_argument("--skip-raw", action="store_true", help="no echo baseline (ratios null)")
    a = p.parse_args(argv)
    env = parse_env(p, a.env, FIXED_ENV)
    quick = bool(a.quick)
    cfg = Config(
        mode="quick" if quick else "full",
        connections=max(a.connections or (1000 if quick else 10000), a.stations),
        stations=a.stations,
        seconds=a.seconds or (6.0 if quick else 30.0),
        rate=a.rate,
        extra_rates=tuple(float(r) for r in a.extra_rates.split(",") if r.strip()),
        latency_seconds=a.latency_seconds or (3.0 if quick else 20.0),
        warmup=a.warmup if a.warmup is not None else (0.5 if quick else 3.0),
        procs=a.procs,
        concurrency=a.connect_concurrency,
        timeout=a.timeout or (40.0 if quick else 300.0),
        stop_timeout=a.stop_timeout
        if a.stop_timeout is not None
        else (0.0 if quick and not a.profile else 60.0),
        env=env,
        profile=bool(a.profile),
        skip_raw=bool(a.skip_raw),
    )
    if min(cfg.connections, cfg.stations, cfg.procs, cfg.concurrency) < 1:
        p.error("counts must be positive")
    if min(cfg.seconds, cfg.latency_seconds, cfg.rate, *cfg.extra_rates) <= 0 or cfg.warmup < 0:
        p.error("--seconds, --latency-seconds and rates must be positive, --warmup not negative")
    return cfg
