"""Ingestion benchmark: raw RabbitMQ throughput vs. EV status end-to-end (MQTT → PostgreSQL).

Three figures, measured in one run on this machine (see ``bench/README.md``):

- **raw**: aio-pika publisher (publisher confirms, a sliding window of unconfirmed messages)
  → durable quorum queue declared like the RT monitor's → aio-pika consumer (manual acks,
  prefetch). Persistent messages the size of an EV status; messages/s from first publish
  to last ack.
- **e2e**: many MQTT clients (aiomqtt, QoS 1, retained, one per simulated EV) publish N valid
  ``MQTT/EV/<id>/status`` messages as fast as they go to RabbitMQ's MQTT plugin; a real
  ``rt_monitor`` process stores them; messages/s = N / (last ``stored_at`` - first publish).
- **latency**: the same path paced at ``--rate`` msg/s with the wall-clock publish time as the
  payload ``timestamp``; latency = ``stored_at - ts`` per row (p50/p99, in SQL).

Isolated from tests and the demo: RabbitMQ vhost ``wiseevp_bench`` (MQTT user
``wiseevp_bench:guest``) and PostgreSQL database ``wiseevp_bench``, whose ``rt_monitor`` schema
and queues are dropped at the start of every run. Prints a table and, as its last line, one
JSON object. Exits 1 when a run cannot complete (rows missing after a timeout, a process that
dies), 130 when interrupted; it always stops the ``rt_monitor`` process it started.

Usage: ``uv run python bench/ingest.py [--quick] [--profile] [--env WISEEVP_X=Y ...]``.

The code is in the package ``bench/ingest_parts`` (see its modules); this file is the entry
point, and ``ingest_parts.raw`` runs it again as the raw phase's consumer process.
"""

from __future__ import annotations

import sys

from ingest_parts.run import main  # bench/ is sys.path[0] when run as a script

if __name__ == "__main__":
    sys.exit(main())
