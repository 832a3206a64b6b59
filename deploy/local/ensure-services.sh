#!/usr/bin/env bash
# Make sure the local PostgreSQL and RabbitMQ this project needs are running (development
# machines and CI), then configure RabbitMQ (MQTT plugin, vhosts). Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

log() { printf '[ensure-services] %s\n' "$*"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do port_open 5432 && break; sleep 1; done
  fi
  port_open 5432 || { log "ERROR: PostgreSQL is not reachable on 127.0.0.1:5432"; exit 1; }
fi

if command -v rabbitmqctl >/dev/null 2>&1; then
  bash "$here/../rabbitmq/setup-local.sh"
else
  port_open 5672 || { log "ERROR: RabbitMQ is not reachable on 127.0.0.1:5672"; exit 1; }
  log "no local rabbitmqctl: assuming the broker is configured (MQTT plugin, vhosts)"
fi
