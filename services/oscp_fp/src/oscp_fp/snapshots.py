"""The present state of the charge points, as the gateway reads it for its measurements: the
models of the RT monitor's ``POST /api/v1/evses/snapshot`` items and the client of that route.

The source is a :class:`SnapshotSource`, so tests and other deployments can inject their own.
The models ignore fields they do not know, so the monitor can add some without breaking the
gateway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import aiohttp
from pydantic import BaseModel, ConfigDict, ValidationError

from wiseevp_common.messages.types import IsoTimestamp

SNAPSHOT_PATH = "/api/v1/evses/snapshot"
MAX_IDS_PER_REQUEST = 5000
"""The RT monitor answers at most this many ids at once; more are asked in several requests."""


class OpenTransaction(BaseModel):
    """A charging session not stopped yet."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    transaction_id: int | None = None
    """None until the monitor learned the id the central system gave it."""
    connector_id: int
    started_at: IsoTimestamp
    meter_start_wh: int
    meter_wh: float | None = None
    """The latest import register of the session's connector, in Wh, if it reported one."""
    meter_measured_at: IsoTimestamp | None = None


class EvseSnapshot(BaseModel):
    """One charge point: latest registers (Wh) and power (W), charging state, open sessions."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    evse_id: str
    known: bool
    """False: the monitor never heard of it (nothing else is set)."""
    energy_import_wh: float | None = None
    energy_export_wh: float | None = None
    energy_measured_at: IsoTimestamp | None = None
    power_w: float | None = None
    power_measured_at: IsoTimestamp | None = None
    charging: bool = False
    transactions: tuple[OpenTransaction, ...] = ()


class SnapshotResponse(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    evses: list[EvseSnapshot]


class SnapshotError(RuntimeError):
    """The snapshots could not be read (monitor unreachable, error status, bad answer)."""


class SnapshotSource(Protocol):
    async def fetch(self, evse_ids: Sequence[str]) -> list[EvseSnapshot]:
        """One snapshot per id, in the order asked."""
        ...


class RtMonitorSnapshots:
    """Reads snapshots from the RT monitor's HTTP API.

    ``session``: an aiohttp session, or a callable returning one (a session component that is
    started after this client is built)."""

    def __init__(
        self,
        base_url: str,
        session: aiohttp.ClientSession | Callable[[], aiohttp.ClientSession],
        *,
        timeout_s: float = 10.0,
    ) -> None:
        self.url = base_url.rstrip("/") + SNAPSHOT_PATH
        self._session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    def _client(self) -> aiohttp.ClientSession:
        session = self._session
        return session if isinstance(session, aiohttp.ClientSession) else session()

    async def fetch(self, evse_ids: Sequence[str]) -> list[EvseSnapshot]:
        ids = list(evse_ids)
        result: list[EvseSnapshot] = []
        for start in range(0, len(ids), MAX_IDS_PER_REQUEST):
            result.extend(await self._fetch(ids[start : start + MAX_IDS_PER_REQUEST]))
        return result

    async def _fetch(self, ids: list[str]) -> list[EvseSnapshot]:
        try:
            async with self._client().post(
                self.url, json={"evse_ids": ids}, timeout=self.timeout
            ) as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SnapshotError(
                f"RT monitor unreachable at {self.url}: {exc.__class__.__name__} {exc}".rstrip()
            ) from exc
        if status != 200:
            text = body.decode("utf-8", "replace")[:500]
            raise SnapshotError(f"RT monitor answered {status} at {self.url}: {text}")
        try:
            answer = SnapshotResponse.model_validate_json(body)
        except ValidationError as exc:
            raise SnapshotError(f"RT monitor sent an unexpected answer: {exc}") from None
        if [s.evse_id for s in answer.evses] != ids:
            raise SnapshotError("RT monitor answered for other EVSEs than those asked")
        return answer.evses
