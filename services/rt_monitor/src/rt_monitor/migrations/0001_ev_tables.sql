-- EV tables of the RT monitor (schema rt_monitor; search_path is set by the migration runner).
--
-- Operational tables hold the latest state (one row per EV); long-term tables hold history,
-- range-partitioned by month on the event time (partitions are created on demand by the
-- writer), with a btree primary key per EV and time and a BRIN index on time, which stays
-- small at 10^8 rows.

CREATE TABLE ev (
    ev_id               text PRIMARY KEY,
    name                text NOT NULL,
    connector_type      text NOT NULL,
    connector_power_kw  numeric(11, 3) NOT NULL,
    capacity_kwh        double precision NOT NULL,
    first_seen          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

CREATE TABLE ev_state (
    ev_id               text PRIMARY KEY,
    ts                  timestamptz NOT NULL,
    status              text NOT NULL,
    soc                 double precision,
    autonomy_km         double precision,
    lon                 double precision,
    lat                 double precision,
    travelled_km        double precision,
    received_at         timestamptz NOT NULL
);
CREATE INDEX ev_state_status_idx ON ev_state (status);

CREATE TABLE ev_status_history (
    ev_id               text NOT NULL,
    ts                  timestamptz NOT NULL,
    status              text NOT NULL,
    soc                 double precision,
    autonomy_km         double precision,
    lon                 double precision,
    lat                 double precision,
    travelled_km        double precision,
    received_at         timestamptz NOT NULL,
    -- when the row was written: stored_at - ts is the ingestion lag (bench, monitoring)
    stored_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (ev_id, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX ev_status_history_ts_brin ON ev_status_history USING brin (ts);
