#!/usr/bin/env bash
# Checks, tests and compiles the bank's participant policy to Wasm.
#
#   scripts/build-policy.sh [out-dir]          (default: build/policy)
#
# Steps, each failing the script on error: `opa fmt` (no unformatted file), `opa check`,
# `opa test --coverage` with a threshold (POLICY_COVERAGE_MIN, default 90), then `opa build -t wasm`
# for the single entry point settlement/policy/decision. The bundle's data.json is mounted under
# data.bank (the same path `opa test policies` gives policies/bank/data.json). Outputs in out-dir:
# bundle.tar.gz, policy.wasm and data.json.
#
# The OPA CLI comes from OPA_BIN, else $(go env GOPATH)/bin/opa, else PATH.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/build/policy}"
policies="$root/policies"
entrypoint="settlement/policy/decision"
min_coverage="${POLICY_COVERAGE_MIN:-90}"

opa="${OPA_BIN:-}"
if [[ -z "$opa" ]] && command -v go >/dev/null 2>&1; then
  opa="$(go env GOPATH)/bin/opa"
fi
if [[ -z "$opa" || ! -x "$opa" ]]; then
  opa="$(command -v opa || true)"
fi
if [[ -z "$opa" ]]; then
  echo "build-policy: opa CLI not found (set OPA_BIN or go install github.com/open-policy-agent/opa)" >&2
  exit 2
fi

echo "build-policy: opa fmt"
unformatted="$("$opa" fmt --list "$policies")"
if [[ -n "$unformatted" ]]; then
  echo "build-policy: not formatted (run: opa fmt -w policies):" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "build-policy: opa check"
"$opa" check --strict "$policies"

echo "build-policy: opa test (coverage >= ${min_coverage}%)"
"$opa" test "$policies"
coverage="$("$opa" test "$policies" --coverage --format=json | node -e '
  let s = ""; process.stdin.on("data", (c) => (s += c));
  process.stdin.on("end", () => console.log(JSON.parse(s).coverage));')"
if ! node -e "process.exit(Number('$coverage') >= Number('$min_coverage') ? 0 : 1)"; then
  echo "build-policy: coverage ${coverage}% is below ${min_coverage}%" >&2
  exit 1
fi
echo "build-policy: coverage ${coverage}%"

echo "build-policy: opa build -t wasm -e $entrypoint -> $out"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
(cd "$root" && "$opa" build -t wasm -e "$entrypoint" "bank:policies/bank" --ignore '*_test.rego' -o "$out/bundle.tar.gz")
tar -xzf "$out/bundle.tar.gz" -C "$out" /policy.wasm /data.json 2>/dev/null \
  || tar -xzf "$out/bundle.tar.gz" -C "$out" policy.wasm data.json
test -s "$out/policy.wasm" && test -s "$out/data.json"
echo "build-policy: wrote $out/policy.wasm and $out/data.json"
