#!/usr/bin/env bash
# Runs the official MCP conformance suite against the local server in conformance mode.
# Needs `make deps` (@modelcontextprotocol/conformance in node_modules) and Node 22 (scripts/node.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

node=$(scripts/node.sh)
suite=node_modules/@modelcontextprotocol/conformance/dist/index.js
[ -f "$suite" ] || { echo "error: run 'make deps' first (installs the conformance suite)" >&2; exit 1; }

port=$(free_port)
cargo build --quiet -p remote-mcp-local
./target/debug/remote-mcp-local --conformance --port "$port" > target/conformance-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_for_server "$port" "$server" target/conformance-server.log

echo "MCP conformance suite against http://127.0.0.1:$port/mcp (baseline: conformance/baseline.yml)"
"$node" "$suite" server --url "http://127.0.0.1:$port/mcp" \
  --expected-failures conformance/baseline.yml --output-dir target/conformance
