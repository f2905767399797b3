"""How the browser tests launch Chromium and where screenshots go."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Saved as CI artifacts.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
