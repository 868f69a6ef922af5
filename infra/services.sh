#!/usr/bin/env bash
# Starts (or reuses) the local PostgreSQL and RabbitMQ that the distributed mode and its tests use, and waits until
# both answer. Everything listens on 127.0.0.1 only. Usage: infra/services.sh start|stop
set -euo pipefail
deadline() { local until=$((SECONDS + $1)); shift; until "$@" >/dev/null 2>&1; do ((SECONDS < until)) || return 1; sleep 1; done; }

case "${1:-start}" in
  start)
    service postgresql status >/dev/null 2>&1 || service postgresql start
    deadline 60 pg_isready -h 127.0.0.1 -q || { echo "PostgreSQL did not become ready in 60 s" >&2; exit 1; }
    # The test role and database (idempotent).
    su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='mura'\"" | grep -q 1 \
      || su postgres -c "psql -qc \"CREATE ROLE mura LOGIN CREATEDB PASSWORD 'mura'\""
    # The tests make roles with passwords of their own (to prove no password reaches a log line).
    su postgres -c "psql -qc \"ALTER ROLE mura CREATEROLE\""
    # The tests drop their databases WITH (FORCE). PostgreSQL 15 refuses that to a role that may not signal every
    # backend in the database, and an autovacuum worker that happens to be vacuuming it belongs to no role
    # (PostgreSQL 17 names a role for it: pg_signal_autovacuum_worker). pg_signal_backend covers it.
    su postgres -c "psql -qc \"GRANT pg_signal_backend TO mura\"" 2>/dev/null
    su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='mura_test'\"" | grep -q 1 \
      || su postgres -c "psql -qc \"CREATE DATABASE mura_test OWNER mura\""

    if ! rabbitmqctl -q status >/dev/null 2>&1; then
      mkdir -p /etc/rabbitmq
      [ -f /etc/rabbitmq/rabbitmq-env.conf ] || echo "NODE_IP_ADDRESS=127.0.0.1" > /etc/rabbitmq/rabbitmq-env.conf
      service rabbitmq-server start || true
    fi
    deadline 120 rabbitmqctl -q await_startup || { echo "RabbitMQ did not become ready in 120 s" >&2; exit 1; }
    rabbitmq-plugins -q is_enabled rabbitmq_management >/dev/null 2>&1 || rabbitmq-plugins -q enable rabbitmq_management >/dev/null
    echo "services: PostgreSQL and RabbitMQ are up on 127.0.0.1"
    ;;
  stop)
    service rabbitmq-server stop || true
    service postgresql stop || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
