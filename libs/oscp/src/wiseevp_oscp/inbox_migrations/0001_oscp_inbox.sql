-- Every OSCP message a party accepted (schema chosen by the service, e.g. oscp_cp), in the
-- order received. received_at is the service's clock. body is the message as received, except
-- a Register's token, which is never stored; NULL for a message without body (DELETE register).
CREATE TABLE oscp_inbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at     timestamptz NOT NULL,
    peer_id         text NOT NULL,
    endpoint        text NOT NULL,
    method          text NOT NULL,
    request_id      text NOT NULL,
    correlation_id  text,
    body            jsonb
);

CREATE INDEX oscp_inbox_endpoint_id ON oscp_inbox (endpoint, id);
