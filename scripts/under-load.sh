#!/usr/bin/env bash
# Runs a command while both cores (every core) are busy: stress-ng (Debian's, installed when
# missing and this is a root shell with apt) or, without it, one CPU-bound shell loop per core.
# Shows that the test harness holds on a loaded machine:  scripts/under-load.sh make test
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

cores=$(nproc)
mkdir -p target
load=()
if command -v stress-ng >/dev/null || debian_install target/stress-ng-install.log stress-ng 2>/dev/null; then
  stress-ng --cpu "$cores" --cpu-method matrixprod --quiet &
  load+=($!)
  echo "under-load: stress-ng --cpu $cores"
else
  for _ in $(seq "$cores"); do
    sh -c 'while :; do :; done' &
    load+=($!)
  done
  echo "under-load: $cores CPU-bound loops (stress-ng not available)"
fi
trap 'kill "${load[@]}" 2>/dev/null || true' EXIT
start=$(date +%s)
status=0
"$@" || status=$?
echo "under-load: '$*' exited $status after $(( $(date +%s) - start )) s with all $cores cores loaded"
exit $status
