#!/usr/bin/env bash
# Installs everything the tests need, then runs them all. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet -e '.[dev]'
python3 -m pytest "$@"
