#!/usr/bin/env bash
# Set up everything, then build the demo workspace: b2bcx demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/b2bcx demo "$@"
