-- EVSE tables of the RT monitor (schema rt_monitor; search_path is set by the migration runner).
--
-- Sources: the IOP EVSE topics MQTT/EVSE/<evse id>/{bootnotification, metervalues, status,
-- starttransaction, stoptransaction}, whose payloads are OCPP 1.6 JSON requests. evse_id is
-- the OCPP charge point identity (decoded from the topic; it may contain dots).
--
-- Every write is idempotent: messages are delivered at least once, so a redelivered message
-- must leave the tables as they were (ON CONFLICT DO NOTHING on natural keys, upserts guarded
-- by time, links set only where still NULL).
--
-- Operational tables: evse, evse_connector, evse_transaction, evse_transaction_stop.
-- Long-term tables: evse_status_history and evse_meter_value, range-partitioned by month on
-- the event time like ev_status_history (partitions created on demand by the writer).

-- OCPP 1.6 enumerations of sampled values, as enum types: 4 bytes a value instead of up to
-- 31 characters, in a table meant to reach 10^8 rows and in its indexes.
CREATE TYPE ocpp_measurand AS ENUM (
    'Energy.Active.Export.Register', 'Energy.Active.Import.Register',
    'Energy.Reactive.Export.Register', 'Energy.Reactive.Import.Register',
    'Energy.Active.Export.Interval', 'Energy.Active.Import.Interval',
    'Energy.Reactive.Export.Interval', 'Energy.Reactive.Import.Interval',
    'Power.Active.Export', 'Power.Active.Import', 'Power.Offered', 'Power.Reactive.Export',
    'Power.Reactive.Import', 'Power.Factor', 'Current.Import', 'Current.Export',
    'Current.Offered', 'Voltage', 'Frequency', 'Temperature', 'SoC', 'RPM'
);
CREATE TYPE ocpp_phase AS ENUM (
    'L1', 'L2', 'L3', 'N', 'L1-N', 'L2-N', 'L3-N', 'L1-L2', 'L2-L3', 'L3-L1'
);
CREATE TYPE ocpp_location AS ENUM ('Cable', 'EV', 'Inlet', 'Outlet', 'Body');
CREATE TYPE ocpp_reading_context AS ENUM (
    'Interruption.Begin', 'Interruption.End', 'Sample.Clock', 'Sample.Periodic',
    'Transaction.Begin', 'Transaction.End', 'Trigger', 'Other'
);
CREATE TYPE ocpp_value_format AS ENUM ('Raw', 'SignedData');
CREATE TYPE ocpp_unit AS ENUM (
    'Wh', 'kWh', 'varh', 'kvarh', 'W', 'kW', 'VA', 'kVA', 'var', 'kvar', 'A', 'V', 'K',
    'Celcius', 'Celsius', 'Fahrenheit', 'Percent', 'Hertz'
);

-- Registry: one row per charge point heard from (any topic). The BootNotification columns
-- are those of the latest boot (NULL until one is received); BootNotification.req has no
-- timestamp, so "latest" is by receipt time (last_boot_at).
CREATE TABLE evse (
    evse_id                     text PRIMARY KEY,
    charge_point_vendor         text,
    charge_point_model          text,
    charge_point_serial_number  text,
    charge_box_serial_number    text,
    firmware_version            text,
    iccid                       text,
    imsi                        text,
    meter_type                  text,
    meter_serial_number         text,
    last_boot_at                timestamptz,
    first_seen                  timestamptz NOT NULL,
    last_seen                   timestamptz NOT NULL
);

-- Latest StatusNotification per connector (connector 0 is the charge point as a whole).
-- ts is the notification's timestamp or, when the charge point left it out, the time the
-- monitor received it (OCPP: "the time of receipt of the message will be assumed"); such a
-- notification that repeats the latest status (a redelivery, stamped anew) changes nothing.
CREATE TABLE evse_connector (
    evse_id             text NOT NULL,
    connector_id        integer NOT NULL,
    ts                  timestamptz NOT NULL,
    timestamp_reported  boolean NOT NULL,
    status              text NOT NULL,
    error_code          text NOT NULL,
    info                text,
    vendor_id           text,
    vendor_error_code   text,
    received_at         timestamptz NOT NULL,
    PRIMARY KEY (evse_id, connector_id)
);
CREATE INDEX evse_connector_status_idx ON evse_connector (status);

-- Charging sessions.
--
-- Key. StartTransaction.req carries no transactionId: the central system (the EVSE wrapper)
-- assigns it in StartTransaction.conf, which is not on the IOP. The charge point then uses it
-- in MeterValues.req (with the connectorId) and in StopTransaction.req (without connectorId).
-- So a transaction is keyed by what its start says: (evse_id, start_ts, connector_id, id_tag)
-- — a connector starts at most one transaction at an instant, and a redelivered start has the
-- same key (DO NOTHING). transaction_id is learned later and stays NULL until then:
--   1. from MeterValues.req with a transactionId: it belongs to the latest transaction that
--      started on the same (evse, connector) at or before the sample, if that one is still
--      unlinked and the id is not already held by another open transaction of the evse;
--   2. from StopTransaction.req: the open transaction of the evse linked to that id and
--      started at or before the stop; failing that, the only unlinked open transaction
--      started before it (preferring, among several, the only one with the stop's idTag).
-- A stop that matches nothing yet (its start not received, or ambiguous) is kept in
-- evse_transaction_stop and matched again whenever the evse's transactions change. The
-- matching runs in the writer under a per-evse advisory lock, in the batch's transaction.
-- transaction_id is not unique: a central system may reuse ids after a restart.
CREATE TABLE evse_transaction (
    evse_id             text NOT NULL,
    start_ts            timestamptz NOT NULL,
    connector_id        integer NOT NULL,
    id_tag              text NOT NULL,
    meter_start_wh      bigint NOT NULL,
    reservation_id      integer,
    start_received_at   timestamptz NOT NULL,
    transaction_id      integer,
    -- copied from the matched StopTransaction; NULL while the transaction is open
    stop_ts             timestamptz,
    meter_stop_wh       bigint,
    stop_id_tag         text,
    stop_reason         text,
    stop_received_at    timestamptz,
    PRIMARY KEY (evse_id, start_ts, connector_id, id_tag)
);
CREATE INDEX evse_transaction_id_idx ON evse_transaction (evse_id, transaction_id);
CREATE INDEX evse_transaction_open_idx ON evse_transaction (evse_id) WHERE stop_ts IS NULL;

-- Every StopTransaction.req received (reason: OCPP default 'Local' when absent), with the
-- transaction it was matched to (connector_id, start_ts; NULL while unmatched).
CREATE TABLE evse_transaction_stop (
    evse_id             text NOT NULL,
    transaction_id      integer NOT NULL,
    ts                  timestamptz NOT NULL,
    meter_stop_wh       bigint NOT NULL,
    id_tag              text,
    reason              text NOT NULL,
    received_at         timestamptz NOT NULL,
    connector_id        integer,
    start_ts            timestamptz,
    PRIMARY KEY (evse_id, transaction_id, ts)
);
CREATE INDEX evse_transaction_stop_unmatched_idx
    ON evse_transaction_stop (evse_id) WHERE start_ts IS NULL;

-- Status history: one row per StatusNotification. The key makes redelivery idempotent; for
-- a notification without timestamp (ts = receipt time, timestamp_reported false) the writer
-- skips it when it equals the connector's latest status (or the previous timestamp-less one
-- of the connector in the same batch), so a redelivery adds no row either.
-- The key leads with (evse_id, ts): it serves "history of an evse, newest first".
CREATE TABLE evse_status_history (
    evse_id             text NOT NULL,
    connector_id        integer NOT NULL,
    ts                  timestamptz NOT NULL,
    timestamp_reported  boolean NOT NULL,
    status              text NOT NULL,
    error_code          text NOT NULL,
    info                text,
    vendor_id           text,
    vendor_error_code   text,
    received_at         timestamptz NOT NULL,
    stored_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (evse_id, ts, connector_id)
) PARTITION BY RANGE (ts);
CREATE INDEX evse_status_history_ts_brin ON evse_status_history USING brin (ts);

-- Meter values history: one row per sampled value, from MeterValues.req and from the
-- transactionData of StopTransaction.req. Absent optional fields hold their OCPP defaults
-- (measurand Energy.Active.Import.Register, context Sample.Periodic, format Raw, location
-- Outlet, unit Wh for energy measurands); phase stays NULL when absent. value is the text
-- sent; value_num its number when the format is Raw and it is a decimal (NULL otherwise).
-- connector_id is NULL only for transactionData samples of a stop not (yet) matched to a
-- start (StopTransaction.req has no connectorId).
--
-- The unique key identifies a sample: a meter value repeated in transactionData or a
-- redelivered message is stored once (NULLS NOT DISTINCT: phase and connector may be NULL).
-- It leads with (evse_id, ts), serving "samples of an evse in a time range, newest first";
-- (evse_id, measurand, ts) serves the same filtered by measurand; BRIN on ts stays tiny and
-- serves cross-evse scans by time. Monthly partitions keep each index a month's size and let
-- old months be detached or dropped.
CREATE TABLE evse_meter_value (
    evse_id             text NOT NULL,
    connector_id        integer,
    transaction_id      integer,
    ts                  timestamptz NOT NULL,
    measurand           ocpp_measurand NOT NULL,
    phase               ocpp_phase,
    location            ocpp_location NOT NULL,
    context             ocpp_reading_context NOT NULL,
    format              ocpp_value_format NOT NULL,
    unit                ocpp_unit,
    value               text NOT NULL,
    value_num           double precision,
    received_at         timestamptz NOT NULL,
    stored_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT evse_meter_value_key UNIQUE NULLS NOT DISTINCT
        (evse_id, ts, connector_id, measurand, phase, location, context, format)
) PARTITION BY RANGE (ts);
CREATE INDEX evse_meter_value_measurand_idx ON evse_meter_value (evse_id, measurand, ts);
CREATE INDEX evse_meter_value_ts_brin ON evse_meter_value USING brin (ts);
