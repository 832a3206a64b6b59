"""The interface every EV data source implements, and the sink it feeds."""

from __future__ import annotations

from typing import Protocol

from wiseevp_common.messages.iop import EvCharacteristics, EvStatus


class EvSink(Protocol):
    """Where a source delivers what it learns. Implemented by the IOP publisher."""

    async def characteristics(self, ev: EvCharacteristics) -> None:
        """A vehicle is known (new, or its data changed)."""

    async def status(self, status: EvStatus) -> None:
        """A fresh status of a known vehicle."""

    async def lost(self, ev_id: str) -> None:
        """The source lost contact with a vehicle: it is ``nocomm`` until heard of again."""


class EvSource(Protocol):
    """Runs until cancelled, feeding ``sink``. Must not return while healthy."""

    name: str

    async def run(self, sink: EvSink) -> None: ...
