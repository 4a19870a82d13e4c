#!/usr/bin/env bash
# Both functions under `sam local start-api`, as `sam build` builds them, wired to DynamoDB Local
# and a local KMS.
#
#   scripts/sam-local.sh serve     make sam-local: print the URL and an account, serve until Ctrl-C
#   scripts/sam-local.sh replay    make sam-local-replay: replay every fixture sequence, then stop
#
# Container engine: a running Docker engine is used as it is (Docker Desktop, Colima, a system
# daemon). Without one, on Debian or Ubuntu as root (CI), the script installs Debian's docker.io
# and starts its own daemon on a private socket, with the flags that leave the host's firewall,
# forwarding and routes alone, and stops it (by PID) when done.
# Base image: public.ecr.aws/lambda/provided:al2023-<arch> is pulled; where no registry can be
# reached, a stand-in with what `bootstrap` links against is built from Debian packages.
# Architecture: the host's own (x86_64 or arm64), so the functions run natively; the template's
# default for deployment stays arm64.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export SAM_CLI_TELEMETRY=0
export PATH=$PWD/.venv/bin:$PATH   # sam, cargo-lambda and zig, pinned by `make deps`

mode=${1:-serve}
case "$mode" in serve | replay) ;; *) echo "usage: $0 serve|replay" >&2; exit 2 ;; esac

state=$PWD/target/sam-local        # build output and logs
# The private engine's images (the stand-in base, SAM's images) are kept between runs, outside the
# repository: `sam build` reads every file under CodeUri (the repository), sockets included.
engine_root=${XDG_CACHE_HOME:-$HOME/.cache}/remote-mcp/engine
run_dir=/tmp/remote-mcp-engine-$(id -u)   # sockets: short paths (Unix sockets allow ~100 bytes)
bridge_cidr=172.29.0.1/24
mkdir -p "$state"
log() { echo "sam-local: $*"; }
fail() { echo "sam-local: error: $*" >&2; exit 1; }

case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 deb_arch=amd64 ;;
  aarch64 | arm64) arch=arm64 deb_arch=arm64 ;;
  *) fail "unsupported processor $(uname -m): the functions run on x86_64 or arm64" ;;
esac
base_image=public.ecr.aws/lambda/provided:al2023-$arch

# ------------------------------------------------------------------ host network, before and after
network_state() {
  {
    command -v iptables-save >/dev/null && iptables-save 2>/dev/null
    command -v ip6tables-save >/dev/null && ip6tables-save 2>/dev/null
    command -v ip >/dev/null && { ip route; ip -6 route; }
  } | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]//g' || true
}

# ------------------------------------------------------------------ packages (Debian, as root)
apt_install() {
  debian_install "$state/apt.log" "$@" ||
    fail "$* needed: install it, or start a Docker engine (Docker Desktop, Colima, a system dockerd) and re-run"
}

# ------------------------------------------------------------------ container engine
own_engine=
stop_engine() {
  [ -n "$own_engine" ] || return 0
  # Every container of the private engine is ours: removing them while the daemon still runs
  # releases their network namespaces, veth pairs and mounts cleanly.
  docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
  local pid
  pid=$(cat "$run_dir/dockerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # The containerd and shims dockerd started, should it have been killed before stopping them.
  pkill -f "$run_dir/" 2>/dev/null || true
  # Mounts a killed daemon leaves (container filesystems, network namespaces); a network
  # namespace's veth pair goes with its last mount.
  mount | awk -v a="$run_dir" -v b="$engine_root" 'index($3, a) == 1 || index($3, b) == 1 { print $3 }' |
    sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  ip link show docker0 >/dev/null 2>&1 && ip link delete docker0 || true
  own_engine=
}

start_engine() {
  if docker info >/dev/null 2>&1; then
    log "using the running Docker engine ($(docker info --format '{{.Name}}' 2>/dev/null))"
    return
  fi
  command -v dockerd >/dev/null || apt_install docker.io
  mkdir -p "$run_dir" "$engine_root"
  export DOCKER_HOST=unix://$run_dir/docker.sock
  own_engine=1
  # A private engine left by an interrupted run: reuse it (and stop it at the end).
  if docker info >/dev/null 2>&1; then
    log "reusing the private Docker engine left running at $DOCKER_HOST"
    return
  fi
  rm -f "$run_dir/dockerd.pid"
  log "starting a private Docker engine ($DOCKER_HOST, bridge $bridge_cidr, no firewall changes)"
  dockerd --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
    --bip "$bridge_cidr" --data-root "$engine_root" --exec-root "$run_dir/exec" \
    -H "$DOCKER_HOST" --pidfile "$run_dir/dockerd.pid" >"$state/dockerd.log" 2>&1 &
  for _ in $(seq 1 150); do docker info >/dev/null 2>&1 && return; sleep 0.2; done
  tail -20 "$state/dockerd.log" >&2
  fail "the Docker engine did not start (log: $state/dockerd.log)"
}

# Where containers reach services on this host, and the address those services listen on.
service_addresses() {
  if [ -n "$own_engine" ]; then
    bind=${bridge_cidr%/*} reach=${bridge_cidr%/*}
  elif docker info --format '{{.OperatingSystem}}' 2>/dev/null | grep -qi 'docker desktop'; then
    bind=127.0.0.1 reach=host.docker.internal
  else
    bind=$(docker network inspect bridge --format '{{(index .IPAM.Config 0).Gateway}}')
    reach=$bind
  fi
}

# ------------------------------------------------------------------ base image
ensure_base_image() {
  if docker image inspect "$base_image" >/dev/null 2>&1; then return; fi
  log "pulling $base_image"
  if timeout 300 docker pull -q "$base_image" >/dev/null 2>&1; then return; fi
  log "no registry access: building a stand-in for $base_image from Debian packages"
  command -v mmdebstrap >/dev/null || apt_install mmdebstrap
  # What SAM's image build runs (sh, mv, chmod) and what bootstrap links against (glibc, libgcc).
  mmdebstrap --quiet --mode=root --variant=extract --architectures="$deb_arch" \
    --include=libc6,libgcc-s1,dash,coreutils bookworm "$state/rootfs.tar" >"$state/mmdebstrap.log" 2>&1 ||
    { cat "$state/mmdebstrap.log" >&2; fail "mmdebstrap failed"; }
  docker import --change 'ENV LAMBDA_TASK_ROOT=/var/task' --change 'WORKDIR /var/task' \
    "$state/rootfs.tar" "$base_image" >/dev/null
  rm -f "$state/rootfs.tar"
}

# ------------------------------------------------------------------ run
before=$(network_state)
cleanup() {
  local status=$?
  stop_engine
  # The kernel removes a released namespace's interfaces shortly after, not at once.
  for _ in $(seq 1 50); do [ "$(network_state)" = "$before" ] && break; sleep 0.2; done
  if [ "$(network_state)" != "$before" ]; then
    echo "sam-local: error: the host's firewall rules or routes changed:" >&2
    diff <(echo "$before") <(network_state) >&2 || true
    exit 1
  fi
  log "host firewall rules and routes: unchanged"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

start_engine
ensure_base_image
service_addresses

log "sam build (Architecture=$arch; the first build takes several minutes, later ones reuse target/)"
# The release profile (no debug assertions, as shipped) without optimisation or whole-program
# LTO: the same code and template, compiled in a fraction of the time. `make build` (for
# deployment) keeps the shipped profile.
CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
  sam build --no-cached --build-dir "$state/build" --parameter-overrides "Architecture=$arch" >"$state/build.log" 2>&1 ||
  { tail -40 "$state/build.log" >&2; fail "sam build failed (log: $state/build.log)"; }

cargo build --quiet -p remote-mcp-xtask --bin remote-mcp-sam-local
target/debug/remote-mcp-sam-local "$mode" --template "$state/build/template.yaml" \
  --architecture "$arch" --bind "$bind" --reach "$reach" --log "$state/sam.log"
