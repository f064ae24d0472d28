#!/usr/bin/env bash
# The protobuf contract in proto/tasklog/v1, with buf and protoc-gen-es from
# node_modules (never a downloaded protoc, never the Buf Schema Registry).
#
#   proto.sh generate   regenerate libs/contracts/src/gen
#   proto.sh check      lint, format, breaking changes against the committed
#                       baseline, generated code up to date; non-zero on any problem
#   proto.sh baseline   rewrite the baseline image (after an intended change)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=toolchain.sh
source "$ROOT/scripts/toolchain.sh"
cd "$ROOT"
export BUF_CACHE_DIR="${BUF_CACHE_DIR:-$ROOT/.cache/buf}"

BASELINE="proto/baseline/tasklog-v1.binpb"
GEN_DIR="libs/contracts/src/gen"

generate() {
  buf generate
}

check_generated() {
  local tmp
  local status=0
  tmp="$(mktemp -d)"
  # Same template, other output folder: buf.gen.yaml stays the single source.
  sed "s#out: $GEN_DIR#out: $tmp/gen#" buf.gen.yaml >"$tmp/buf.gen.yaml"
  if ! buf generate --template "$tmp/buf.gen.yaml"; then
    status=1
  elif ! diff -ru "$GEN_DIR" "$tmp/gen"; then
    echo "proto: $GEN_DIR is out of date; run: bash scripts/proto.sh generate" >&2
    status=1
  fi
  rm -rf "$tmp"
  return "$status"
}

check() {
  local failed=0
  buf lint || { echo "proto: buf lint failed" >&2; failed=1; }
  buf format --diff --exit-code proto || { echo "proto: run buf format -w proto" >&2; failed=1; }
  if [ -f "$BASELINE" ]; then
    buf breaking --against "$BASELINE" || { echo "proto: breaking change against $BASELINE" >&2; failed=1; }
  else
    echo "proto: no baseline at $BASELINE; run: bash scripts/proto.sh baseline" >&2
    failed=1
  fi
  check_generated || failed=1
  [ "$failed" -eq 0 ] && echo "proto: ok"
  return "$failed"
}

baseline() {
  mkdir -p "$(dirname "$BASELINE")"
  buf build -o "$BASELINE"
  echo "proto: baseline written to $BASELINE"
}

case "${1:-}" in
  generate) generate ;;
  check) check ;;
  baseline) baseline ;;
  *)
    echo "usage: $0 generate|check|baseline" >&2
    exit 2
    ;;
esac
