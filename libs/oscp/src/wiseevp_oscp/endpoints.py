"""OSCP 2.0 roles, endpoints (4.2) and which role may call which endpoint of which role.

A party of role R serves ``<base>/<endpoint>`` for the endpoints R owns; ``<base>`` is chosen by
each party (ours: ``<public url>/oscp/<role>/2.0``) and exchanged at registration.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from wiseevp_common.messages.oscp20 import (
    OSCP_VERSION,
    AdjustGroupCapacityForecast,
    GroupCapacityComplianceError,
    Handshake,
    HandshakeAcknowledge,
    Heartbeat,
    Register,
    UpdateAssetMeasurements,
    UpdateGroupCapacityForecast,
    UpdateGroupMeasurements,
)


class Role(StrEnum):
    FP = "fp"
    """Flexibility Provider (wiseevp)."""
    CP = "cp"
    """Capacity Provider (grid operator, building EMS)."""
    CO = "co"
    """Capacity Optimizer."""

    @property
    def long_name(self) -> str:
        return _TITLES[self]


_TITLES = {
    Role.FP: "Flexibility Provider",
    Role.CP: "Capacity Provider",
    Role.CO: "Capacity Optimizer",
}


class Endpoint(StrEnum):
    """URL extension to the base URL (4.2)."""

    REGISTER = "register"
    HANDSHAKE = "handshake"
    HANDSHAKE_ACKNOWLEDGE = "handshake_acknowledge"
    HEARTBEAT = "heartbeat"
    UPDATE_GROUP_CAPACITY_FORECAST = "update_group_capacity_forecast"
    ADJUST_GROUP_CAPACITY_FORECAST = "adjust_group_capacity_forecast"
    GROUP_CAPACITY_COMPLIANCE_ERROR = "group_capacity_compliance_error"
    UPDATE_GROUP_MEASUREMENTS = "update_group_measurements"
    UPDATE_ASSET_MEASUREMENTS = "update_asset_measurements"


@dataclass(frozen=True)
class EndpointSpec:
    endpoint: Endpoint
    message: type[BaseModel]
    title: str
    """The message name of chapter 4."""
    section: str
    senders: dict[Role, frozenset[Role]]
    """Serving role → the roles that may call it there."""

    @property
    def owners(self) -> frozenset[Role]:
        return frozenset(self.senders)


def _s(**by_owner: tuple[Role, ...]) -> dict[Role, frozenset[Role]]:
    return {Role(owner): frozenset(senders) for owner, senders in by_owner.items()}


ENDPOINTS: dict[Endpoint, EndpointSpec] = {
    spec.endpoint: spec
    for spec in (
        EndpointSpec(
            Endpoint.REGISTER,
            Register,
            "Register",
            "4.3.1.1",
            _s(fp=(Role.CP, Role.CO), cp=(Role.FP,), co=(Role.FP,)),
        ),
        EndpointSpec(
            Endpoint.HANDSHAKE, Handshake, "Handshake", "4.3.2", _s(fp=(Role.CP,), co=(Role.FP,))
        ),
        EndpointSpec(
            Endpoint.HANDSHAKE_ACKNOWLEDGE,
            HandshakeAcknowledge,
            "HandshakeAcknowledge",
            "4.3.3",
            _s(cp=(Role.FP,), fp=(Role.CO,)),
        ),
        EndpointSpec(
            Endpoint.HEARTBEAT,
            Heartbeat,
            "Heartbeat",
            "4.3.4",
            _s(fp=(Role.CP, Role.CO), cp=(Role.FP,), co=(Role.FP,)),
        ),
        EndpointSpec(
            Endpoint.UPDATE_GROUP_CAPACITY_FORECAST,
            UpdateGroupCapacityForecast,
            "UpdateGroupCapacityForecast",
            "4.4.1",
            _s(fp=(Role.CP, Role.CO), co=(Role.FP,)),
        ),
        EndpointSpec(
            Endpoint.ADJUST_GROUP_CAPACITY_FORECAST,
            AdjustGroupCapacityForecast,
            "AdjustGroupCapacityForecast",
            "4.4.2",
            _s(cp=(Role.FP,)),
        ),
        EndpointSpec(
            Endpoint.GROUP_CAPACITY_COMPLIANCE_ERROR,
            GroupCapacityComplianceError,
            "GroupCapacityComplianceError",
            "4.4.3",
            _s(cp=(Role.FP,)),
        ),
        EndpointSpec(
            Endpoint.UPDATE_GROUP_MEASUREMENTS,
            UpdateGroupMeasurements,
            "UpdateGroupMeasurements",
            "4.5.1",
            _s(cp=(Role.FP,)),
        ),
        EndpointSpec(
            Endpoint.UPDATE_ASSET_MEASUREMENTS,
            UpdateAssetMeasurements,
            "UpdateAssetMeasurements",
            "4.5.2",
            _s(co=(Role.FP,)),
        ),
    )
}

REGISTER_METHODS = ("POST", "PUT", "DELETE")
SUPPORTED_VERSIONS = (OSCP_VERSION,)


def served_by(role: Role) -> list[EndpointSpec]:
    """The endpoints a party of ``role`` serves, in the order of 4.2."""
    return [spec for spec in ENDPOINTS.values() if role in spec.owners]


def base_path(role: Role, version: str = OSCP_VERSION) -> str:
    """Our base path for a role: ``/oscp/<role>/<version>``."""
    return f"/oscp/{role.value}/{version}"


def counterparts(role: Role) -> frozenset[Role]:
    """The roles a party of ``role`` talks to: FP ↔ CP, FP ↔ CO."""
    return frozenset({Role.CP, Role.CO}) if role is Role.FP else frozenset({Role.FP})


class Header(StrEnum):
    """HTTP headers of 4.1.2."""

    AUTHORIZATION = "Authorization"
    REQUEST_ID = "X-Request-ID"
    CORRELATION_ID = "X-Correlation-ID"
    SEGMENT_INDEX = "X-Segment-Index"
    SEGMENT_COUNT = "X-Segment-Count"


TOKEN_SCHEME = "Token"  # noqa: S105 - the header scheme, not a secret
