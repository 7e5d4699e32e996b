#!/usr/bin/env bash
# Install everything the tests need and run the whole suite:
# Python packages into .venv, and Debian's chromium for the browser tests
# (Playwright's own browser download does not work on these machines).
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
# printable QR sheets render Chinese (screenshots are read by people too).
if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
exec .venv/bin/python -m pytest "$@"
