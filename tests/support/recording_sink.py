"""A fake :class:`~ev_wrapper.sources.base.EvSink` that records what a source delivered."""

from __future__ import annotations

from wiseevp_common.messages.iop import EvCharacteristics, EvStatus


class RecordingSink:
    def __init__(self) -> None:
        self.seen_characteristics: list[EvCharacteristics] = []
        self.seen_statuses: list[EvStatus] = []
        self.seen_lost: list[str] = []

    async def characteristics(self, ev: EvCharacteristics) -> None:
        self.seen_characteristics.append(ev)

    async def status(self, status: EvStatus) -> None:
        self.seen_statuses.append(status)

    async def lost(self, ev_id: str) -> None:
        self.seen_lost.append(ev_id)

    def statuses_of(self, ev_id: str) -> list[EvStatus]:
        return [s for s in self.seen_statuses if s.id == ev_id]

    def characteristics_of(self, ev_id: str) -> list[EvCharacteristics]:
        return [c for c in self.seen_characteristics if c.id == ev_id]
