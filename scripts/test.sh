#!/usr/bin/env bash
# Installs everything the tests need, then runs them all. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
export TCX_REQUIRE_EXT=1  # the Cython accelerator must build, and its tests must run
python3 -m pip install --quiet -e '.[dev]'
python3 setup.py --quiet build_ext --inplace  # the checkout imports it from gateway/fix/
debian() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; }
if [ ! -x /usr/bin/chromium ] || ! command -v promtool >/dev/null; then apt-get update -qq; fi
[ -x /usr/bin/chromium ] || debian chromium  # the dashboard's browser tests drive it headless
command -v promtool >/dev/null || debian --no-install-recommends prometheus  # checks deploy/'s Prometheus file
python3 -m pytest "$@"
