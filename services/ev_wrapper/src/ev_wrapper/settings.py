"""EV wrapper settings (``WISEEVP_*``).

Every field is documented in ``services/ev_wrapper/README.md`` (settings table). Settings of
one source are ignored when another source is configured, except where a validator says so.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, FilePath, SecretStr, ValidationInfo, field_validator

from wiseevp_common.settings import ServiceSettings


class EvWrapperSettings(ServiceSettings):
    source: Literal["simulated", "obd", "postgres", "http"] = "simulated"
    """Where EV data comes from: a simulated fleet, OBD devices over TCP (Terni), an operator's
    car table over LISTEN/NOTIFY (Ghent), or an HTTP endpoint a phone app posts to (Crevillent)."""

    organisation: str = Field(default="SIM", pattern=r"^[A-Za-z0-9_]{1,32}$")
    """Organisation part of the EV ids this wrapper publishes (``ORG-NNNNN``). Every source
    only publishes EVs of this organisation."""

    fleet_size: int = Field(default=5, ge=1, le=10000)
    fleet_seed: int = 1
    fleet_centre_lon: float = Field(default=12.6467, ge=-180, le=180, description="Terni")
    fleet_centre_lat: float = Field(default=42.5636, ge=-90, le=90)
    status_interval_s: float = Field(
        default=60.0, gt=0, description="Simulated seconds between statuses"
    )
    stale_after_s: float = Field(
        default=900.0,
        gt=0,
        description="Publish nocomm when a source is silent this long (clock s)",
    )
    public_grid_deg: float = Field(
        default=0.01, gt=0, le=1, description="Grid the public message rounds coordinates to"
    )
    mqtt_max_inflight: int = Field(default=100, ge=1, le=65535)
    mqtt_buffer: int = Field(
        default=100_000, ge=1, description="Messages kept per EV while offline"
    )

    # -- obd (Terni) ---------------------------------------------------------------------------
    obd_listen_host: str = "127.0.0.1"
    obd_listen_port: int = Field(default=5005, ge=0, le=65535)
    obd_poll_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="Seconds of the service clock between two queries to a connected car "
        "(source `obd`).",
    )
    obd_inventory: FilePath | None = Field(default=None, validate_default=True)
    """YAML inventory of the cars (id, device, name, connector, capacity), which OBD devices
    cannot report; required by source `obd`."""
    obd_answer_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="Real seconds a device has to say hello or answer a query; then its "
        "connection is closed and its car reported `nocomm` (source `obd`).",
    )
    obd_max_errors: int = Field(
        default=3,
        ge=1,
        le=1000,
        description="Malformed lines in a row after which a device's connection is closed "
        "(source `obd`).",
    )

    # -- postgres (Ghent) ----------------------------------------------------------------------
    source_postgres_url: str = "postgresql://postgres@127.0.0.1:5432/wiseevp"
    source_postgres_table: str = Field(
        default="fleet.cars", pattern=r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$"
    )
    source_postgres_channel: str = Field(default="car_status", pattern=r"^[a-z_][a-z0-9_]*$")
    source_postgres_reconnect_max_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Longest real wait between two attempts to reconnect to the car database "
        "(back-off from 0.5 s, doubling; source `postgres`).",
    )
    source_postgres_probe_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Real seconds without a notification after which the LISTEN connection "
        "is probed with `SELECT 1` (source `postgres`).",
    )

    # -- http (Crevillent) ---------------------------------------------------------------------
    ingest_token: SecretStr = SecretStr("")
    """Bearer token the phone app must send to the HTTP ingestion routes; empty: no
    authentication (source `http`)."""
    ingest_max_future_s: float = Field(
        default=300.0,
        ge=0,
        description="Seconds ahead of the wrapper's clock a posted status may be dated (phone "
        "clock skew); later is a 400 (source `http`).",
    )

    @field_validator("obd_inventory")
    @classmethod
    def _inventory_for_obd(cls, v: FilePath | None, info: ValidationInfo) -> FilePath | None:
        if v is None and info.data.get("source") == "obd":
            raise ValueError("required when WISEEVP_SOURCE=obd (path of the YAML car inventory)")
        return v

    @field_validator("source_postgres_url")
    @classmethod
    def _source_postgres_scheme(cls, v: str) -> str:
        if not v.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return v
