-- EVSE wrapper: registered charge points, their credentials (hashed), communication status,
-- the operator's idTag list, transactions ids, and the durable per-station command queue.

CREATE TABLE station (
    id                  text PRIMARY KEY,
    password_hash       text,          -- scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>; NULL: none
    registered_at       timestamptz NOT NULL,
    auto_registered     boolean NOT NULL DEFAULT false,
    vendor              text,
    model               text,
    serial_number       text,
    firmware_version    text,
    booted_at           timestamptz,
    feature_profiles    text[],        -- SupportedFeatureProfiles read at boot; NULL: unknown
    configuration       jsonb,         -- GetConfiguration.conf configurationKey list at boot
    online              boolean NOT NULL DEFAULT false,
    status_since        timestamptz,
    last_seen           timestamptz,
    offline_reason      text
);

CREATE TABLE connection_event (
    station_id  text NOT NULL REFERENCES station (id) ON DELETE CASCADE,
    ts          timestamptz NOT NULL,
    online      boolean NOT NULL,
    reason      text,
    instance    text NOT NULL
);
CREATE INDEX connection_event_station_idx ON connection_event (station_id, ts);

CREATE TABLE id_tag (
    id_tag          text PRIMARY KEY CHECK (char_length(id_tag) BETWEEN 1 AND 20),
    status          text NOT NULL DEFAULT 'Accepted'
                    CHECK (status IN ('Accepted', 'Blocked', 'Expired', 'Invalid')),
    expiry_date     timestamptz,
    parent_id_tag   text CHECK (char_length(parent_id_tag) <= 20),
    note            text
);

-- transactionId assignment: a StartTransaction.req sent twice (its answer was lost) gets the
-- same id again.
CREATE TABLE txn (
    transaction_id  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    station_id      text NOT NULL,
    connector_id    integer NOT NULL,
    id_tag          text NOT NULL,
    started_at      timestamptz NOT NULL,
    meter_start     integer NOT NULL,
    reservation_id  integer,
    stopped_at      timestamptz,
    meter_stop      integer,
    UNIQUE (station_id, connector_id, started_at, id_tag, meter_start)
);

-- Commands waiting for (or being sent to) their station, in arrival order.
CREATE TABLE command (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    station_id      text NOT NULL,
    request_id      text NOT NULL,
    level           text NOT NULL,
    action          text NOT NULL,
    payload         text NOT NULL,      -- the OCPP request exactly as received
    received_at     timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    UNIQUE (station_id, level, request_id)
);
CREATE INDEX command_station_idx ON command (station_id, seq);
