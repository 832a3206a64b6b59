"""RT monitor settings (``WISEEVP_*``)."""

from __future__ import annotations

from pydantic import Field

from wiseevp_common.settings import ServiceSettings


class RtMonitorSettings(ServiceSettings):
    batch_max_rows: int = Field(default=2000, ge=1, le=100_000)
    """Messages written to PostgreSQL in one transaction at most (and at most the prefetch,
    since a consumer never holds more unacknowledged messages)."""
    batch_max_wait_ms: float = Field(default=5.0, ge=0, le=10_000)
    """How long the first message of a batch waits for company before it is written."""
    db_retry_s: float = Field(default=30.0, ge=0)
    """How long a failing write is retried (database down) before its messages are requeued."""
    db_pool_size: int = Field(
        default=4, ge=1, le=100, description="Connections of the PostgreSQL pool (writer and API)."
    )
    history_max_limit: int = Field(
        default=10_000,
        ge=1,
        description="Largest `limit` the history API accepts on `/api/v1/evs/...` and "
        "`/api/v1/evses/...` routes (more is a 400).",
    )
