#!/usr/bin/env bash
# System packages the web, report, PostgreSQL and Spark tests need (Debian/Ubuntu):
# Chromium for the browser tests and report PDFs, poppler (pdftotext) to read
# the PDFs back, a PostgreSQL server for the shared-server backend, Java for Spark. Installs only what is missing; needs root (or sudo).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
[ -x /usr/bin/chromium ] || need+=(chromium chromium-driver)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
if [ "${#need[@]}" -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "b2bcx tests need these Debian packages: ${need[*]} (run as root or install them)" >&2
    exit 1
  fi
fi
echo "Installing system packages: ${need[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
