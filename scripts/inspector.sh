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
cd "$cli"
exec "$node" index.js "$url" --transport http --header "Authorization: Bearer $TOKEN" "$@"
