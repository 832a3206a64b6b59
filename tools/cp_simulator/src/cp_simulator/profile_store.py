"""The charging profiles installed on one charge point: OCPP 1.6 §5.16 replacement and §5.5
clearing rules. Pure, no I/O."""

from __future__ import annotations

from .profiles import ChargingProfile, Purpose


class ProfileStore:
    """The profiles installed on one charge point (§5.16 replacement and §5.5 clearing rules)."""

    def __init__(self) -> None:
        self._profiles: list[ChargingProfile] = []

    @property
    def profiles(self) -> tuple[ChargingProfile, ...]:
        return tuple(self._profiles)

    def install(self, profile: ChargingProfile) -> None:
        """Add ``profile``, replacing one with the same id or the same stack level and purpose
        on the same connector."""
        self._profiles = [
            p
            for p in self._profiles
            if p.id != profile.id
            and (p.stack_level, p.purpose, p.connector_id)
            != (profile.stack_level, profile.purpose, profile.connector_id)
        ]
        self._profiles.append(profile)

    def clear(
        self,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: Purpose | None = None,
        stack_level: int | None = None,
    ) -> bool:
        """Remove the matching profiles (by id alone when given); return whether any matched."""

        def matches(p: ChargingProfile) -> bool:
            if profile_id is not None:
                return p.id == profile_id
            return (
                (connector_id is None or p.connector_id == connector_id)
                and (purpose is None or p.purpose is purpose)
                and (stack_level is None or p.stack_level == stack_level)
            )

        kept = [p for p in self._profiles if not matches(p)]
        removed = len(kept) != len(self._profiles)
        self._profiles = kept
        return removed

    def end_transaction(self, connector_id: int) -> None:
        """A transaction ended: its TxProfiles go (§3.13.4)."""
        self._profiles = [
            p
            for p in self._profiles
            if not (p.purpose is Purpose.TX and p.connector_id == connector_id)
        ]
