-- OSCP peers of one party (schema chosen by the service, e.g. oscp_fp_peers).
-- token_in_hash: SHA-256 of the token the peer authenticates with at our endpoints (never the
-- token itself). token_out: the token we present to the peer; it has to be sent, so it is
-- stored as given — restrict access to this schema to the service's database role.
CREATE TABLE oscp_peer (
    peer_id             text PRIMARY KEY,
    role                text NOT NULL CHECK (role IN ('fp', 'cp', 'co')),
    registration        text NOT NULL,
    token_in_hash       bytea UNIQUE,
    token_in_next_hash  bytea,
    token_out           text,
    base_url            text,
    version             text,
    handshake           text NOT NULL,
    their_behaviour     jsonb,
    our_behaviour       jsonb,
    offline_mode_at     timestamptz,
    online              boolean NOT NULL DEFAULT false,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
