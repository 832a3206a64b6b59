"""The settings every peer service run against our Flexibility Provider has (the Capacity
Provider ``services/oscp_cp`` and the Capacity Optimizer ``services/oscp_co``), and the
database schemas of a peer service."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import NoDecode

from wiseevp_common.messages.oscp20 import MeasurementConfiguration, RequiredBehaviour
from wiseevp_common.settings import ServiceSettings

_ANY_HOST = ("", "0.0.0.0", "::")


class OscpPeerSettings(ServiceSettings):
    """``WISEEVP_*`` settings every peer service has."""

    oscp_public_url: str | None = Field(
        default=None,
        validate_default=True,
        description="Where the FP reaches us (our base URL is <this>/oscp/<role>/2.0); "
        "default http://127.0.0.1:<WISEEVP_HTTP_PORT>.",
    )
    admin_token: SecretStr = Field(
        description="Bearer token of the operator API /admin/... (required)."
    )
    heartbeat_interval_s: int = Field(
        default=60,
        ge=0,
        le=2**31 - 1,
        description="Heartbeat interval we require of the FP; 0: none.",
    )
    measurement_configuration: Annotated[list[MeasurementConfiguration], NoDecode] = Field(
        default=[MeasurementConfiguration.CONTINUOUS],
        description="Measurement configurations we require of the FP: comma-separated or a "
        "JSON list; empty: none.",
    )
    min_heartbeat_interval_s: int = Field(
        default=1, ge=1, description="The shortest heartbeat interval the FP may require of us."
    )
    offline_factor: float = Field(
        default=2.0, ge=1, description="Our heartbeats announce now + interval x this."
    )
    handshake_retry_s: float = Field(
        default=30.0, gt=0, description="A handshake we initiate that failed is retried after this."
    )
    db_pool_size: int = Field(
        default=4, ge=1, le=100, description="Connections of the PostgreSQL pool."
    )

    @field_validator("admin_token")
    @classmethod
    def _token_given(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("measurement_configuration", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("oscp_public_url")
    @classmethod
    def _reachable(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if not info.data.get("http_port"):
                raise ValueError(
                    "required when WISEEVP_HTTP_PORT is 0: the FP must know where to reach us"
                )
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def public_url(self) -> str:
        if self.oscp_public_url is not None:
            return self.oscp_public_url
        host = "127.0.0.1" if self.http_host in _ANY_HOST else self.http_host
        return f"http://{host}:{self.http_port}"

    def required_behaviour(self) -> RequiredBehaviour:
        """What we require of the FP in the handshake."""
        return RequiredBehaviour(
            heartbeat_interval=self.heartbeat_interval_s or None,
            measurement_configuration=list(self.measurement_configuration),
        )


@dataclass(frozen=True)
class PeerSchemas:
    peers: str
    """Schema of the peer table (registration, tokens, handshake)."""
    inbox: str
    """Schema of the inbox."""
