"""OSCP gateway settings (``WISEEVP_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from wiseevp_common.messages.oscp20 import MeasurementConfiguration
from wiseevp_common.settings import ServiceSettings


class OscpFpSettings(ServiceSettings):
    oscp_public_url: str = Field(
        default="",
        description="Where Capacity Providers and Optimizers reach the gateway, e.g. "
        "https://fp.example.com; our base URL is <this>/oscp/fp/2.0. Empty: "
        "http://<http_host>:<http_port> (needs a fixed WISEEVP_HTTP_PORT).",
    )
    oscp_groups_file: Path = Field(
        default=Path("deploy/sites/demo/regulation_areas.yaml"),
        description="YAML of the OSCP groups (regulation areas) and their EVSEs.",
    )
    admin_token: str = Field(
        default="",
        description="Bearer token of the operator API /admin/oscp/... (peers, registration); "
        "empty disables that API.",
    )
    heartbeat_interval_s: int = Field(
        default=60,
        ge=0,
        description="Heartbeat interval we ask of Capacity Providers and Optimizers "
        "(handshake required_behaviour); 0 asks none.",
    )
    min_heartbeat_interval_s: int = Field(
        default=5, ge=1, description="Shortest heartbeat interval a peer may ask of us (else 400)."
    )
    measurement_configuration: list[MeasurementConfiguration] = Field(
        default=[MeasurementConfiguration.CONTINUOUS],
        description="How we want a Capacity Optimizer to aggregate measurements it sends us.",
    )
    offline_factor: float = Field(
        default=2.0,
        ge=1.0,
        description="Our heartbeats announce offline_mode_at = now + interval x this factor.",
    )
    handshake_retry_s: float = Field(
        default=30.0,
        gt=0,
        description="How often a Handshake to a Capacity Optimizer is retried until it succeeds "
        "(at start-up and after the CO went offline).",
    )
    measurement_interval_s: float = Field(
        default=900.0,
        gt=0,
        description="How often group measurements go to the CP and asset measurements to the CO.",
    )
    rt_monitor_url: str = Field(
        default="http://127.0.0.1:8080",
        description="RT monitor HTTP API, source of the meter values reported to peers.",
    )
    apply_profiles: bool = Field(
        default=True,
        description="Send every EVSE of a group a ChargePointMaxProfile within the group's "
        "limit on every change (the scheduler then plans below these caps).",
    )
    profile_id: int = Field(default=1701, ge=1, description="chargingProfileId of those caps.")
    idle_weight: float = Field(
        default=0.25, ge=0, le=1, description="Share weight of an idle EVSE against a charging one."
    )
    compliance_wait_s: float = Field(
        default=60.0,
        gt=0,
        description="How long EVSEs have to confirm their caps before the gateway reports a "
        "GroupCapacityComplianceError for the ones that did not.",
    )
    compliance_tolerance: float = Field(
        default=0.05,
        ge=0,
        description="Measured group power above capacity x (1 + this) is non-compliance.",
    )
    request_adjustments: bool = Field(
        default=True,
        description="Send AdjustGroupCapacityForecast when the demand of charging EVSEs "
        "exceeds the consumption capacity (once per forecast).",
    )

    @field_validator("oscp_public_url")
    @classmethod
    def _no_trailing_slash(cls, v: str) -> str:
        return v.rstrip("/")

    def public_url(self, port: int) -> str:
        return self.oscp_public_url or f"http://{self.http_host}:{port}"
