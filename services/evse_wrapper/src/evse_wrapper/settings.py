"""EVSE wrapper settings (``WISEEVP_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from wiseevp_common.settings import ServiceSettings


class EvseWrapperSettings(ServiceSettings):
    ocpp_host: str = Field(default="0.0.0.0", description="Address the OCPP server listens on.")
    ocpp_port: int = Field(default=9000, ge=0, le=65535, description="OCPP WebSocket port.")
    ocpp_path_prefix: str = Field(
        default="/ocpp",
        pattern=r"^(/[A-Za-z0-9_.~-]+)*$",
        description="Stations connect to `ws://<host>:<port><prefix>/<charge point id>`.",
    )
    security_profile: int = Field(
        default=0,
        ge=0,
        le=2,
        description="OCPP security profile: 0 none, 1 HTTP basic auth per charge point, "
        "2 TLS plus basic auth (needs `tls_cert_file` and `tls_key_file`).",
    )
    tls_cert_file: Path | None = Field(default=None, description="PEM certificate (profile 2).")
    tls_key_file: Path | None = Field(default=None, description="PEM private key (profile 2).")
    auto_register: bool = Field(
        default=True,
        description="Register unknown charge points at their first connection (EVP_005). "
        "Off: unknown ids are refused at the WebSocket handshake (HTTP 404).",
    )
    accept_unknown_id_tags: bool = Field(
        default=False,
        description="Authorize idTags missing from the operator's list (otherwise `Invalid`).",
    )
    heartbeat_interval_s: int = Field(
        default=300, ge=1, description="Interval given to stations in BootNotification.conf."
    )
    offline_after_missed_heartbeats: float = Field(
        default=2.5,
        gt=1,
        description="A connected station that sends nothing for this many heartbeat "
        "intervals is reported offline.",
    )
    call_timeout_s: float = Field(
        default=30.0, gt=0, description="How long the wrapper waits for a station's answer."
    )
    offline_queue_max: int = Field(
        default=100, ge=1, description="Commands queued per offline station at most."
    )
    command_expiry_s: float = Field(
        default=3600.0,
        gt=0,
        description="A command still undelivered this long after it arrived expires "
        "(its result: CALLERROR, reason `expired-while-offline`).",
    )
    max_frame_bytes: int = Field(
        default=65536, ge=1024, description="Larger WebSocket messages close the socket (1009)."
    )
    rate_limit_per_s: float = Field(
        default=50.0,
        gt=0,
        description="Sustained CALLs per second one station may send; beyond the burst, "
        "CALLs are answered with CALLERROR GenericError (rate limit).",
    )
    rate_limit_burst: int = Field(default=500, ge=1, description="Burst of the rate limit.")
    fallback_current_keys: list[str] = Field(
        default=["MaxChargingCurrent", "MaxCurrent", "ChargingCurrentLimit"],
        description="Configuration keys tried, in order, to cap a station's current when it "
        "lacks SmartCharging or rejects a charging profile.",
    )
    fallback_voltage_v: float = Field(
        default=230.0, gt=0, description="Phase voltage to turn a W limit into amperes."
    )
    fallback_phases: int = Field(default=3, ge=1, le=3, description="Phases assumed for W→A.")
    db_pool_size: int = Field(
        default=8, ge=1, le=100, description="Connections of the PostgreSQL pool."
    )

    @model_validator(mode="after")
    def _tls_needs_files(self) -> EvseWrapperSettings:
        if self.security_profile == 2 and not (self.tls_cert_file and self.tls_key_file):
            raise ValueError("security_profile 2 needs tls_cert_file and tls_key_file")
        return self
