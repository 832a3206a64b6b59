-- OSCP gateway (Flexibility Provider) state, schema oscp_fp. Peers live in oscp_fp_peers.

-- The last accepted UpdateGroupCapacityForecast of each type for each group (FR.01.04): what
-- the limits are computed from, so capacity and fallback survive a restart.
CREATE TABLE forecast_in_force (
    group_id     text NOT NULL,
    type         text NOT NULL,
    peer_id      text NOT NULL,
    request_id   text NOT NULL,
    received_at  timestamptz NOT NULL,
    body         jsonb NOT NULL,
    PRIMARY KEY (group_id, type)
);

-- Every forecast received, accepted or refused with the rule it broke (audit, UI).
CREATE TABLE forecast_log (
    id           bigserial PRIMARY KEY,
    group_id     text NOT NULL,
    type         text NOT NULL,
    peer_id      text NOT NULL,
    request_id   text NOT NULL,
    received_at  timestamptz NOT NULL,
    accepted     boolean NOT NULL,
    reason       text,
    body         jsonb NOT NULL
);
CREATE INDEX forecast_log_group_idx ON forecast_log (group_id, received_at DESC);

-- Messages the gateway sent to its peers about compliance and adjustment (FR.04.*, 3.2.3).
CREATE TABLE sent_message (
    id              bigserial PRIMARY KEY,
    sent_at         timestamptz NOT NULL,
    peer_id         text NOT NULL,
    endpoint        text NOT NULL,
    group_id        text,
    request_id      text,
    correlation_id  text,
    body            jsonb NOT NULL
);
CREATE INDEX sent_message_idx ON sent_message (endpoint, sent_at DESC);
