"""OSCP benchmark: how long the gateway takes from a received UpdateGroupCapacityForecast to
the new limits published for every EVSE of a group of 1,000, beside the time of an empty
aiohttp request measured in the same run (see ``bench/README.md``).

- the **gateway**: one ``python -m oscp_fp`` process with a generated groups file (a group of
  ``--evses`` EVSEs and a small second one), on the bench vhost and database;
- the **Capacity Provider**: the OSCP engine's party (role CP) in this process, registered and
  handshaken with the gateway through its operator API. It posts each forecast itself, so t0
  is taken right before the HTTP request leaves;
- the **tap**: an exclusive queue in this process, bound to every cap
  (``MQTT.EVSE.*.setchargingprofile.*``) and GroupCapacity (``MQTT.GRID.#``) on ``amq.topic``.
  t1 is the arrival of the last of the group's caps and its GroupCapacity;
- the **baseline**: a plain aiohttp server in this process, ``GET`` → 204, timed from one
  ``ClientSession``.

Forecasts go one at a time (the next once the previous one is complete and the gateway idle),
each with other capacities, so every cap changes. capacity_to_profiles_s is the median of
t1 - t0 over the measured forecasts; the target is < 1 s.

Isolated from tests and the demo: RabbitMQ vhost ``wiseevp_bench`` (every queue of which is
deleted at the start and the end) and PostgreSQL database ``wiseevp_bench`` (whose ``oscp_fp``
and ``oscp_fp_peers`` schemas are dropped at the start). Prints tables and, as its last line,
one JSON object. Exits 1 when a run cannot complete, 130 when interrupted; it always stops the
gateway process.

Usage: ``uv run --all-packages python bench/oscp.py [--quick] [--profile] [--env WISEEVP_X=Y]``.

The code is in the package ``bench/oscp_parts``.
"""

from __future__ import annotations

import sys

from oscp_parts.run import main  # bench/ is sys.path[0] when run as a script

if __name__ == "__main__":
    sys.exit(main())
