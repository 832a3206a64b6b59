"""Where the bench runs: fixed, so that it can never wipe a test or demo space."""

from __future__ import annotations

from pathlib import Path

VHOST = "wiseevp_bench"
DATABASE = "wiseevp_bench"
AMQP_URL = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
POSTGRES_URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
MQTT_HOST = "127.0.0.1"
MQTT_PORT = 1884
MQTT_USERNAME = f"{VHOST}:guest"
MQTT_PASSWORD = "guest"  # noqa: S105 - the local broker's default account
ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / ".bench"  # git-ignored: service logs and profiles
SCHEMA = "rt_monitor"
HISTORY = f"{SCHEMA}.ev_status_history"
ORG = "BENCH"
