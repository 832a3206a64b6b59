"""A configurable :class:`~.handshake.BehaviourPolicy`: what we require of each role, and the
heartbeat intervals we are willing to keep up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from wiseevp_common.messages.oscp20 import MeasurementConfiguration, RequiredBehaviour

from .endpoints import Role
from .errors import RefusedPreferences
from .peers import Peer


@dataclass(frozen=True)
class ConfiguredPolicy:
    required: Mapping[Role, RequiredBehaviour | None] = field(default_factory=dict)
    """Our required behaviour per peer role (None: we ask nothing)."""
    min_heartbeat_interval_s: int = 1
    """The shortest heartbeat interval a peer may ask of us; shorter is refused with 400."""
    measurement_configurations: frozenset[MeasurementConfiguration] = frozenset(
        MeasurementConfiguration
    )
    """The measurement configurations we can produce."""

    def required_of(self, peer: Peer) -> RequiredBehaviour | None:
        return self.required.get(peer.role)

    def check(self, peer: Peer, theirs: RequiredBehaviour | None) -> None:
        if theirs is None:
            return
        interval = theirs.heartbeat_interval
        if interval is not None and interval < self.min_heartbeat_interval_s:
            shortest = self.min_heartbeat_interval_s
            raise RefusedPreferences(
                f"heartbeat_interval {interval} s is shorter than the {shortest} s we can keep up"
            )
        unsupported = set(theirs.measurement_configuration or ()) - self.measurement_configurations
        if unsupported:
            raise RefusedPreferences(
                f"measurement_configuration {sorted(unsupported)} is not supported"
            )
