#!/usr/bin/env bash
# Start N Minyi app processes on consecutive ports against one MINYI_DB, each exactly as the README starts the
# app (scripts/start.sh: streamlit run server.py), keep them running, and stop them all cleanly.
#
#   MINYI_DB=postgresql://minyi:PASSWORD@db-host/minyi MINYI_SECRET=... \
#   MINYI_PUBLIC_URL=https://minyi.example.gov.cn deploy/start-processes.sh 2
#   deploy/start-processes.sh stop        # from another terminal: stops the running set
#
# Runs in the foreground (for systemd, tmux, or `&`): Ctrl-C or SIGTERM stops every process (SIGTERM, then
# SIGKILL after MINYI_STOP_SECONDS) and returns. A process that exits on its own is logged and started again
# on its port. Put HAProxy in front (deploy/haproxy.cfg); its defaults match this script's.
#
# Environment (besides the app's own, README "Configuration"):
#   MINYI_BASE_PORT     first port (default 8501); process i listens on MINYI_BASE_PORT + i - 1
#   MINYI_BIND          address the processes listen on (default 127.0.0.1: only the proxy on this machine)
#   MINYI_LOG_DIR       logs and pid files (default data/logs): app-<port>.log per process, start-processes.log
#   MINYI_STOP_SECONDS  how long a process may take to stop before it is killed (default 20)
# MINYI_TRUST_PROXY defaults to 1 when the processes listen on a loopback address (only the local proxy can
# reach them, and it sets X-Forwarded-For); listening elsewhere, set it yourself.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LOG_DIR=${MINYI_LOG_DIR:-$ROOT/data/logs}
BASE_PORT=${MINYI_BASE_PORT:-8501}
BIND=${MINYI_BIND:-127.0.0.1}
STOP_SECONDS=${MINYI_STOP_SECONDS:-20}
SUPERVISOR_PID="$LOG_DIR/start-processes.pid"

say() { echo "$(date -u +%FT%TZ) start-processes: $*" | tee -a "$LOG_DIR/start-processes.log" >&2; }

if [ "${1:-}" = "stop" ]; then
  if [ ! -f "$SUPERVISOR_PID" ] || ! kill -0 "$(cat "$SUPERVISOR_PID")" 2>/dev/null; then
    echo "start-processes: nothing running (no live $SUPERVISOR_PID)" >&2
    exit 1
  fi
  pid=$(cat "$SUPERVISOR_PID")
  kill -TERM "$pid"
  for _ in $(seq 1 $((STOP_SECONDS * 10 + 50))); do
    kill -0 "$pid" 2>/dev/null || exit 0
    sleep 0.1
  done
  echo "start-processes: $pid did not stop" >&2
  exit 1
fi

N=${1:-}
if ! [[ "$N" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: deploy/start-processes.sh N   (N app processes on ports MINYI_BASE_PORT…, default 8501…)" >&2
  echo "       deploy/start-processes.sh stop" >&2
  exit 2
fi
DB=${MINYI_DB:-data/minyi.duckdb}
if [ "$N" -gt 1 ] && [[ "$DB" != postgresql://* && "$DB" != postgres://* ]]; then
  echo "start-processes: DuckDB lets one process open its file ($DB); several processes need a shared" >&2
  echo "  PostgreSQL: MINYI_DB=postgresql://USER:PASSWORD@HOST/DBNAME (README: Several processes)." >&2
  echo "  DuckDB 只允许一个进程打开数据库文件；多个进程请设置 MINYI_DB=postgresql://…" >&2
  exit 2
fi
if [[ "$BIND" == 127.* || "$BIND" == "localhost" || "$BIND" == "::1" ]]; then
  export MINYI_TRUST_PROXY=${MINYI_TRUST_PROXY:-1}
fi
mkdir -p "$LOG_DIR"
chmod 700 "$LOG_DIR" 2>/dev/null || true
if [ -f "$SUPERVISOR_PID" ] && kill -0 "$(cat "$SUPERVISOR_PID")" 2>/dev/null; then
  echo "start-processes: already running as pid $(cat "$SUPERVISOR_PID") (deploy/start-processes.sh stop)" >&2
  exit 1
fi
echo $$ > "$SUPERVISOR_PID"

declare -a PIDS
stopping=0

start_one() {  # index -> starts process i on its port, records its pid
  local i=$1 port=$((BASE_PORT + $1 - 1))
  # scripts/start.sh execs streamlit, so its pid is the app's
  bash scripts/start.sh --server.port "$port" --server.address "$BIND" >>"$LOG_DIR/app-$port.log" 2>&1 &
  PIDS[$i]=$!
  echo "${PIDS[$i]}" > "$LOG_DIR/app-$port.pid"
  say "process $i started: pid ${PIDS[$i]}, http://$BIND:$port, log $LOG_DIR/app-$port.log"
}

healthy() {  # port -> 0 when /healthz answers 200
  python3 - "$BIND" "$1" <<'EOF' 2>/dev/null
import sys, urllib.request
host = sys.argv[1] if ":" not in sys.argv[1] else f"[{sys.argv[1]}]"
with urllib.request.urlopen(f"http://{host}:{sys.argv[2]}/healthz", timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
EOF
}

wait_healthy() {  # index -> waits until process i serves /healthz (or has exited)
  local i=$1 port=$((BASE_PORT + $1 - 1))
  for _ in $(seq 1 600); do
    healthy "$port" && return 0
    kill -0 "${PIDS[$i]}" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

stop_all() {
  stopping=1
  say "stopping ${#PIDS[@]} process(es)"
  for i in "${!PIDS[@]}"; do kill -TERM "${PIDS[$i]}" 2>/dev/null; done
  for _ in $(seq 1 $((STOP_SECONDS * 10))); do
    alive=0
    for i in "${!PIDS[@]}"; do kill -0 "${PIDS[$i]}" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for i in "${!PIDS[@]}"; do
    if kill -0 "${PIDS[$i]}" 2>/dev/null; then
      say "process $i (pid ${PIDS[$i]}) did not stop in ${STOP_SECONDS}s: killed"
      kill -KILL "${PIDS[$i]}" 2>/dev/null
    fi
    wait "${PIDS[$i]}" 2>/dev/null
    rm -f "$LOG_DIR/app-$((BASE_PORT + i - 1)).pid"
  done
  rm -f "$SUPERVISOR_PID"
  say "stopped"
  exit 0
}
trap stop_all TERM INT

# The first process installs the environment (first run) and migrates the database; the others start once it
# serves, so they neither install nor migrate at the same time (migrations also take a lock of their own).
start_one 1
if ! wait_healthy 1; then
  say "process 1 did not start: see $LOG_DIR/app-$BASE_PORT.log"
  stop_all
fi
for i in $(seq 2 "$N"); do start_one "$i"; done
for i in $(seq 2 "$N"); do
  wait_healthy "$i" || say "process $i is not serving yet: see $LOG_DIR/app-$((BASE_PORT + i - 1)).log"
done
say "$N process(es) serving on $BIND:$BASE_PORT-$((BASE_PORT + N - 1))"

while [ $stopping -eq 0 ]; do
  for i in "${!PIDS[@]}"; do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
      wait "${PIDS[$i]}" 2>/dev/null
      say "process $i (pid ${PIDS[$i]}) exited with status $?: starting it again"
      start_one "$i"
    fi
  done
  sleep 1 &
  wait $! 2>/dev/null
done
