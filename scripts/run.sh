#!/usr/bin/env bash
# The project's entry points (behind the npm scripts). Each one first makes
# sure of Node 24 (scripts/toolchain.sh) and of the locked dependencies.
#
#   up         local infrastructure, build, provisioning, then every app in
#              the foreground with its log lines prefixed by its name
#   down       stops the infrastructure this project started
#   test       quality gates, then the unit, int and e2e tiers
#   test:unit | test:int | test:e2e [jest args]
#   lint       tsc, eslint, prettier, dependency rules, protobuf checks
#   bench [scenario…]
#   build      compile apps/ and libs/ into dist/
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/scripts/toolchain.sh"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

ensure_deps() {
  local want have=""
  want="$(sha256sum package-lock.json | cut -c1-16)"
  [ -f node_modules/.tasklog-lock ] && have="$(cat node_modules/.tasklog-lock)"
  if [ "$want" != "$have" ]; then
    step "npm install from the lock (Node $(node --version))"
    # npm ci refuses this lock: the registry snapshot lacks the other platforms'
    # optional binaries (e.g. @swc/core-darwin-*), so npm leaves them out of it.
    # npm install with the committed lock installs the same versions.
    npm install --no-audit --no-fund --loglevel=error
    sha256sum package-lock.json | cut -c1-16 >node_modules/.tasklog-lock
  fi
}

build() { node scripts/build.mjs; }

jest_run() { NODE_OPTIONS="--experimental-vm-modules --no-warnings" jest "$@"; }

lint() {
  step "typecheck (tsc --noEmit)"
  tsc --noEmit -p tsconfig.json
  step "eslint"
  eslint --max-warnings 0 apps libs bench scripts
  step "prettier --check"
  prettier --check --log-level warn .
  step "dependency rules (dependency-cruiser)"
  depcruise --config .dependency-cruiser.cjs --ts-config tsconfig.json apps libs
  if [ -x scripts/proto.sh ]; then
    step "protobuf: lint, breaking changes, generated code up to date"
    bash scripts/proto.sh check
  fi
}

# Runs jest once over the given projects and ends with the plain
# "N passed, N failed" line that CI reads.
tests() {
  local out rc=0
  out="$(mktemp)"
  jest_run "$@" --json --outputFile="$out" || rc=$?
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  ' "$out" 2>/dev/null || echo "tests: 0 passed, 1 failed"
  rm -f "$out"
  return "$rc"
}

infra_up() { bash scripts/infra.sh up "$@"; }

apps() { find apps -mindepth 1 -maxdepth 1 -type d ! -name cli -exec test -f '{}/src/main.ts' \; -print | sort | xargs -rn1 basename; }

cli() { node dist/apps/cli/src/main.js "$@"; }

up() {
  infra_up
  step "build"
  build
  [ -f scripts/dev-keys.mjs ] && node scripts/dev-keys.mjs
  step "provision (topics, migrations)"
  cli provision
  local list
  list="$(apps)"
  [ -n "$list" ] || { echo "no apps yet"; return 0; }
  step "starting: $(echo "$list" | tr '\n' ' ')"
  local pids=()
  # The apps' own pids (their output goes through a process substitution, not
  # a pipeline), so a TERM or INT sent to this script alone reaches them too.
  trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait; exit 0' INT TERM
  for app in $list; do
    node --enable-source-maps "dist/apps/$app/src/main.js" > >(sed -u "s/^/[$app] /") 2>&1 &
    pids+=($!)
  done
  wait
}

main() {
  local cmd="${1:-}"
  shift || true
  ensure_deps
  case "$cmd" in
    up) up ;;
    down) bash scripts/infra.sh down ;;
    build) build ;;
    lint) lint ;;
    test)
      lint
      step "unit, int and e2e tests (infrastructure: scripts/infra.sh up)"
      infra_up
      build
      tests --selectProjects unit int e2e "$@"
      ;;
    test:unit) tests --selectProjects unit "$@" ;;
    test:int) infra_up --quiet && tests --selectProjects int "$@" ;;
    test:e2e) infra_up --quiet && build && tests --selectProjects e2e "$@" ;;
    bench) infra_up --quiet && build && node --enable-source-maps dist/bench/run.js "$@" ;;
    cli) build && cli "$@" ;;
    generate) bash scripts/proto.sh generate ;;
    *) echo "usage: scripts/run.sh up|down|build|lint|test|test:unit|test:int|test:e2e|bench|cli" >&2; return 2 ;;
  esac
}

main "$@"
