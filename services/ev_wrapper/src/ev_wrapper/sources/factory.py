"""Pick the configured source."""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry

from wiseevp_common.clock import Clock
from wiseevp_common.settings import SettingsError

from ..settings import EvWrapperSettings
from .base import EvSource
from .fleet_model import Fleet
from .http_ingest import HttpIngestSource
from .obd import ObdSource
from .obd_inventory import InventoryError, load_inventory
from .postgres_cars import PostgresCarSource
from .simulated import SimulatedFleetSource

log = logging.getLogger("ev_wrapper.sources")


def make_source(
    settings: EvWrapperSettings, clock: Clock, registry: CollectorRegistry | None = None
) -> EvSource:
    """The source ``settings.source`` names. ``registry`` receives the source's counters
    (without one they are kept private). Raises :class:`SettingsError` (exit status 2) when
    the source's configuration cannot be used, e.g. an invalid OBD inventory."""
    match settings.source:
        case "simulated":
            fleet = Fleet(
                settings.organisation,
                settings.fleet_size,
                settings.fleet_seed,
                (settings.fleet_centre_lon, settings.fleet_centre_lat),
            )
            return SimulatedFleetSource(fleet, clock, settings.status_interval_s)
        case "obd":
            assert settings.obd_inventory is not None  # the settings require it for obd
            try:
                inventory = load_inventory(settings.obd_inventory, settings.organisation)
            except InventoryError as exc:
                log.error("WISEEVP_OBD_INVENTORY: %s", exc)
                raise SettingsError(f"WISEEVP_OBD_INVENTORY: {exc}") from None
            return ObdSource(
                inventory,
                clock,
                host=settings.obd_listen_host,
                port=settings.obd_listen_port,
                poll_interval_s=settings.obd_poll_interval_s,
                answer_timeout_s=settings.obd_answer_timeout_s,
                max_errors=settings.obd_max_errors,
                registry=registry,
            )
        case "postgres":
            return PostgresCarSource(
                settings.source_postgres_url,
                table=settings.source_postgres_table,
                channel=settings.source_postgres_channel,
                organisation=settings.organisation,
                reconnect_max_s=settings.source_postgres_reconnect_max_s,
                probe_s=settings.source_postgres_probe_s,
                registry=registry,
            )
        case "http":
            return HttpIngestSource(
                settings.organisation,
                settings.ingest_token.get_secret_value(),
                clock,
                max_future_s=settings.ingest_max_future_s,
                registry=registry,
            )
