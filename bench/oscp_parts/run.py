"""One benchmark run: the space cleaned, the gateway and its peers started, the forecasts, the
baseline, everything it started always stopped; the report and the exit code (``main``)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from bench_run import cancellable, exit_code
from ocpp_parts.errors import BenchError

from .config import BENCH_ENV, Config, parse_args
from .cp import BenchCp
from .fp import FpProcess
from .local_http import EMPTY_PATH, LocalHttp, time_empty_requests
from .measure import Forecaster, say
from .outcome import Outcome
from .report import print_profile, report
from .reset import delete_bench_queues, reset_database
from .site import LARGE, SMALL, Site
from .tap import Tap

FP_STOP_GRACE_S = 20.0


async def run(cfg: Config, outcome: Outcome, started: list[FpProcess]) -> None:
    await delete_bench_queues()
    await reset_database()
    site = Site.write(cfg.evses, cfg.small_evses)
    async with contextlib.AsyncExitStack() as stack:
        local = LocalHttp(site.charging)
        await local.start()
        stack.push_async_callback(local.stop)
        tap = Tap()
        stack.push_async_callback(tap.stop)
        await tap.start(command_queue=cfg.command_queue)
        say(f"oscp_fp: starting it with {site.path.name} ...")
        fp = FpProcess(site.path, local.url, {**BENCH_ENV, **cfg.env}, profile=cfg.profile)
        started.append(fp)
        stack.push_async_callback(fp.stop, FP_STOP_GRACE_S)
        await fp.started(cfg.timeout)
        if not await local.wait_snapshots(len(site.groups), cfg.timeout):
            say("  (the gateway did not read the snapshot stub: every EVSE weighs the same)")
        cp = BenchCp()
        stack.push_async_callback(cp.stop)
        await cp.start()
        await cp.connect(fp.url, cfg.timeout)
        say("CP registered and handshaken; first forecast of each group (warm-up) ...")
        forecaster = Forecaster(cp, tap, fp, site, cfg.timeout)
        groups = [LARGE, SMALL] if cfg.small_evses else [LARGE]
        outcome.cold = [await forecaster.one(g) for g in groups]
        say(f"{cfg.forecasts} forecasts for {LARGE} ({cfg.evses:,} EVSEs) ...")
        outcome.large = forecaster.new_run(LARGE)
        await forecaster.fill(outcome.large, cfg.forecasts)
        if cfg.small_evses:
            say(f"{cfg.forecasts} forecasts for {SMALL} ({cfg.small_evses} EVSEs) ...")
            outcome.small = forecaster.new_run(SMALL)
            await forecaster.fill(outcome.small, cfg.forecasts)
        say(f"{cfg.empty_requests} empty aiohttp requests ({EMPTY_PATH} → 204) ...")
        outcome.empty = await time_empty_requests(local.url, cfg.empty_requests)
        fp.check_alive()
        outcome.unexpected = tap.unexpected
        outcome.cp_received = dict(cp.received)
        if cp.offline:
            outcome.extra["fp_went_offline"] = len(cp.offline)
    if fp.profile_path is not None:
        outcome.extra["profile"] = str(fp.profile_path)


async def amain(cfg: Config, outcome: Outcome, started: list[FpProcess]) -> None:
    await cancellable(run(cfg, outcome, started), delete_bench_queues)  # leave the vhost empty


def main(argv: Sequence[str] | None = None) -> int:
    cfg = parse_args(argv)
    outcome = Outcome()
    started: list[FpProcess] = []
    code = exit_code(lambda: amain(cfg, outcome, started), outcome, started, BenchError)
    if outcome.error is not None:
        print(f"\nerror: {outcome.error}", file=sys.stderr)
        print("service logs: .bench/", file=sys.stderr)
    profile = outcome.extra.get("profile")
    if profile and Path(profile).exists():
        print_profile(Path(profile))
    report(cfg, outcome)
    return code
