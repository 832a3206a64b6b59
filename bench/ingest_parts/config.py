"""The bench's options (``--help``) and the settled configuration of one run."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench_args import parse_env

FIXED_ENV = ("WISEEVP_AMQP_URL", "WISEEVP_POSTGRES_URL", "WISEEVP_MQTT_", "WISEEVP_HTTP_")


@dataclass(frozen=True)
class Config:
    mode: str
    evs: int
    messages: int
    raw_messages: int
    raw_window: int
    raw_prefetch: int
    raw_queue_type: str
    mqtt_window: int
    rate: float
    extra_rates: tuple[float, ...]
    latency_seconds: float
    timeout: float
    env: dict[str, str]
    nice: int
    monitor_module: str
    profile: bool
    skip_raw: bool

    @property
    def per_ev(self) -> int:
        return math.ceil(self.messages / self.evs)

    @property
    def e2e_messages(self) -> int:
        return self.per_ev * self.evs


def parse_args(argv: Sequence[str] | None = None) -> Config:
    p = argparse.ArgumentParser(
        description="EV status ingestion benchmark (raw RabbitMQ vs MQTT → PostgreSQL).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="small run, ends within a minute")
    p.add_argument("--evs", type=int, help="simulated EVs = MQTT clients", default=200)
    p.add_argument("--messages", type=int, help="e2e status messages (full 30000, quick 8000)")
    p.add_argument("--raw-messages", type=int, help="raw messages (full 30000, quick 8000)")
    p.add_argument("--raw-window", type=int, default=512, help="unconfirmed publishes in flight")
    p.add_argument("--raw-prefetch", type=int, default=256, help="raw consumer prefetch")
    p.add_argument("--raw-queue-type", choices=("quorum", "classic"), default="quorum")
    p.add_argument("--mqtt-window", type=int, default=20, help="QoS 1 publishes in flight per EV")
    p.add_argument("--rate", type=float, default=1000.0, help="latency phase, messages/s")
    p.add_argument(
        "--extra-rates",
        default="",
        metavar="R1,R2",
        help="further latency phases at these rates, after the main one (e.g. 250,500)",
    )
    p.add_argument(
        "--latency-seconds", type=float, help="latency phase length, s (full 30, quick 10)"
    )
    p.add_argument(
        "--timeout", type=float, help="max wait for rows per phase, s (full 180, quick 40)"
    )
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="WISEEVP_X=VALUE",
        help="setting for the rt_monitor process, e.g. WISEEVP_AMQP_PREFETCH=1000 (repeatable)",
    )
    p.add_argument(
        "--nice",
        type=int,
        default=0,
        help="lower the bench's own CPU priority once rt_monitor runs (0-19), to approximate "
        "EV wrappers on other machines",
    )
    p.add_argument(
        "--monitor-module",
        default="rt_monitor",
        help="module run as the RT monitor (python -m MODULE): for A/B runs of a patched build",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="run rt_monitor under cProfile and print its hot spots (slows it: figures are "
        "then not comparable)",
    )
    p.add_argument("--skip-raw", action="store_true", help="no raw phase (ratio is null)")
    a = p.parse_args(argv)
    env = parse_env(p, a.env, FIXED_ENV)
    quick = bool(a.quick)
    cfg = Config(
        mode="quick" if quick else "full",
        evs=a.evs or 200,
        messages=a.messages or (8000 if quick else 30000),
        raw_messages=a.raw_messages or (8000 if quick else 30000),
        raw_window=a.raw_window,
        raw_prefetch=a.raw_prefetch,
        raw_queue_type=a.raw_queue_type,
        mqtt_window=a.mqtt_window,
        rate=a.rate,
        extra_rates=tuple(float(r) for r in a.extra_rates.split(",") if r.strip()),
        latency_seconds=a.latency_seconds or (10.0 if quick else 30.0),
        timeout=a.timeout or (40.0 if quick else 180.0),
        env=env,
        nice=max(0, min(19, a.nice)),
        monitor_module=a.monitor_module,
        profile=bool(a.profile),
        skip_raw=bool(a.skip_raw),
    )
    if min(cfg.evs, cfg.messages, cfg.raw_messages, cfg.raw_window, cfg.raw_prefetch) < 1:
        p.error("counts must be positive")
    if min((cfg.rate, *cfg.extra_rates)) <= 0 or cfg.latency_seconds <= 0 or cfg.mqtt_window < 1:
        p.error("--rate, --latency-seconds and --mqtt-window must be positive")
    return cfg
