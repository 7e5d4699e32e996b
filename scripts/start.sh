#!/usr/bin/env bash
# Install Minyi's dependencies into .venv (first run only) and start the app
# on http://localhost:8501 with its embedded DuckDB file (MINYI_DB, default
# data/minyi.duckdb, created on first start). Extra arguments go to Streamlit,
# e.g. `bash scripts/start.sh --server.port 8600`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.minyi-requirements
if [ ! -f "$stamp" ] || ! cmp -s requirements.txt "$stamp"; then
  .venv/bin/python -m pip install --disable-pip-version-check -q -r requirements.txt
  cp requirements.txt "$stamp"
fi
exec .venv/bin/streamlit run server.py "$@"
