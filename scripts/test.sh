#!/usr/bin/env bash
# Installs everything the tests need, then runs them all. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet -e '.[dev]'
if [ ! -x /usr/bin/chromium ]; then  # the dashboard's browser tests drive headless Chromium
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
python3 -m pytest "$@"
