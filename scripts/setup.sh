#!/usr/bin/env bash
# Installs what a fresh machine lacks to build, test and run the project. Idempotent: a second run on a
# prepared machine only checks and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
APT_UPDATED=""
apt_install() {
  if [ -z "$APT_UPDATED" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# System packages: SoftHSM2, the PKCS#11 token the HSM signer is tested against.
if ! command -v softhsm2-util >/dev/null 2>&1 || [ ! -f /usr/lib/softhsm/libsofthsm2.so ]; then
  log "installing softhsm2"
  apt_install softhsm2
else
  log "softhsm2 present"
fi

# PostgreSQL server binaries: the audit log's tests run the same suite against a throwaway cluster.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  log "installing postgresql"
  apt_install postgresql
else
  log "postgresql present"
fi

# Chromium: the browser test looks at the demo's report as a compliance officer would (playwright-core drives
# Debian's build; Playwright's own browser download is not used).
if ! command -v chromium >/dev/null 2>&1; then
  log "installing chromium"
  apt_install chromium
else
  log "chromium present"
fi

# The OPA CLI (policy tests, formatting, Wasm builds) is not on npm or Debian: build it as a Go module,
# cached in the Go bin directory so later runs on this machine reuse it.
OPA_VERSION=v1.22.2
OPA_BIN="$(go env GOPATH)/bin/opa"
# Output is captured before matching: with pipefail, `grep -q` closing the pipe early can fail the producer.
opa_version="$("$OPA_BIN" version 2>/dev/null || true)"
if ! grep -q "^Version: ${OPA_VERSION#v}$" <<<"$opa_version"; then
  log "building opa $OPA_VERSION as a Go module (a few minutes the first time)"
  go install "github.com/open-policy-agent/opa@$OPA_VERSION"
else
  log "opa $OPA_VERSION present"
fi

# Node dependencies: reinstall only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
else
  log "npm dependencies present"
fi

# Python tools in a project-local virtual environment: Slither for static analysis of the contracts.
SLITHER_VERSION=0.11.6
slither_version="$(.venv/bin/slither --version 2>/dev/null || true)"
if [ ! -x .venv/bin/slither ] || ! grep -q "$SLITHER_VERSION" <<<"$slither_version"; then
  log "installing slither-analyzer $SLITHER_VERSION into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "slither-analyzer==$SLITHER_VERSION"
else
  log "slither $SLITHER_VERSION present"
fi

# Schemathesis: property-based tests of the bank's HTTP API against its OpenAPI document (test/api).
SCHEMATHESIS_VERSION=4.32.5
schemathesis_version="$(.venv/bin/schemathesis --version 2>/dev/null || true)"
if [ ! -x .venv/bin/schemathesis ] || ! grep -q "$SCHEMATHESIS_VERSION" <<<"$schemathesis_version"; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into .venv"
  [ -x .venv/bin/pip ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
else
  log "schemathesis $SCHEMATHESIS_VERSION present"
fi

log "done"
