"""Where the bench runs: fixed, so that it can never wipe a test or demo space."""

from __future__ import annotations

from pathlib import Path

VHOST = "wiseevp_bench"
DATABASE = "wiseevp_bench_ocpp"
AMQP_URL = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
POSTGRES_URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
WRAPPER_SCHEMA = "evse_wrapper"
HOST = "127.0.0.1"
METER_BINDING = "MQTT.EVSE.*.metervalues"
"""What the tap consumes: every MeterValues.req the wrapper relays."""
ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / ".bench"  # git-ignored: service logs and profiles
ENTRY_SCRIPT = ROOT / "bench" / "ocpp.py"
"""Run again with a child flag, it becomes a load generator, the echo server or the tap."""
STATION_PREFIX = "BENCHCP-"


def station_ids(first: int, count: int) -> list[str]:
    """The same ids every run: ``BENCHCP-00001`` ... (registered by the wrapper)."""
    return [f"{STATION_PREFIX}{n:05d}" for n in range(first, first + count)]
