#!/usr/bin/env bash
# Idempotently prepare the machine's local RabbitMQ for wiseevp:
#   - plugins rabbitmq_mqtt (MQTT listener on $WISEEVP_MQTT_PORT, default 1884,
#     because Mosquitto holds 1883 on our machines) and rabbitmq_management;
#   - start the broker if it is down, restart it only when the config changed.
# Safe to run again and again; it changes nothing on a machine that is ready.
set -euo pipefail

MQTT_PORT="${WISEEVP_MQTT_PORT:-1884}"
CONF=/etc/rabbitmq/rabbitmq.conf
PLUGINS="rabbitmq_mqtt rabbitmq_management"
BEGIN="# >>> wiseevp: managed by setup-local.sh"
END="# <<< wiseevp"

log() { printf '[setup-rabbitmq] %s\n' "$*"; }

desired_block() {
  cat <<CONF
$BEGIN
mqtt.listeners.tcp.1 = 127.0.0.1:$MQTT_PORT
mqtt.allow_anonymous = false
mqtt.exchange = amq.topic
mqtt.vhost = /
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
$END
CONF
}

changed=0
touch "$CONF"
current_block=$(sed -n "/^$BEGIN\$/,/^$END\$/p" "$CONF")
if [ "$current_block" != "$(desired_block)" ]; then
  log "writing MQTT/management listener settings to $CONF"
  tmp=$(mktemp)
  sed "/^$BEGIN\$/,/^$END\$/d" "$CONF" >"$tmp"
  desired_block >>"$tmp"
  cat "$tmp" >"$CONF"
  rm -f "$tmp"
  changed=1
fi

enabled_file=/etc/rabbitmq/enabled_plugins
for p in $PLUGINS; do
  if ! grep -qw "$p" "$enabled_file" 2>/dev/null; then
    log "enabling plugins: $PLUGINS"
    rabbitmq-plugins enable --offline $PLUGINS >/dev/null
    changed=1
    break
  fi
done

running() { rabbitmqctl -q status >/dev/null 2>&1; }
mqtt_listening() { rabbitmq-diagnostics -q listeners 2>/dev/null | grep -q "port: $MQTT_PORT"; }

if running && [ "$changed" = 1 ]; then
  log "restarting RabbitMQ to apply the new configuration"
  rabbitmqctl -q stop >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do running || break; sleep 1; done
fi
if ! running; then
  log "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
fi
for _ in $(seq 1 120); do
  rabbitmqctl -q await_startup --timeout 5 >/dev/null 2>&1 && break
  sleep 1
done
running || { log "ERROR: RabbitMQ did not start; see /var/log/rabbitmq/"; exit 1; }
for _ in $(seq 1 30); do mqtt_listening && break; sleep 1; done
if ! mqtt_listening; then
  log "ERROR: the MQTT plugin is not listening on port $MQTT_PORT"
  rabbitmq-diagnostics -q listeners || true
  exit 1
fi
# A vhost of its own for the test suite, so tests never touch a running demo's queues.
# MQTT clients reach it with the user name "wiseevp_test:guest".
for vhost in / wiseevp_test wiseevp_bench; do
  rabbitmqctl -q list_vhosts | grep -qx "$vhost" || rabbitmqctl -q add_vhost "$vhost" >/dev/null
  rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
done
log "RabbitMQ ready: AMQP 5672, MQTT $MQTT_PORT, management 15672, vhosts /, wiseevp_test, wiseevp_bench"
