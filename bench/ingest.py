"""Ingestion benchmark: raw RabbitMQ throughput vs. EV status end-to-end (MQTT → PostgreSQL).

Three figures, measured in one run on this machine (see ``bench/README.md``):

- **raw**: aio-pika publisher (publisher confirms, a sliding window of unconfirmed messages)
  → durable quorum queue declared like the RT monitor's → aio-pika consumer (manual acks,
  prefetch). Persistent messages the size of an EV status; messages/s from first publish
  to last ack.
- **e2e**: many MQTT clients (aiomqtt, QoS 1, retained, one per simulated EV) publish N valid
  ``MQTT/EV/<id>/status`` messages as fast as they go to RabbitMQ's MQTT plugin; a real
  ``rt_monitor`` process stores them; messages/s = N / (last ``stored_at`` - first publish).
- **latency**: the same path paced at ``--rate`` msg/s with the wall-clock publish time as the
  payload ``timestamp``; latency = ``stored_at - ts`` per row (p50/p99, in SQL).

Isolated from tests and the demo: RabbitMQ vhost ``wiseevp_bench`` (MQTT user
``wiseevp_bench:guest``) and PostgreSQL database ``wiseevp_bench``, whose ``rt_monitor`` schema
and queues are dropped at the start of every run. Prints a table and, as its last line, one
JSON object. Exits 1 when a run cannot complete (rows missing after a timeout, a process that
dies), 130 when interrupted; it always stops the ``rt_monitor`` process it started.

Usage: ``uv run python bench/ingest.py [--quick] [--profile] [--env WISEEVP_X=Y ...]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import pstats
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aio_pika
import aiohttp
import aiomqtt
import asyncpg
from aio_pika.abc import AbstractIncomingMessage

from wiseevp_common.bus.declare import rabbit_queue
from wiseevp_common.messages.iop import EvStatus, EvStatusValue
from wiseevp_common.settings import ServiceSettings
from wiseevp_common.storage.postgres import ensure_database
from wiseevp_common.topology import Binding, Exchange, IopTopic, Queue, QueueSpec

# -- where the bench runs: fixed, so that it can never wipe a test or demo space -------------
VHOST = "wiseevp_bench"
DATABASE = "wiseevp_bench"
AMQP_URL = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
POSTGRES_URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
MQTT_HOST = "127.0.0.1"
MQTT_PORT = 1884
MQTT_USERNAME = f"{VHOST}:guest"
MQTT_PASSWORD = "guest"  # noqa: S105 - the local broker's default account
MANAGEMENT_URL = "http://127.0.0.1:15672"
MANAGEMENT_HEADERS = {"Authorization": aiohttp.encode_basic_auth("guest", "guest")}

MQTT_LOG = logging.getLogger("bench.mqtt")
MQTT_LOG.setLevel(logging.ERROR)  # aiomqtt warns on every publish beyond 10 pending
ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / ".bench"  # git-ignored: service logs and profiles
SCHEMA = "rt_monitor"
HISTORY = f"{SCHEMA}.ev_status_history"
ORG = "BENCH"
RAW_QUEUE = QueueSpec(
    "wiseevp.bench.raw",
    (Binding(Exchange.MQTT, "BENCH.raw"),),
    "Raw aio-pika baseline of the ingestion benchmark.",
)
MAX_DELIVERY_ATTEMPTS: int = ServiceSettings.model_fields["amqp_max_delivery_attempts"].default
"""The service default, so the raw queue is declared with the RT monitor's arguments."""
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0


FIXED_ENV = ("WISEEVP_AMQP_URL", "WISEEVP_POSTGRES_URL", "WISEEVP_MQTT_", "WISEEVP_HTTP_")


class BenchError(RuntimeError):
    """A run that could not complete (the bench exits 1)."""


# -- configuration ----------------------------------------------------------------------------
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
    env: dict[str, str] = {}
    for item in a.env:
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("WISEEVP_"):
            p.error(f"--env wants WISEEVP_NAME=VALUE, got {item!r}")
        if key.startswith(FIXED_ENV):
            p.error(f"--env {key} is fixed by the bench (vhost/database isolation)")
        env[key] = value
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


# -- payloads ---------------------------------------------------------------------------------
def ev_ids(count: int) -> list[str]:
    """The same ids every run, so the broker's retained-message store does not grow."""
    return [f"{ORG}-{n:05d}" for n in range(1, count + 1)]


def status_payload(ev_id: str, ts_ms: int, seq: int) -> bytes:
    """A valid, fully populated status (every optional field set: the largest payload)."""
    status = EvStatus(
        id=ev_id,
        timestamp=datetime.fromtimestamp(ts_ms / 1000, UTC),
        status=EvStatusValue.CHARGING,
        soc=round(20 + (seq % 800) / 10, 1),
        autonomy=round(80 + (seq % 2000) / 10, 1),
        coordinates=(4.351710 + (seq % 97) * 1e-5, 50.850340 - (seq % 89) * 1e-5),
        travelled_distance=round(12000 + seq * 0.1, 1),
    )
    return status.to_json()


def now_ms() -> int:
    return int(time.time() * 1000)


# -- CPU accounting from /proc (read only) ----------------------------------------------------
CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def _proc_cpu(pid: int) -> float | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _pids_named(*names: str) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in names:
                    found.append(int(entry.name))
    return found


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


@dataclass
class CpuSnapshot:
    at: float
    groups: dict[str, dict[int, float]]
    machine: tuple[int, int]


class CpuMeter:
    """CPU seconds per process group between two snapshots (who saturates the 2 cores)."""

    def __init__(self) -> None:
        self.monitor_pid: int | None = None

    def snapshot(self) -> CpuSnapshot:
        groups: dict[str, list[int]] = {
            "bench (MQTT/AMQP clients)": [os.getpid()],
            # the RT monitor in the e2e phases, the raw consumer process in the raw phase
            "consumer (rt_monitor | raw)": [self.monitor_pid] if self.monitor_pid else [],
            "rabbitmq (whole broker)": _pids_named("beam.smp"),
            "postgres (all backends)": _pids_named("postgres"),
        }
        values: dict[str, dict[int, float]] = {}
        for name, pids in groups.items():
            values[name] = {}
            for pid in pids:
                cpu = _proc_cpu(pid)
                if cpu is not None:
                    values[name][pid] = cpu
        return CpuSnapshot(time.monotonic(), values, _machine_jiffies())

    @staticmethod
    def delta(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, pids in after.groups.items():
            prev = before.groups.get(name, {})
            out[name] = sum(max(0.0, cpu - prev.get(pid, 0.0)) for pid, cpu in pids.items())
        busy = after.machine[0] - before.machine[0]
        total = after.machine[1] - before.machine[1]
        wall = after.at - before.at
        busy_share = busy / total if total else 0.0
        ours = sum(out.values())
        out["everything else (other tests, ...)"] = max(0.0, busy_share * CORES * wall - ours)
        out["machine busy %"] = 100.0 * busy_share
        out["wall s"] = wall
        return out


# -- RabbitMQ management and PostgreSQL preparation -------------------------------------------
async def delete_bench_queues() -> None:
    """Every queue of the bench vhost: no stale messages from an aborted run count."""
    vhost = quote(VHOST, safe="")
    async with aiohttp.ClientSession(
        headers=MANAGEMENT_HEADERS, timeout=aiohttp.ClientTimeout(total=20)
    ) as http:
        async with http.get(f"{MANAGEMENT_URL}/api/queues/{vhost}") as resp:
            if resp.status == 404:
                raise BenchError(f"RabbitMQ vhost {VHOST!r} does not exist")
            resp.raise_for_status()
            queues: list[dict[str, Any]] = await resp.json()
        for q in queues:
            url = f"{MANAGEMENT_URL}/api/queues/{vhost}/{quote(q['name'], safe='')}"
            async with http.delete(url) as resp:
                if resp.status not in (204, 404):
                    resp.raise_for_status()


async def queue_messages(name: str) -> int | None:
    url = f"{MANAGEMENT_URL}/api/queues/{quote(VHOST, safe='')}/{quote(name, safe='')}"
    async with (
        aiohttp.ClientSession(
            headers=MANAGEMENT_HEADERS, timeout=aiohttp.ClientTimeout(total=10)
        ) as http,
        http.get(url) as resp,
    ):
        if resp.status != 200:
            return None
        body: dict[str, Any] = await resp.json()
        value = body.get("messages")
        return int(value) if isinstance(value, int) else None


async def reset_database() -> None:
    await ensure_database(POSTGRES_URL)
    conn = await asyncpg.connect(POSTGRES_URL, timeout=10)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    finally:
        await conn.close()


# -- the rt_monitor process -------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MonitorProcess:
    """``python -m rt_monitor`` on the bench vhost/database; logs under ``.bench/``."""

    def __init__(self, extra_env: dict[str, str], *, module: str, profile: bool) -> None:
        self.module = module
        self.port = free_port()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.log_path = OUT_DIR / f"rt_monitor-{stamp}.log"
        self.profile_path = OUT_DIR / f"rt_monitor-{stamp}.prof" if profile else None
        env = {k: v for k, v in os.environ.items() if not k.startswith("WISEEVP_")}
        env.update(
            {
                "WISEEVP_AMQP_URL": AMQP_URL,
                "WISEEVP_POSTGRES_URL": POSTGRES_URL,
                "WISEEVP_HTTP_HOST": "127.0.0.1",
                "WISEEVP_HTTP_PORT": str(self.port),
                "WISEEVP_LOG_LEVEL": "INFO",
                "WISEEVP_INSTANCE_ID": "bench",
            }
        )
        env.update(extra_env)
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> None:
        OUT_DIR.mkdir(exist_ok=True)
        cmd = [sys.executable]
        if self.profile_path is not None:
            cmd += ["-m", "cProfile", "-o", str(self.profile_path)]
        cmd += ["-m", self.module]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log, cwd=ROOT)

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise BenchError(
                f"rt_monitor exited with {self.proc.returncode}; log {self.log_path}:\n"
                + self.tail()
            )

    async def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
            while time.monotonic() < deadline:
                self.check_alive()
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(self.url + "/healthz") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise BenchError(f"rt_monitor not healthy after {timeout} s:\n{self.tail()}")

    async def metrics(self) -> dict[str, float]:
        """Sums of the Prometheus samples we read (handler time, outcomes)."""
        out: dict[str, float] = {}
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
            http.get(self.url + "/metrics") as resp,
        ):
            text = await resp.text()
        for line in text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name_labels, _, value = line.rpartition(" ")
            name = name_labels.split("{", 1)[0]
            if name.startswith(("wiseevp_message_handle_seconds", "wiseevp_messages_consumed")):
                key = name
                if 'outcome="' in name_labels:
                    key += ":" + name_labels.split('outcome="', 1)[1].split('"', 1)[0]
                with contextlib.suppress(ValueError):
                    out[key] = out.get(key, 0.0) + float(value)
        return out

    async def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (graceful: flushes, writes the profile), SIGKILL after ``timeout``."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        self.kill()
        return proc.returncode

    def kill(self) -> None:
        """Synchronous last resort (also used when the event loop is gone)."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    def tail(self, chars: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""


# -- raw phase: aio-pika publish → consume ----------------------------------------------------
@dataclass
class RawResult:
    messages: int
    seconds: float
    publish_seconds: float
    cpu: dict[str, float]

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def raw_queue_arguments(queue_type: str) -> dict[str, Any]:
    """The RT monitor's queue arguments (``rabbit_queue``), possibly with another type."""
    arguments: dict[str, Any] = dict(rabbit_queue(RAW_QUEUE, MAX_DELIVERY_ATTEMPTS).arguments or {})
    arguments["x-queue-type"] = queue_type
    if queue_type != "quorum":
        arguments.pop("x-delivery-limit", None)  # quorum queues only
    return arguments


RAW_CONSUMER_FLAG = "--raw-consumer-child"


async def raw_consumer_child(n: int, prefetch: int, timeout: float) -> None:
    """The raw phase's consumer, in a process of its own like the RT monitor: acks each of
    ``n`` messages, then prints the wall-clock time of the last ack as JSON."""
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        queue = await channel.get_queue(RAW_QUEUE.name, ensure=True)
        acked = 0
        done = asyncio.Event()

        async def on_message(message: AbstractIncomingMessage) -> None:
            nonlocal acked
            await message.ack()
            acked += 1
            if acked >= n:
                done.set()

        await queue.consume(on_message, no_ack=False)
        print("ready", flush=True)
        await asyncio.wait_for(done.wait(), timeout)
        print(json.dumps({"last_ack": time.time(), "acked": acked}), flush=True)
        # stay alive until the parent has read this process's CPU time
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def _pump(
    cfg: Config,
    payload: bytes,
    exchange: aio_pika.abc.AbstractExchange,
    meter: CpuMeter,
) -> tuple[float, float, dict[str, float]]:
    """Publish ``raw_messages`` while a consumer process takes them; (publish s, last-ack s,
    CPU seconds per process group)."""
    n = cfg.raw_messages
    routing_key = RAW_QUEUE.bindings[0].routing_key
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        RAW_CONSUMER_FLAG,
        str(n),
        str(cfg.raw_prefetch),
        str(cfg.timeout),
        stdout=asyncio.subprocess.PIPE,
    )
    previous_pid, meter.monitor_pid = meter.monitor_pid, child.pid
    try:
        assert child.stdout is not None
        ready = await asyncio.wait_for(child.stdout.readline(), 30)
        if ready.strip() != b"ready":
            raise BenchError(f"raw consumer did not start: {ready!r}")
        before = meter.snapshot()
        remaining = n

        async def publisher() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                message = aio_pika.Message(payload, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
                await exchange.publish(message, routing_key=routing_key)  # awaits its confirm

        started_wall, started = time.time(), time.perf_counter()
        try:
            await asyncio.wait_for(
                asyncio.gather(*(publisher() for _ in range(min(cfg.raw_window, n)))), cfg.timeout
            )
        except TimeoutError:
            raise BenchError(f"raw: publishing not confirmed after {cfg.timeout} s") from None
        published = time.perf_counter()
        try:
            line = await asyncio.wait_for(child.stdout.readline(), cfg.timeout)
        except TimeoutError:
            raise BenchError(f"raw: messages not consumed after {cfg.timeout} s") from None
        if not line:
            raise BenchError("raw: the consumer process ended without a result")
        result = json.loads(line)
        cpu = meter.delta(before, meter.snapshot())
        return published - started, float(result["last_ack"]) - started_wall, cpu
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 5)
        except TimeoutError:
            child.kill()
            await child.wait()
        meter.monitor_pid = previous_pid


async def run_raw(cfg: Config, payload: bytes, meter: CpuMeter) -> RawResult:
    """A sliding window of ``raw_window`` unconfirmed publishes (``raw_window`` publisher
    coroutines, each awaiting its own confirm) from this process, and one consumer acking each
    message from a process of its own, as the RT monitor is."""
    pub_conn = await aio_pika.connect(AMQP_URL, timeout=10)
    queue: aio_pika.abc.AbstractQueue | None = None
    try:
        channel = await pub_conn.channel(publisher_confirms=True)
        queue = await channel.declare_queue(
            RAW_QUEUE.name, durable=True, arguments=raw_queue_arguments(cfg.raw_queue_type)
        )
        await queue.bind(Exchange.MQTT.value, RAW_QUEUE.bindings[0].routing_key)
        await queue.purge()
        exchange = await channel.get_exchange(Exchange.MQTT.value, ensure=False)
        publish_s, total_s, cpu = await _pump(cfg, payload, exchange, meter)
        return RawResult(cfg.raw_messages, total_s, publish_s, cpu)
    finally:
        if queue is not None:
            with contextlib.suppress(Exception):
                await queue.delete(if_unused=False, if_empty=False)
        with contextlib.suppress(Exception):
            await pub_conn.close()


# -- MQTT fleet -------------------------------------------------------------------------------
@dataclass
class SimEv:
    ev_id: str
    client: aiomqtt.Client
    topic: str
    last_ts_ms: int = 0
    seq: int = 0

    def next_ts(self, wanted_ms: int) -> int:
        """Strictly increasing per EV: the history's key is (ev_id, ts) at ms resolution."""
        ts = max(wanted_ms, self.last_ts_ms + 1)
        self.last_ts_ms = ts
        return ts

    async def publish(self, payload: bytes) -> None:
        await self.client.publish(
            self.topic,
            payload,
            qos=IopTopic.EV_STATUS.qos,
            retain=IopTopic.EV_STATUS.retained,
            timeout=60,
        )


@contextlib.asynccontextmanager
async def mqtt_fleet(ids: list[str], inflight: int) -> AsyncIterator[list[SimEv]]:
    """One connected MQTT client per EV (connected 25 at a time), all closed on exit."""
    async with contextlib.AsyncExitStack() as stack:
        evs: list[SimEv] = []
        gate = asyncio.Semaphore(25)

        async def connect(ev_id: str) -> SimEv:
            client = aiomqtt.Client(
                MQTT_HOST,
                MQTT_PORT,
                username=MQTT_USERNAME,
                password=MQTT_PASSWORD,
                identifier=f"wiseevp-bench-{ev_id}",
                clean_session=True,
                keepalive=60,
                timeout=20,
                max_inflight_messages=inflight,
                logger=MQTT_LOG,
            )
            async with gate:
                await stack.enter_async_context(client)
            return SimEv(ev_id, client, IopTopic.EV_STATUS.topic(ev_id=ev_id))

        results = await asyncio.gather(*(connect(i) for i in ids), return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise BenchError(f"MQTT connect failed: {r!r}") from r
            evs.append(r)
        yield evs


# -- waiting for rows -------------------------------------------------------------------------
async def wait_for_rows(
    db: asyncpg.Connection,
    monitor: MonitorProcess,
    *,
    expected: int,
    since_ms: int,
    timeout: float,
    what: str,
) -> None:
    """Poll the history until ``expected`` rows with ``ts >= since`` exist; fail on timeout or
    a stall of 20 s (nothing new stored)."""
    since = datetime.fromtimestamp(since_ms / 1000, UTC)
    deadline = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while True:
        count = int(await db.fetchval(f"SELECT count(*) FROM {HISTORY} WHERE ts >= $1", since))
        if count >= expected:
            return
        monitor.check_alive()
        now = time.monotonic()
        if count != last:
            last, last_change = count, now
        if now > deadline or now - last_change > 20:
            why = "timed out" if now > deadline else "stalled for 20 s"
            raise BenchError(f"{what}: {why} with {count}/{expected} rows stored")
        await asyncio.sleep(0.2)


# -- e2e phase: MQTT blast → rows -------------------------------------------------------------
@dataclass
class E2eResult:
    messages: int
    seconds: float
    publish_seconds: float
    drain_after_publish_s: float
    batches: int
    batch_avg: float
    batch_max: int
    store_wait_avg_ms: float
    handle_avg_ms: float | None
    cpu: dict[str, float]

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def publish_rate(self) -> float:
        return self.messages / self.publish_seconds


async def run_e2e(
    cfg: Config,
    evs: list[SimEv],
    db: asyncpg.Connection,
    monitor: MonitorProcess,
    meter: CpuMeter,
) -> E2eResult:
    # warm-up: one status per EV (partitions, pool connections, staging tables)
    warm_ms = now_ms() - 60_000
    await asyncio.gather(
        *(ev.publish(status_payload(ev.ev_id, ev.next_ts(warm_ms), 0)) for ev in evs)
    )
    await wait_for_rows(
        db, monitor, expected=len(evs), since_ms=warm_ms, timeout=cfg.timeout, what="warm-up"
    )
    await asyncio.sleep(0.5)
    metrics_before = await monitor.metrics()

    base_ms = now_ms()
    plan: list[list[bytes]] = []
    for ev in evs:
        plan.append(
            [status_payload(ev.ev_id, ev.next_ts(base_ms + i), i) for i in range(cfg.per_ev)]
        )
    first_ts = base_ms
    last_ts = max(ev.last_ts_ms for ev in evs)

    async def blast(ev: SimEv, payloads: list[bytes]) -> None:
        it = iter(payloads)

        async def lane() -> None:
            for payload in it:  # the lanes of one EV share the iterator: in order
                await ev.publish(payload)

        await asyncio.gather(*(lane() for _ in range(min(cfg.mqtt_window, len(payloads)))))

    before = meter.snapshot()
    t_first = time.time()
    try:
        await asyncio.wait_for(
            asyncio.gather(*(blast(ev, p) for ev, p in zip(evs, plan, strict=True))), cfg.timeout
        )
    except TimeoutError:
        raise BenchError(f"e2e: MQTT publishing not done after {cfg.timeout} s") from None
    t_published = time.time()
    remaining = max(1.0, cfg.timeout - (t_published - t_first))
    await wait_for_rows(
        db, monitor, expected=cfg.e2e_messages, since_ms=first_ts, timeout=remaining, what="e2e"
    )
    cpu = meter.delta(before, meter.snapshot())
    metrics_after = await monitor.metrics()

    lo = datetime.fromtimestamp(first_ts / 1000, UTC)
    hi = datetime.fromtimestamp(last_ts / 1000, UTC)
    row = await db.fetchrow(
        f"SELECT count(*) AS n, extract(epoch FROM max(stored_at))::float8 AS last_stored, "
        f"avg(extract(epoch FROM stored_at - received_at))::float8 AS store_wait "
        f"FROM {HISTORY} WHERE ts BETWEEN $1 AND $2",
        lo,
        hi,
    )
    batches = await db.fetchrow(
        f"SELECT count(*) AS batches, avg(n)::float8 AS avg, max(n) AS max FROM "
        f"(SELECT xmin::text AS tx, count(*) AS n FROM {HISTORY} WHERE ts BETWEEN $1 AND $2 "
        f"GROUP BY 1) b",
        lo,
        hi,
    )
    assert row is not None and batches is not None
    if int(row["n"]) != cfg.e2e_messages:
        raise BenchError(f"e2e: {row['n']} rows in range, expected {cfg.e2e_messages}")
    handled = metrics_after.get("wiseevp_message_handle_seconds_count", 0.0) - metrics_before.get(
        "wiseevp_message_handle_seconds_count", 0.0
    )
    handle_sum = metrics_after.get("wiseevp_message_handle_seconds_sum", 0.0) - metrics_before.get(
        "wiseevp_message_handle_seconds_sum", 0.0
    )
    last_stored = float(row["last_stored"])
    return E2eResult(
        messages=cfg.e2e_messages,
        seconds=last_stored - t_first,
        publish_seconds=t_published - t_first,
        drain_after_publish_s=last_stored - t_published,
        batches=int(batches["batches"]),
        batch_avg=float(batches["avg"]),
        batch_max=int(batches["max"]),
        store_wait_avg_ms=1000 * float(row["store_wait"]),
        handle_avg_ms=1000 * handle_sum / handled if handled else None,
        cpu=cpu,
    )


# -- latency phase: paced publishing ----------------------------------------------------------
@dataclass
class LatencyResult:
    messages: int
    offered_rate: float
    achieved_rate: float
    send_lag_p99_ms: float
    drain_ms: float
    """Last row stored - last send: more than a batch wait means a backlog (saturation)."""
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    to_monitor_p50_ms: float
    to_monitor_p99_ms: float
    in_monitor_p50_ms: float
    in_monitor_p99_ms: float
    batches: int
    batch_avg: float
    cpu: dict[str, float]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


async def run_latency(
    cfg: Config,
    evs: list[SimEv],
    db: asyncpg.Connection,
    monitor: MonitorProcess,
    meter: CpuMeter,
    *,
    rate: float,
) -> LatencyResult:
    """EV ``e`` sends its ``j``-th status at ``start + (j·E + e)/rate``: the fleet together
    offers ``rate`` msg/s, evenly spread. A send never waits for the previous PUBACK, so a slow
    acknowledgement cannot lower the offered rate (no coordinated omission)."""
    total = max(len(evs), round(rate * cfg.latency_seconds))
    per_ev = math.ceil(total / len(evs))
    total = per_ev * len(evs)
    start_ms = max(now_ms(), max(ev.last_ts_ms for ev in evs) + 1) + 200
    start = start_ms / 1000
    lags: list[float] = []
    failures: list[BaseException] = []
    in_flight: set[asyncio.Task[None]] = set()

    def done(task: asyncio.Task[None]) -> None:
        in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            failures.append(task.exception())  # type: ignore[arg-type]

    async def pace(index: int, ev: SimEv) -> None:
        for j in range(per_ev):
            due = start + (j * len(evs) + index) / rate
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_ms = now_ms()
            lags.append(sent_ms / 1000 - due)
            ev.seq += 1
            payload = status_payload(ev.ev_id, ev.next_ts(sent_ms), ev.seq)
            task = asyncio.create_task(ev.publish(payload))
            in_flight.add(task)
            task.add_done_callback(done)

    before = meter.snapshot()
    await asyncio.wait_for(
        asyncio.gather(*(pace(i, ev) for i, ev in enumerate(evs))),
        cfg.latency_seconds + cfg.timeout,
    )
    finished = time.time()
    if in_flight:
        await asyncio.wait(set(in_flight), timeout=cfg.timeout)
    if failures:
        raise BenchError(f"latency: {len(failures)} publishes failed, first: {failures[0]!r}")
    if in_flight:
        raise BenchError(f"latency: {len(in_flight)} publishes unacknowledged")
    await wait_for_rows(
        db, monitor, expected=total, since_ms=start_ms, timeout=cfg.timeout, what="latency"
    )
    cpu = meter.delta(before, meter.snapshot())
    since = datetime.fromtimestamp(start_ms / 1000, UTC)
    until = datetime.fromtimestamp(max(ev.last_ts_ms for ev in evs) / 1000, UTC)
    row = await db.fetchrow(
        f"""SELECT count(*) AS n,
              percentile_cont(ARRAY[0.5, 0.9, 0.99, 0.999]) WITHIN GROUP
                (ORDER BY extract(epoch FROM stored_at - ts)::float8) AS total,
              max(extract(epoch FROM stored_at - ts))::float8 AS max,
              percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP
                (ORDER BY extract(epoch FROM received_at - ts)::float8) AS to_monitor,
              percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP
                (ORDER BY extract(epoch FROM stored_at - received_at)::float8) AS in_monitor,
              count(DISTINCT xmin::text) AS batches,
              extract(epoch FROM max(stored_at))::float8 AS last_stored
            FROM {HISTORY} WHERE ts BETWEEN $1 AND $2""",
        since,
        until,
    )
    assert row is not None
    n = int(row["n"])
    if n != total:
        raise BenchError(f"latency: {n} rows, expected {total}")
    tot = [1000 * float(v) for v in row["total"]]
    to_mon = [1000 * float(v) for v in row["to_monitor"]]
    in_mon = [1000 * float(v) for v in row["in_monitor"]]
    batches = int(row["batches"])
    return LatencyResult(
        messages=n,
        offered_rate=rate,
        achieved_rate=n / (finished - start),
        drain_ms=1000 * (float(row["last_stored"]) - finished),
        send_lag_p99_ms=1000 * _percentile(lags, 0.99),
        p50_ms=tot[0],
        p90_ms=tot[1],
        p99_ms=tot[2],
        p999_ms=tot[3],
        max_ms=1000 * float(row["max"]),
        to_monitor_p50_ms=to_mon[0],
        to_monitor_p99_ms=to_mon[1],
        in_monitor_p50_ms=in_mon[0],
        in_monitor_p99_ms=in_mon[1],
        batches=batches,
        batch_avg=n / batches if batches else 0.0,
        cpu=cpu,
    )


# -- report -----------------------------------------------------------------------------------
def _table(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n{title}")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


def _cpu_rows(cpu: dict[str, float], messages: int) -> list[tuple[str, str]]:
    wall = cpu.get("wall s", 0.0)
    rows = []
    for name, seconds in cpu.items():
        if name in ("wall s", "machine busy %"):
            continue
        share = 100 * seconds / wall if wall else 0.0
        rows.append(
            (
                f"CPU {name}",
                f"{seconds:6.2f} s  {share:5.1f} % of a core  "
                f"{1e6 * seconds / messages:6.0f} µs/msg",
            )
        )
    rows.append((f"machine busy ({CORES} cores)", f"{cpu.get('machine busy %', 0.0):.0f} %"))
    return rows


def print_profile(path: Path, limit: int = 30) -> None:
    """Hot spots of the rt_monitor process (own time, then cumulative)."""
    stats = pstats.Stats(str(path))
    print(f"\nrt_monitor profile ({path}), top {limit} by own time:")
    stats.sort_stats("tottime").print_stats(limit)
    print(f"rt_monitor profile, top {limit} by cumulative time:")
    stats.sort_stats("cumulative").print_stats(limit)


def fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


@dataclass
class Outcome:
    raw: RawResult | None = None
    e2e: E2eResult | None = None
    latency: LatencyResult | None = None
    latency_extra: list[LatencyResult] = field(default_factory=list)
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self, cfg: Config, payload_bytes: int) -> dict[str, Any]:
        raw = self.raw.rate if self.raw else None
        e2e = self.e2e.rate if self.e2e else None
        ratio = e2e / raw if raw and e2e else None
        p99 = self.latency.p99_ms if self.latency else None
        out: dict[str, Any] = {
            "e2e_msgs_per_s": None if e2e is None else round(e2e, 1),
            "raw_msgs_per_s": None if raw is None else round(raw, 1),
            "ratio": None if ratio is None else round(ratio, 3),
            "p99_ms": None if p99 is None else round(p99, 1),
            "p50_ms": round(self.latency.p50_ms, 1) if self.latency else None,
            "messages": cfg.e2e_messages,
            "raw_messages": None if cfg.skip_raw else cfg.raw_messages,
            "latency_messages": self.latency.messages if self.latency else None,
            "latency_rate": cfg.rate,
            "evs": cfg.evs,
            "payload_bytes": payload_bytes,
            "mode": cfg.mode,
            "env": cfg.env,
            "monitor_module": cfg.monitor_module,
            "nice": cfg.nice,
            "target_ratio_met": None if ratio is None else ratio >= TARGET_RATIO,
            "target_p99_met": None if p99 is None else p99 < TARGET_P99_MS,
            "ok": self.error is None,
        }
        if self.latency_extra:
            out["p99_ms_by_rate"] = {
                f"{lat.offered_rate:g}": round(lat.p99_ms, 1)
                for lat in (*([self.latency] if self.latency else []), *self.latency_extra)
            }
        out.update(self.extra)
        if self.error is not None:
            out["error"] = self.error
        return out


def _latency_table(lat: LatencyResult) -> None:
    _table(
        f"latency: paced at {lat.offered_rate:,.0f} msg/s (stored_at - payload timestamp)",
        [
            ("messages", f"{lat.messages:,}"),
            (
                "achieved send rate",
                f"{lat.achieved_rate:,.0f} msg/s (p99 send lag {lat.send_lag_p99_ms:.1f} ms)",
            ),
            ("last row stored after last send", f"{lat.drain_ms:,.0f} ms"),
            ("p50 / p90", f"{lat.p50_ms:.1f} ms / {lat.p90_ms:.1f} ms"),
            ("P99", f"{lat.p99_ms:.1f} ms"),
            ("p99.9 / max", f"{lat.p999_ms:.1f} ms / {lat.max_ms:.1f} ms"),
            (
                "publish → handler (received_at - ts) p50/p99",
                f"{lat.to_monitor_p50_ms:.1f} / {lat.to_monitor_p99_ms:.1f} ms",
            ),
            (
                "handler → row (stored_at - received_at) p50/p99",
                f"{lat.in_monitor_p50_ms:.1f} / {lat.in_monitor_p99_ms:.1f} ms",
            ),
            ("batches", f"{lat.batches:,}, avg {lat.batch_avg:.1f} rows"),
            *_cpu_rows(lat.cpu, lat.messages),
        ],
    )


def report(cfg: Config, outcome: Outcome, payload_bytes: int) -> None:
    settings = ", ".join(f"{k}={v}" for k, v in cfg.env.items()) or "service defaults"
    _table(
        f"wiseevp ingestion benchmark ({cfg.mode})",
        [
            ("rt_monitor", f"python -m {cfg.monitor_module}; settings: {settings}"),
            ("EVs (MQTT clients)", f"{cfg.evs}, {cfg.mqtt_window} QoS 1 publishes in flight each"),
            ("payload", f"{payload_bytes} bytes (EvStatus JSON, all fields)"),
            ("bench process niceness (e2e, latency)", str(cfg.nice)),
            ("where", f"vhost {VHOST}, database {DATABASE}"),
        ],
    )
    if outcome.raw is not None:
        r = outcome.raw
        _table(
            f"raw: aio-pika → {cfg.raw_queue_type} queue → aio-pika (persistent)",
            [
                ("messages", f"{r.messages:,}"),
                ("publisher", f"confirms, {cfg.raw_window} unconfirmed in flight (pipelined)"),
                ("consumer", f"manual ack per message, prefetch {cfg.raw_prefetch}"),
                (
                    "publish rate (first publish → last confirm)",
                    f"{r.messages / r.publish_seconds:,.0f} msg/s",
                ),
                ("THROUGHPUT (first publish → last ack)", f"{r.rate:,.0f} msg/s"),
                *_cpu_rows(r.cpu, r.messages),
            ],
        )
    if outcome.e2e is not None:
        e = outcome.e2e
        _table(
            "e2e: MQTT QoS 1 → RabbitMQ → rt_monitor → PostgreSQL",
            [
                ("messages", f"{e.messages:,}"),
                ("MQTT publish rate (first publish → last PUBACK)", f"{e.publish_rate:,.0f} msg/s"),
                ("last row stored after last PUBACK", f"{1000 * e.drain_after_publish_s:,.0f} ms"),
                ("THROUGHPUT (first publish → last row stored)", f"{e.rate:,.0f} msg/s"),
                (
                    "batches (transactions)",
                    f"{e.batches:,}, avg {e.batch_avg:,.0f} rows, max {e.batch_max:,}",
                ),
                ("avg stored_at - received_at", fmt(e.store_wait_avg_ms, " ms", 1)),
                ("avg handler time (delivery → ack)", fmt(e.handle_avg_ms, " ms", 1)),
                *_cpu_rows(e.cpu, e.messages),
            ],
        )
    for lat in (*([outcome.latency] if outcome.latency else []), *outcome.latency_extra):
        _latency_table(lat)
    summary = outcome.summary(cfg, payload_bytes)
    verdict: list[tuple[str, str]] = []
    if summary["ratio"] is not None:
        met = "met" if summary["target_ratio_met"] else "MISSED"
        verdict.append(("e2e / raw ≥ 50 %", f"{100 * summary['ratio']:.1f} % — {met}"))
    if summary["p99_ms"] is not None:
        met = "met" if summary["target_p99_met"] else "MISSED"
        verdict.append(
            (
                f"p99 < {TARGET_P99_MS:.0f} ms at {cfg.rate:,.0f} msg/s",
                f"{summary['p99_ms']} ms — {met}",
            )
        )
    if outcome.error is not None:
        verdict.append(("RUN FAILED", outcome.error.splitlines()[0]))
    if verdict:
        _table("targets", verdict)
    print(json.dumps(summary), flush=True)


# -- main -------------------------------------------------------------------------------------
async def run(cfg: Config, outcome: Outcome, monitor: MonitorProcess, payload: bytes) -> None:
    meter = CpuMeter()
    await delete_bench_queues()
    if not cfg.skip_raw:
        print(f"raw: {cfg.raw_messages:,} messages ...", file=sys.stderr, flush=True)
        outcome.raw = await run_raw(cfg, payload, meter)
    await reset_database()
    print("e2e: starting rt_monitor ...", file=sys.stderr, flush=True)
    monitor.start()
    meter.monitor_pid = monitor.pid
    if cfg.nice:
        os.nice(cfg.nice)  # after the fork: rt_monitor keeps the normal priority
    await monitor.wait_healthy()
    db = await asyncpg.connect(POSTGRES_URL, timeout=10)
    try:
        async with mqtt_fleet(ev_ids(cfg.evs), cfg.mqtt_window) as evs:
            print(
                f"e2e: {cfg.e2e_messages:,} messages from {len(evs)} EVs ...",
                file=sys.stderr,
                flush=True,
            )
            outcome.e2e = await run_e2e(cfg, evs, db, monitor, meter)
            await asyncio.sleep(1.0)
            print(
                f"latency: {cfg.latency_seconds:.0f} s at {cfg.rate:,.0f} msg/s ...",
                file=sys.stderr,
                flush=True,
            )
            outcome.latency = await run_latency(cfg, evs, db, monitor, meter, rate=cfg.rate)
            for rate in cfg.extra_rates:
                await asyncio.sleep(1.0)
                print(
                    f"latency: {cfg.latency_seconds:.0f} s at {rate:,.0f} msg/s ...",
                    file=sys.stderr,
                    flush=True,
                )
                outcome.latency_extra.append(
                    await run_latency(cfg, evs, db, monitor, meter, rate=rate)
                )
        dead = await queue_messages(Queue.DEAD_LETTER.name)
        if dead:
            raise BenchError(f"{dead} messages were dead-lettered (invalid payloads?)")
    finally:
        await db.close()


async def amain(cfg: Config, outcome: Outcome, monitor: MonitorProcess, payload: bytes) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await run(cfg, outcome, monitor, payload)
    finally:
        print("stopping rt_monitor ...", file=sys.stderr, flush=True)
        code = await monitor.stop()
        if code not in (None, 0):
            outcome.extra["rt_monitor_exit_code"] = code
        with contextlib.suppress(Exception):
            await asyncio.wait_for(delete_bench_queues(), 20)  # leave the vhost empty


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == [RAW_CONSUMER_FLAG]:
        n, prefetch, timeout = int(args[1]), int(args[2]), float(args[3])
        asyncio.run(raw_consumer_child(n, prefetch, timeout))
        return 0
    cfg = parse_args(argv)
    payload = status_payload(f"{ORG}-00001", now_ms(), 12345)
    outcome = Outcome()
    monitor = MonitorProcess(cfg.env, module=cfg.monitor_module, profile=cfg.profile)
    code = 0
    try:
        asyncio.run(amain(cfg, outcome, monitor, payload))
    except (KeyboardInterrupt, asyncio.CancelledError):
        outcome.error = "interrupted"
        code = 130
    except BenchError as exc:
        outcome.error = str(exc)
        code = 1
    except Exception as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
        code = 1
    finally:
        monitor.kill()
    if outcome.error is not None:
        print(f"\nerror: {outcome.error}", file=sys.stderr)
        print(f"rt_monitor log: {monitor.log_path}", file=sys.stderr)
    if cfg.profile and monitor.profile_path is not None and monitor.profile_path.exists():
        print_profile(monitor.profile_path)
    report(cfg, outcome, len(payload))
    return code


if __name__ == "__main__":
    sys.exit(main())
