#!/usr/bin/env bash
# What an operator runs, checked without AWS:
# - `make user` reads the stack name, region and profile `sam deploy --guided` saved in
#   samconfig.toml (REGION= / PROFILE= / STACK= override them) and fails with one readable line;
# - `make user` creates an account through remote-mcp-admin, here against DynamoDB Local (TABLE= and
#   ENDPOINT_URL= stand in for the stack's table), and the account can be listed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

printf 'version = 0.1\n[default.global.parameters]\nstack_name = "team-mcp"\n[default.deploy.parameters]\nregion = "eu-west-1"\nprofile = "ops"\n' > "$work/saved.toml"
described=$(SAMCONFIG="$work/saved.toml" .venv/bin/python scripts/stack.py describe)
[ "$described" = "stack team-mcp, region eu-west-1, profile ops" ] || fail "samconfig.toml not read: $described"
described=$(SAMCONFIG="$work/saved.toml" REGION=us-east-2 PROFILE=dev STACK=other .venv/bin/python scripts/stack.py describe)
[ "$described" = "stack other, region us-east-2, profile dev" ] || fail "REGION/PROFILE/STACK not honoured: $described"
echo "pass: the stack, region and profile come from samconfig.toml, and REGION=, PROFILE=, STACK= override them"

printf 'version = 0.1\n' > "$work/none.toml"
set +e
out=$(SAMCONFIG="$work/none.toml" make -s user EMAIL=someone@example.com 2>&1)
set -e
first=$(echo "$out" | grep -v '^make' | head -1)
[ "$(echo "$out" | grep -vc '^make')" = 1 ] && [[ $first == "error: no AWS region"* ]] \
  || fail "make user without a region should fail in one line, said: $out"
! echo "$out" | grep -q Traceback || fail "a traceback: $out"
echo "pass: without a saved region make user fails in one line: $first"

port=$(free_port)
cargo build --quiet -p remote-mcp-local -p remote-mcp-admin
./target/debug/remote-mcp-local --port "$port" --store dynamodb-local > "$work/server.log" 2>&1 &
server=$!
wait_for_server "$port" "$server" "$work/server.log"
endpoint=$(sed -n 's/.*--endpoint-url \([^ ]*\) --table.*/\1/p' "$work/server.log" | head -1)
[ -n "$endpoint" ] || fail "no DynamoDB Local endpoint in the server's output"
printf 'operator password 1\n' | make -s user EMAIL=ops@example.com TABLE=remote-mcp ENDPOINT_URL="$endpoint" > "$work/user.out"
grep -q "created ops@example.com" "$work/user.out" || fail "make user did not create the account: $(cat "$work/user.out")"
./target/debug/remote-mcp-admin --endpoint-url "$endpoint" --table remote-mcp user list | grep -q "ops@example.com" \
  || fail "the new account is not listed"
echo "pass: make user created ops@example.com on DynamoDB Local, and remote-mcp-admin lists it"

set +e
out=$(RUST_BACKTRACE=1 ./target/debug/remote-mcp-admin --endpoint-url "$endpoint" --table remote-mcp user disable nobody@example.com 2>&1)
set -e
[ "$(echo "$out" | wc -l)" = 1 ] && [ "$out" = "error: no user nobody@example.com" ] \
  || fail "an operator's mistake should be one line, even with RUST_BACKTRACE=1: $out"
echo "pass: remote-mcp-admin reports a mistake in one line, even with RUST_BACKTRACE=1: $out"
