"""One benchmark run: the phases in order, every process it started always stopped, the
report and the exit code (``main``)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bench_run import Killable, cancellable, exit_code

from .children import TAP_FLAG, Child
from .config import BENCH_ENV, Config, parse_args
from .echo import EchoServer
from .errors import BenchError
from .measure import measure, say
from .outcome import Outcome
from .report import print_profile, report
from .space_reset import delete_bench_queues, reset_database
from .wrapper import WrapperProcess


async def run(cfg: Config, outcome: Outcome, started: list[Killable]) -> None:
    await delete_bench_queues()
    await reset_database()
    say("evse_wrapper: starting it and the tap ...")
    wrapper = WrapperProcess({**BENCH_ENV, **cfg.env}, label="bench", profile=cfg.profile)
    tap = Child("tap", [TAP_FLAG])
    started += [wrapper, tap]
    try:
        await asyncio.gather(wrapper.start(), tap.start())
        measured = await measure(cfg, wrapper, label="wrapper", tap=tap, paced=True)
        outcome.connections = measured.connections
        outcome.throughput, outcome.latency = measured.throughput, measured.latency
        outcome.latency_extra = measured.latency_extra
    finally:
        await tap.stop()
        await wrapper.stop(cfg.stop_timeout)
    if cfg.profile and wrapper.profile_path is not None:
        outcome.extra["profile"] = str(wrapper.profile_path)
    if cfg.skip_raw:
        return
    say("echo: starting the raw websockets echo server ...")
    echo = EchoServer("bench")
    started.append(echo)
    try:
        await echo.start()
        measured = await measure(cfg, echo, label="echo", tap=None, paced=False)
        outcome.raw_connections, outcome.raw_throughput = measured.connections, measured.throughput
    finally:
        await echo.stop()


async def amain(cfg: Config, outcome: Outcome, started: list[Killable]) -> None:
    await cancellable(run(cfg, outcome, started), delete_bench_queues)  # leave the vhost empty


def main(argv: Sequence[str] | None = None) -> int:
    cfg = parse_args(argv)
    outcome = Outcome()
    started: list[Killable] = []
    code = exit_code(lambda: amain(cfg, outcome, started), outcome, started, BenchError)
    if outcome.error is not None:
        print(f"\nerror: {outcome.error}", file=sys.stderr)
        print("service and child logs: .bench/", file=sys.stderr)
    profile = outcome.extra.get("profile")
    if profile:
        print_profile(Path(profile))
    report(cfg, outcome)
    return code
