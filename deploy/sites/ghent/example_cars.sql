-- A few cars of the Partago fleet, for a demo or a test bed (apply car_table.sql first).
-- The operator's software updates the status columns; here they are set once by hand.
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f deploy/sites/ghent/example_cars.sql
INSERT INTO fleet.cars (car_id, name, connector_type, connector_power_kw, capacity_kwh,
                        reported_at, plugged, charging, soc_pct, range_km,
                        longitude, latitude, odometer_km)
VALUES
    ('00001', 'Renault ZOE R90 22 kWh', 'mennekes', 22, 22,
     now(), true, true, 46.0, 65, 3.7174, 51.0543, 48211.4),
    ('00002', 'Renault ZOE Q90 41 kWh', 'mennekes', 43, 41,
     now(), false, false, 88.5, 240, 3.7251, 51.0389, 17320.0),
    -- the e-NV200 has two inlets; the contract has one: the one WiseEVP's chargers use
    ('00003', 'Nissan e-NV200', 'chademo', 50, 40,
     now(), true, false, 100.0, 170, 4.4842, 51.2831, 9050.2),
    -- delivered, not on the road yet: characteristics only, no status
    ('00004', 'Renault ZOE Q90 41 kWh', 'mennekes', 43, 41,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
ON CONFLICT (car_id) DO NOTHING;

-- What the Partago server does when a Cloudboxx reports (the wrapper is notified):
-- UPDATE fleet.cars SET reported_at = now(), charging = false, soc_pct = 91
--  WHERE car_id = '00001';
