"""Where the bench runs: fixed, so that it can never wipe a test or demo space."""

from __future__ import annotations

from pathlib import Path

from oscp_fp.forecast_store import SCHEMA as FORECAST_SCHEMA
from oscp_fp.service import PEER_SCHEMA
from wiseevp_common.ocpp_topology import OcppIop
from wiseevp_common.topology import Exchange

VHOST = "wiseevp_bench"
DATABASE = "wiseevp_bench"
AMQP_URL = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
POSTGRES_URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
FP_SCHEMAS = (FORECAST_SCHEMA, PEER_SCHEMA)
"""The gateway's schemas in the bench database, dropped before each run: no forecast in force
and no peer left over (the CP registers afresh)."""
HOST = "127.0.0.1"
EXCHANGE = Exchange.MQTT.value
CAP_LEVEL = OcppIop.SET_CHARGING_PROFILE.level
TAP_BINDINGS = (f"MQTT.EVSE.*.{CAP_LEVEL}.*", "MQTT.GRID.#")
"""What the tap consumes: every cap (SetChargingProfile command) and every GroupCapacity."""
ADMIN_TOKEN = "bench-admin-token"  # noqa: S105 - the FP process's operator token, local only
FP_ID = "bench-fp"
"""The peer id the CP knows the gateway by."""
CP_ID = "bench-cp"
"""The peer id the gateway knows the CP by."""
ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / ".bench"  # git-ignored: service logs, the groups file, profiles
