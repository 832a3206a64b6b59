-- The car table the WiseEVP EV wrapper reads in Ghent (WISEEVP_SOURCE=postgres), and the
-- trigger that tells it what changed. Contract: services/ev_wrapper/README.md, "postgres".
--
-- One row per car. The operator's own software (the Partago server, fed by the INVERS
-- Cloudboxx of each car) keeps the status columns up to date; the wrapper only reads.
-- The wrapper publishes the car as EV "<WISEEVP_ORGANISATION>-<car_id>", e.g. PARTAGO-00001.
--
-- Apply:  psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f deploy/sites/ghent/car_table.sql
-- Idempotent. Change the schema/table name here and in WISEEVP_SOURCE_POSTGRES_TABLE
-- together; the NOTIFY channel is the trigger's argument (WISEEVP_SOURCE_POSTGRES_CHANNEL).
-- If the operator's table looks different, keep it and put this trigger on it, with a view
-- named in WISEEVP_SOURCE_POSTGRES_TABLE that exposes these columns.

CREATE SCHEMA IF NOT EXISTS fleet;

CREATE TABLE IF NOT EXISTS fleet.cars (
    -- identity and characteristics (what the car is)
    car_id              text PRIMARY KEY
                        CHECK (car_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    connector_type      text NOT NULL
                        CHECK (connector_type IN ('chademo', 'combo', 'tesla', 'mennekes', 'j1772', 'ccs')),
    connector_power_kw  numeric(8, 3) NOT NULL CHECK (connector_power_kw > 0 AND connector_power_kw <= 1000),
    capacity_kwh        double precision NOT NULL CHECK (capacity_kwh > 0 AND capacity_kwh <= 1000),

    -- latest status (what the car last reported); all NULL until its first report
    reported_at         timestamptz,              -- when the car reported this status
    plugged             boolean,                  -- charge cable connected
    charging            boolean,                  -- energy flowing into the battery
    soc_pct             double precision CHECK (soc_pct BETWEEN 0 AND 100),
    range_km            double precision CHECK (range_km >= 0),
    longitude           double precision CHECK (longitude BETWEEN -180 AND 180),
    latitude            double precision CHECK (latitude BETWEEN -90 AND 90),
    odometer_km         double precision CHECK (odometer_km >= 0),
    CHECK ((longitude IS NULL) = (latitude IS NULL))
);

COMMENT ON TABLE fleet.cars IS
    'Cars published by the WiseEVP EV wrapper (LISTEN car_status); one row per car, latest status';

-- Tell listeners which car changed: the payload is its car_id, or '*' after a TRUNCATE.
CREATE OR REPLACE FUNCTION fleet.notify_car_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    channel text := TG_ARGV[0];
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        PERFORM pg_notify(channel, '*');
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify(channel, OLD.car_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.car_id <> OLD.car_id) THEN
        PERFORM pg_notify(channel, NEW.car_id);
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS cars_notify ON fleet.cars;
CREATE TRIGGER cars_notify
    AFTER INSERT OR UPDATE OR DELETE ON fleet.cars
    FOR EACH ROW EXECUTE FUNCTION fleet.notify_car_change('car_status');

DROP TRIGGER IF EXISTS cars_notify_truncate ON fleet.cars;
CREATE TRIGGER cars_notify_truncate
    AFTER TRUNCATE ON fleet.cars
    FOR EACH STATEMENT EXECUTE FUNCTION fleet.notify_car_change('car_status');
