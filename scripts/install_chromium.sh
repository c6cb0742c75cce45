#!/usr/bin/env bash
# Debian's Chromium for the console's browser tests (Playwright drives the system
# browser; nothing is downloaded from a CDN). Does nothing when it is already there.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "ERROR: the browser tests need Chromium. Install Debian's package as root:" >&2
  echo "  apt-get install -y chromium" >&2
  exit 1
fi
echo "Installing Debian's chromium package for the browser tests"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
