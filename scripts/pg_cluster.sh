#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benches: `source scripts/pg_cluster.sh start` installs
# Debian's PostgreSQL if it is missing, creates a cluster in a temporary folder owned by an unprivileged user,
# starts it on a free loopback port (no system service) and exports MINYI_TEST_PG (a postgresql:// URL of its
# maintenance database); `pg_cluster_stop` stops it and removes the folder.
set -euo pipefail

pg_bin() {
  local found
  for found in /usr/lib/postgresql/*/bin; do
    [ -x "$found/pg_ctl" ] && { echo "$found"; return; }
  done
  return 1
}

pg_cluster_start() {
  if ! pg_bin >/dev/null 2>&1; then
    local SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
    # Debian's package starts a system cluster; the tests never use it
    $SUDO pg_ctlcluster --help >/dev/null 2>&1 && $SUDO service postgresql stop >/dev/null 2>&1 || true
  fi
  local bin run_as port
  bin=$(pg_bin)
  PG_CLUSTER_DIR=$(mktemp -d /tmp/minyi-pg.XXXXXX)
  run_as=()
  if [ "$(id -u)" -eq 0 ]; then  # PostgreSQL refuses to run as root
    id minyi-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin minyi-pg
    chown minyi-pg "$PG_CLUSTER_DIR"
    run_as=(runuser -u minyi-pg --)
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${run_as[@]}" "$bin/initdb" -D "$PG_CLUSTER_DIR/data" -U minyi --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # a test cluster: durability is not what is tested here (the kill tests use their own settings)
  "${run_as[@]}" "$bin/pg_ctl" -D "$PG_CLUSTER_DIR/data" -l "$PG_CLUSTER_DIR/server.log" -w \
    -o "-p $port -k $PG_CLUSTER_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB" start >/dev/null
  PG_CLUSTER_BIN=$bin
  PG_CLUSTER_RUN_AS="${run_as[*]}"
  export PG_CLUSTER_DIR PG_CLUSTER_BIN PG_CLUSTER_RUN_AS
  export MINYI_TEST_PG="postgresql://minyi@127.0.0.1:$port/postgres"
}

pg_cluster_stop() {
  [ -n "${PG_CLUSTER_DIR:-}" ] || return 0
  $PG_CLUSTER_RUN_AS "$PG_CLUSTER_BIN/pg_ctl" -D "$PG_CLUSTER_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_CLUSTER_DIR"
  unset PG_CLUSTER_DIR MINYI_TEST_PG
}

if [ "${1:-}" = "start" ]; then
  pg_cluster_start
fi
