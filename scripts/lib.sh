# Shared by the scripts that start a local server: a free loopback port, and waiting until the
# server answers. Source it: `. scripts/lib.sh`.

# Prints a TCP port nothing listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_server PORT [SECONDS]: waits until the local server on PORT serves its protected-resource
# metadata; fails after SECONDS (default 30).
wait_for_server() {
  local port=$1 seconds=${2:-30}
  for _ in $(seq 1 $((seconds * 5))); do
    curl -s -o /dev/null "http://127.0.0.1:$port/.well-known/oauth-protected-resource" && return 0
    sleep 0.2
  done
  echo "error: the local server on port $port did not answer within ${seconds}s" >&2
  return 1
}
