#!/usr/bin/env bash
# Clients nobody on this project wrote, end to end against the local server, on both stores:
# - the official MCP SDK clients (TypeScript and Python), each with its own OAuth provider, with a
#   loopback redirect and with Claude's redirect URI;
# - the MCP Inspector CLI, with a token from remote-mcp-token;
# - the TypeScript SDK's own private_key_jwt support (PrivateKeyJwtProvider, client_credentials)
#   for a machine client remote-mcp-admin creates with --jwks-file (on DynamoDB Local, where the
#   admin CLI reaches the server's table).
# Needs `make deps`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

node=$(scripts/node.sh)
python=.venv/bin/python
[ -d node_modules/@modelcontextprotocol/sdk ] || { echo "error: run 'make deps' first" >&2; exit 1; }
"$python" -c 'import mcp' 2>/dev/null || { echo "error: the Python MCP SDK is missing: run 'make deps' first" >&2; exit 1; }
cargo build --quiet -p remote-mcp-local -p remote-mcp-xtask --bin remote-mcp-local --bin remote-mcp-token -p remote-mcp-admin

email=sdk@example.org
password="sdk clients password"
status=0

report() { # label, then the command; prints the label with the command's pass line or its failure
  local label out
  label=$(printf '%-13s  %-14s  %-15s' "$1" "$2" "$3"); shift 3
  if out=$("$@" 2>&1); then
    echo "$label  $(grep '^pass' <<<"$out")"
  else
    echo "$label  FAIL"; tail -5 <<<"$out"; status=1
  fi
}

# The Inspector CLI lists the tools, calls two, and is refused with a bad token. (Runs under `if`,
# where errexit is off: every step says `|| return 1`.)
inspector() {
  local url=$1 token tools added who readonly
  token=$(printf '%s\n' "$password" | ./target/debug/remote-mcp-token --email "$email" "$url") || return 1
  tools=$(TOKEN=$token scripts/inspector.sh "$url" --method tools/list) || return 1
  added=$(TOKEN=$token scripts/inspector.sh "$url" --method tools/call --tool-name add_note \
    --tool-arg title="From the Inspector" body=hello) || return 1
  who=$(TOKEN=$token scripts/inspector.sh "$url" --method tools/call --tool-name whoami) || return 1
  python3 - "$tools" "$added" "$who" <<'PY' || return 1
import json, sys
tools, added, who = (json.loads(arg) for arg in sys.argv[1:])
names = sorted(tool["name"] for tool in tools["tools"])
assert "add_note" in names, names
assert added["isError"] is False and added["structuredContent"]["title"] == "From the Inspector", added
assert who["structuredContent"]["scopes"] == ["mcp", "mcp:write"], who
PY
  # A token for the read-only scope: the Inspector lists only the tools that read.
  token=$(printf '%s\n' "$password" | ./target/debug/remote-mcp-token --email "$email" --scope mcp "$url") || return 1
  readonly=$(TOKEN=$token scripts/inspector.sh "$url" --method tools/list) || return 1
  python3 - "$readonly" <<'PY' || return 1
import json, sys
names = sorted(tool["name"] for tool in json.loads(sys.argv[1])["tools"])
assert names == ["list_notes", "long_running_operation", "search_notes", "whoami"], names
PY
  if TOKEN=not-a-token scripts/inspector.sh "$url" --method tools/list >/dev/null 2>&1; then
    echo "a bad token was accepted"; return 1
  fi
  echo "pass: $(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["tools"]))' "$tools") tools listed, add_note and whoami called, 4 with a read-only token, bad token refused"
}

# A machine client with an ES256 key set, created by the operator's CLI on the server's table, then
# connected by the TypeScript SDK's PrivateKeyJwtProvider.
machine_client() {
  local port=$1 url=$2 admin endpoint table client_id
  admin=$(grep -o -- '--endpoint-url [^ ]* --table [^ ]*' "target/sdk-clients-dynamodb-local.log") || return 1
  read -r _ endpoint _ table <<<"$admin"
  client_id=$(./target/debug/remote-mcp-admin --endpoint-url "$endpoint" --table "$table" --json \
    client add-machine sdk-machine --scope mcp --jwks-file crates/testkit/client-keys/ec-p256.jwks.json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])') || return 1
  "$node" e2e/node-sdk-machine-client.mjs "$url" "http://127.0.0.1:$port" "$client_id" \
    crates/testkit/client-keys/ec-p256.pem ES256
}

for store in memory dynamodb-local; do
  port=$(free_port)
  DEV_EMAIL=$email DEV_PASSWORD=$password ./target/debug/remote-mcp-local --port "$port" --store "$store" \
    > "target/sdk-clients-$store.log" 2>&1 &
  server=$!
  wait_for_server "$port" "$server" "target/sdk-clients-$store.log"
  url="http://127.0.0.1:$port/mcp"
  for redirect in "http://127.0.0.1:$((port + 1))/callback" "https://claude.ai/api/mcp/auth_callback"; do
    kind=loopback; [[ $redirect == https://claude.ai/* ]] && kind=claude-redirect
    report node-sdk "$store" "$kind" "$node" e2e/node-sdk-client.mjs "$url" "$redirect" "$email" "$password"
    report python-sdk "$store" "$kind" "$python" e2e/python-sdk-client.py "$url" "$redirect" "$email" "$password"
  done
  report inspector-cli "$store" bearer inspector "$url"
  if [ "$store" = dynamodb-local ]; then
    report node-sdk "$store" private-key-jwt machine_client "$port" "$url"
  fi
  kill $server; wait $server 2>/dev/null || true
done
exit $status
