-- The latest energy register / power sample of each connector, for the EVSE snapshot route
-- (POST /api/v1/evses/snapshot, evse_snapshot.py).
--
-- (evse_id, measurand, ts) cannot answer "the latest sample of connector c": a backward scan
-- would walk over every newer sample of the other connectors (a connector idle for a week
-- behind one sampling every minute). With the connector in the key each (evse, connector,
-- measurand) is one backward probe per monthly partition, newest partition first, stopping at
-- the first hit. Partial: only the three measurands the snapshot reads, so the index stays a
-- fraction of the table (per-phase currents, voltages, SoC are left out).
CREATE INDEX evse_meter_value_latest_idx
    ON evse_meter_value (evse_id, connector_id, measurand, ts)
    WHERE measurand IN (
        'Energy.Active.Import.Register', 'Energy.Active.Export.Register', 'Power.Active.Import'
    );
