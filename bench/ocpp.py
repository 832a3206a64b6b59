"""OCPP benchmark: what one EVSE wrapper process holds and relays, beside a raw websockets
echo server measured in the same run (see ``bench/README.md``).

- **connections**: N simulated charge points (plain ``websockets`` clients in several load
  generator processes) connect to one ``python -m evse_wrapper`` process and boot; its
  resident memory before and after gives the bytes per connection; the stations still open
  that answer a Heartbeat at the end are the connections held. The same N connect to a raw
  ``websockets`` echo server (``compression=None``) for its bytes per connection.
- **throughput**: 1,000 stations send MeterValues back to back (each waits for its answer)
  for a fixed time: answered msg/s, CALL → CALLRESULT latency, and CALL → publish latency
  measured by a tap process that consumes the relayed messages from RabbitMQ (the send time
  travels in the payload's timestamp). The same stations against the echo server give the
  raw websockets baseline.

Isolated from tests and the demo: RabbitMQ vhost ``wiseevp_bench`` (every queue of which is
deleted at the start and the end) and PostgreSQL database ``wiseevp_bench_ocpp`` (whose
``evse_wrapper`` schema is dropped at the start). Prints tables and, as its last line, one JSON
object. Exits 1 when a run cannot complete, 130 when interrupted; it always stops the
processes it started.

Usage: ``uv run python bench/ocpp.py [--quick] [--profile] [--env WISEEVP_X=Y ...]``.

The code is in the package ``bench/ocpp_parts``; this file is the entry point, and it runs
again as each child process (load generators, echo server, tap).
"""

from __future__ import annotations

import sys

from ocpp_parts.children import run_child  # bench/ is sys.path[0] when run as a script

if __name__ == "__main__":
    code = run_child(sys.argv[1:])
    if code is None:
        from ocpp_parts.run import main

        code = main()
    sys.exit(code)
