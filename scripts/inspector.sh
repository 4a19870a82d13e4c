#!/usr/bin/env bash
# The MCP Inspector CLI (pinned in package.json) against an MCP endpoint, with the bearer token in $TOKEN.
#
#   TOKEN=… scripts/inspector.sh https://…/mcp --method tools/list
#   TOKEN=… scripts/inspector.sh https://…/mcp --method tools/call --tool-name add_note --tool-arg title=Hi body=there
#
# It runs from the CLI's own build directory: the CLI looks for its package.json relative to the working
# directory and fails anywhere else (modelcontextprotocol/inspector#1334).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
node=$("$root/scripts/node.sh")
cli="$root/node_modules/@modelcontextprotocol/inspector-cli/build"
[ -f "$cli/index.js" ] || { echo "error: run 'make deps' first" >&2; exit 1; }
[ $# -ge 1 ] && [ -n "${TOKEN:-}" ] || { echo "usage: TOKEN=… $0 <mcp-url> [inspector-cli options]" >&2; exit 2; }
url=$1; shift
status=0
(cd "$cli" && "$node" index.js "$url" --transport http --header "Authorization: Bearer $TOKEN" "$@") || status=$?
[ $status -eq 0 ] && exit 0

# The CLI reports an HTTP refusal as a blank error: say what the server answered. The same method
# (and tool) is sent once more, stateless, and the status and challenge are printed.
method=tools/list tool=
while [ $# -gt 0 ]; do
  case $1 in
    --method) method=$2; shift ;;
    --tool-name) tool=$2; shift ;;
  esac
  shift
done
params='{}'
[ -n "$tool" ] && params="{\"name\": \"$tool\", \"arguments\": {}}"
body="{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"$method\", \"params\": $params}"
answer=$(curl -s -o /dev/null -D - -X POST "$url" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -H 'MCP-Protocol-Version: 2025-11-25' --data "$body" | tr -d '\r')
code=$(echo "$answer" | awk 'NR == 1 {print $2}')
challenge=$(echo "$answer" | sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: //p')
if [ -n "$code" ] && [ "$code" != 200 ]; then
  echo "the server answered $method with HTTP $code${challenge:+: $challenge}" >&2
  [ "$code" = 403 ] && echo "(the token lacks a scope this call needs: get one with make token SCOPE='…')" >&2
fi
exit $status
