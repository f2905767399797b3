#!/usr/bin/env bash
# Create .venv and install b2bcx with everything the demo and the tests need.
# Safe to re-run: it reinstalls only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    PY="$candidate"; break
  fi
done
if [ -z "$PY" ]; then
  echo "b2bcx needs Python 3.11 or newer (with venv); install it (e.g. apt-get install python3 python3-venv) and re-run." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi

stamp=.venv/.b2bcx-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing b2bcx and its dependencies into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  # torch first, pinned: this exact version is the CPU build; a looser
  # requirement lets pip pick a multi-GB CUDA build (see docs/text.md).
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
  .venv/bin/python -m pip install --quiet -e ".[dev,text,server,postgres,spark]"
  echo "$want" > "$stamp"
fi
