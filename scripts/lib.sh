# Shared by the scripts: a free loopback port, waiting until a local server answers, and Debian
# packages installed as root. Source it: `. scripts/lib.sh`.

# Prints a TCP port nothing listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_server PORT [PID [LOG]]: waits until the local server on PORT serves its
# protected-resource metadata. Holds on a loaded machine: no short deadline (WAIT_SECONDS, default
# 300, for a slow start of DynamoDB Local's JVM), but a server PID that exits fails at once, with
# the end of its LOG.
wait_for_server() {
  local port=$1 pid=${2:-} log=${3:-} seconds=${WAIT_SECONDS:-300}
  for _ in $(seq 1 $((seconds * 5))); do
    curl -s -o /dev/null "http://127.0.0.1:$port/.well-known/oauth-protected-resource" && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      echo "error: the local server on port $port exited before answering" >&2
      [ -z "$log" ] || tail -20 "$log" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "error: the local server on port $port did not answer within ${seconds}s" >&2
  [ -z "$log" ] || tail -20 "$log" >&2
  return 1
}

# debian_install LOG PACKAGE...: installs Debian packages (as root, without recommends), keeping the
# packages from starting services with their default settings; apt's output goes to LOG and is
# shown only on failure. Fails with a hint when this is not a root shell with apt.
debian_install() {
  local log=$1; shift
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null ||
    { echo "error: $* needed: install it with your package manager and re-run" >&2; return 1; }
  local made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  echo "installing $* (Debian packages)"
  local status=0
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "$@" >"$log" 2>&1 || {
    apt-get update -qq >>"$log" 2>&1
    apt-get install -y -qq --no-install-recommends "$@" >>"$log" 2>&1
  } || { cat "$log" >&2; echo "error: could not install $*" >&2; status=1; }
  [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
  return $status
}
