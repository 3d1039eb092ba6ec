#!/usr/bin/env bash
# Static analysis of the contracts with Slither, on Hardhat's own build output (no solc download).
# Fails on any high or medium finding that slither.config.json does not justify.
set -euo pipefail
cd "$(dirname "$0")/.."
SLITHER=${SLITHER:-.venv/bin/slither}
# A clean build leaves one build-info per source version; stale ones from partial rebuilds confuse Slither.
npx hardhat clean
npx hardhat compile --quiet
"$SLITHER" . --hardhat-ignore-compile --config-file slither.config.json --fail-medium
