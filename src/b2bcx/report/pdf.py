"""Printing a report to PDF with a headless Chromium (Debian's ``chromium``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from b2bcx.errors import ConfigurationError

#: Where to look for a Chromium, in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str:
    """The path of a Chromium on this machine, or a clear error."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ConfigurationError(
        "printing to PDF needs Chromium: install it (Debian: apt-get install chromium)"
    )


def print_pdf(html: Path, pdf: Path, *, chromium: str | None = None, timeout: float = 120) -> Path:
    """Print the HTML file ``html`` to ``pdf`` (A4, backgrounds on, no header/footer)."""
    exe = chromium or find_chromium()
    pdf = pdf.resolve()
    if pdf == html.resolve():
        # Chromium would load the file it is about to overwrite: a blank page
        raise ConfigurationError(f"the PDF would overwrite its HTML source {html}: give two paths")
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}",
        html.resolve().as_uri(),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ConfigurationError(f"Chromium did not print {html} within {timeout:.0f} s") from exc
    if done.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        raise ConfigurationError(
            f"Chromium could not print {html} to PDF (exit {done.returncode}): "
            f"{done.stderr.strip()[-500:]}"
        )
    return pdf
