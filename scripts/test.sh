#!/usr/bin/env bash
# Install everything the tests need and run the whole suite on both engines:
# Python packages into .venv, Debian's chromium for the browser tests
# (Playwright's own browser download does not work on these machines) and
# Debian's PostgreSQL. The suite runs on DuckDB first, then every test except
# the browser ones again on a throwaway PostgreSQL cluster started here
# (scripts/pg_cluster.sh: a temporary folder, a free port, an unprivileged
# user, stopped and removed at the end). MINYI_TEST_ENGINES=duckdb (or
# postgres) runs one pass only.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k fill`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.minyi-requirements-dev
if [ ! -f "$stamp" ] || ! cat requirements.txt requirements-dev.txt | cmp -s - "$stamp"; then
  .venv/bin/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
  cat requirements.txt requirements-dev.txt > "$stamp"
fi
# Debian's chromium for the browser tests, and a CJK font so pages and
# printable QR sheets render Chinese (screenshots are read by people too);
# Debian's haproxy for the test of deploy/haproxy.cfg (tests/deploy).
if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1 \
    || ! dpkg -s haproxy >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk haproxy >/dev/null
fi
engines=${MINYI_TEST_ENGINES:-duckdb postgres}
status=0
if [[ " $engines " == *" duckdb "* ]]; then
  echo "== the whole suite on DuckDB"
  .venv/bin/python -m pytest "$@" || status=$?
fi
if [[ " $engines " == *" postgres "* ]]; then
  source scripts/pg_cluster.sh
  trap pg_cluster_stop EXIT
  pg_cluster_start
  echo "== storage, service, figure and page tests on PostgreSQL ($("$PG_CLUSTER_BIN/postgres" --version))"
  MINYI_TEST_PG=$MINYI_TEST_PG .venv/bin/python -m pytest "$@" || status=$?
fi
exit $status
