"""Both measurements on one server process (the wrapper, then the echo server):

1. the first ``stations`` connect and boot (memory before/after);
2. throughput: those stations send MeterValues back to back (the tap measures
   CALL → publish); then, for the wrapper, paced at ``--rate`` (and ``--extra-rates``): the
   latency at that load;
3. the other ``connections - stations`` connect and boot (memory before/after);
4. every station sends a Heartbeat (held), the server is stopped while they are connected.

Bytes per connection = memory growth of steps 1 and 3 / stations opened: what the throughput
run left behind (buffers, allocator) is not counted as connection memory.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from proc_stats import CpuMeter

from .children import Child
from .config import Config
from .connections import ConnectionsResult, connect_step
from .errors import BenchError
from .loadgen import LoadGenerators, Server
from .throughput import ThroughputResult, sending_step


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Measured:
    connections: ConnectionsResult
    throughput: ThroughputResult | None = None
    latency: ThroughputResult | None = None
    latency_extra: list[ThroughputResult] = field(default_factory=list)


async def measure(
    cfg: Config, server: Server, *, label: str, tap: Child | None, paced: bool
) -> Measured:
    gens = LoadGenerators(
        server, cfg.connections, procs=cfg.procs, concurrency=cfg.concurrency, label=label
    )
    groups: dict[str, list[int]] = {server.name: [server.pid], "load generators": []}
    meter = CpuMeter(lambda: {k: list(v) for k, v in groups.items()})
    conn = ConnectionsResult(server.name)
    out = Measured(conn)
    try:
        await gens.start()
        groups["load generators"] = gens.pids
        say(f"{server.name}: {cfg.stations:,} stations connect ...")
        conn.steps.append(await connect_step(gens, server, meter, cfg.stations, cfg.timeout))
        if conn.booted < cfg.stations:
            raise BenchError(
                f"{server.name}: {conn.booted}/{cfg.stations} stations booted: {conn.first_error}"
            )
        out.throughput = await sending_step(
            cfg, gens, server, groups, tap, rate=None, seconds=cfg.seconds
        )
        if paced:
            out.latency = await sending_step(
                cfg, gens, server, groups, tap, rate=cfg.rate, seconds=cfg.latency_seconds
            )
            for rate in cfg.extra_rates:
                out.latency_extra.append(
                    await sending_step(
                        cfg, gens, server, groups, tap, rate=rate, seconds=cfg.latency_seconds
                    )
                )
        rest = cfg.connections - cfg.stations
        if rest > 0:
            say(f"{server.name}: {rest:,} more stations connect ...")
            conn.steps.append(await connect_step(gens, server, meter, rest, cfg.timeout))
        conn.counted_by_server = await server.connected()
        conn.end(await gens.all({"cmd": "heartbeat"}, cfg.timeout))
        server.check_alive()
        say(f"{server.name}: stopping ({conn.open_at_end:,} stations connected) ...")
        conn.stop_seconds = await server.stop(cfg.stop_timeout)
        conn.stop_killed = server.killed
    finally:
        await gens.stop()
    return out
