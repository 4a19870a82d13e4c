#!/usr/bin/env python3
"""`make load`: the release local server under load, on the memory store and on DynamoDB Local.

Scenarios (each DURATION seconds, CONNECTIONS concurrent; oha, pinned, drives the fixed requests):
  tools/call whoami, tools/list    POST /mcp with a valid token            expect 200
  AS metadata                      GET /.well-known/oauth-authorization-server   expect 200
  401 path                         POST /mcp without a token                expect 401
  refresh chains                   CONNECTIONS chains, each rotating its refresh token in turn
                                   (each request needs the previous answer, so a small driver
                                   here runs them)                          expect 200
  task, call → completed           a trivial tool call as a task, polled every 5 ms until
                                   completed, 40 in turn; p50/p99 are end to end (goal ≤ 300 ms)
Then a soak: tools/call for SOAK seconds on the memory store, the server's RSS sampled throughout.

First, the comparison users make: `tools/call whoami` on ours (memory store), on the floor (a plain
axum server that parses the same body and answers the same bytes: `remote-mcp-floor`) and on the
official TypeScript SDK's resource server (`e2e/ts-sdk-server.mjs`: its bearer middleware verifying
the same token, a stateless Streamable HTTP transport, the same tool), ROUNDS (3) interleaved
rounds, the median of each, and the two ratios: ours / floor and ours / TypeScript SDK; beside
each, the median processor time the server spent per request (user + system, read from /proc), which
says what a request costs apart from how the load generator and the server share the machine. The
comparison is driven by wrk (Debian's, installed by `make load` when missing; WRK_THREADS threads,
CONNECTIONS connections), the tool people reach for when they compare servers; the scenarios use
oha, which reports latency percentiles and status counts as JSON.

Prints requests per second, p50/p99 latency, unexpected statuses and the server's peak RSS per
scenario, and fails on any unexpected status or an RSS that grows during the soak.
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OHA = ROOT / ".tools" / "oha-1.16.0" / "bin" / "oha"
BIN = ROOT / "target" / os.environ.get("PROFILE_DIR", "release")
SERVER = BIN / "remote-mcp-local"
FLOOR = BIN / "remote-mcp-floor"
# The server logs as the Lambda functions do (audit lines and metrics records as JSON), unless
# LOGS=pretty (the terminal's format, which an earlier build given as BEFORE also writes).
LOG_ARGS = {SERVER: ["--json-logs"]} if os.environ.get("LOGS", "json") == "json" else {}
# Another build of remote-mcp-local (an earlier commit, built from a worktree) to run beside ours.
BEFORE = os.environ.get("BEFORE", "")
# BEFORE_LOGS=json: the earlier build logs as Lambda does too (a build with `--json-logs`; f01e13a
# and older have only the terminal's format).
if BEFORE and os.environ.get("BEFORE_LOGS") == "json":
    LOG_ARGS[Path(BEFORE)] = ["--json-logs"]
# LOG_SINK=null: our servers (ours, BEFORE) log to /dev/null rather than target/load-server-*.log,
# which shows what the file costs (a page-cache write and the file-position lock per request).
LOG_TO_FILE = os.environ.get("LOG_SINK", "file") != "null"
ROUNDS = int(os.environ.get("ROUNDS", "3"))
TOKEN = BIN / "remote-mcp-token"
DURATION = int(os.environ.get("DURATION", "10"))
SOAK = int(os.environ.get("SOAK", "60"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "16"))
WRK_THREADS = int(os.environ.get("WRK_THREADS", "2"))
EMAIL, PASSWORD = "load@example.com", "load test password 1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """The processor time `pid` has used so far, user and system (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Server:
    def __init__(self, store: str, binary: Path = SERVER, name: str = ""):
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DEV_EMAIL": EMAIL, "DEV_PASSWORD": PASSWORD, "RUST_LOG": "warn"}
        self.log = open(ROOT / "target" / f"load-server-{name or store}.log" if LOG_TO_FILE else os.devnull, "w")
        self.process = subprocess.Popen(
            [str(binary), "--port", str(self.port), "--store", store, *LOG_ARGS.get(binary, [])],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{self.origin}/.well-known/oauth-protected-resource", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"the {store} server did not start: see {self.log.name}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()

    def sign_in(self, scope: str = "mcp mcp:write") -> dict:
        done = subprocess.run(
            [str(TOKEN), "--email", EMAIL, "--scope", scope, "--json", f"{self.origin}/mcp"],
            input=PASSWORD + "\n", capture_output=True, text=True, check=True,
        )
        return json.loads(done.stdout)


def oha(url: str, expect: int, method: str = "GET", headers=(), body: str | None = None, seconds: int = DURATION) -> dict:
    # Requests in flight at the deadline are awaited, not counted as aborted.
    command = [str(OHA), "-z", f"{seconds}s", "-w", "-c", str(CONNECTIONS), "--no-tui", "--output-format", "json", "-m", method]
    for header in headers:
        command += ["-H", header]
    if body is not None:
        command += ["-d", body]
    done = subprocess.run(command + [url], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"oha failed: {done.stderr.strip()[:300]}")
    report = json.loads(done.stdout)
    statuses = {int(k): v for k, v in report.get("statusCodeDistribution", {}).items()}
    errors = sum(report.get("errorDistribution", {}).values())
    unexpected = sum(n for code, n in statuses.items() if code != expect) + errors
    percentiles = report.get("latencyPercentiles", {})
    return {
        "rps": report["summary"]["requestsPerSec"],
        "p50": percentiles.get("p50", 0) * 1000,
        "p99": percentiles.get("p99", 0) * 1000,
        "unexpected": unexpected,
        "detail": {"statuses": statuses, "errors": report.get("errorDistribution", {})},
    }


def wrk(url: str, headers, body: str, seconds: int = DURATION) -> dict:
    """POSTs `body` for `seconds` with wrk; counts every answer that is not a 2xx as unexpected."""
    script = ROOT / "target" / "load-wrk.lua"
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n')
    command = ["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "-s", str(script)]
    for header in headers:
        command += ["-H", header]
    done = subprocess.run(command + [url], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed: {(done.stderr or done.stdout).strip()[:300]}")
    rps, requests, unexpected = 0.0, 0, 0
    for line in done.stdout.splitlines():
        words = line.split()
        if " requests in " in line:
            requests = int(words[0])
        elif line.startswith("Requests/sec:"):
            rps = float(words[1])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            unexpected += int(words[-1])
        elif line.strip().startswith("Socket errors:"):
            unexpected += sum(int(w.rstrip(",")) for w in words[2:] if w.rstrip(",").isdigit())
    if not rps:
        raise SystemExit(f"wrk printed no rate: {done.stdout.strip()[:300]}")
    return {"rps": rps, "requests": requests, "unexpected": unexpected, "detail": {"wrk": done.stdout.strip()[-300:]}}


def refresh_chains(server: Server, seconds: int = DURATION) -> dict:
    """CONNECTIONS chains, each refreshing its own grant again and again, for `seconds`."""
    chains = [server.sign_in() for _ in range(CONNECTIONS)]
    latencies, unexpected, lock = [], [0], threading.Lock()
    deadline = time.monotonic() + seconds

    def run(chain: dict):
        token, client = chain["refresh_token"], chain["client_id"]
        while time.monotonic() < deadline:
            body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": token, "client_id": client}).encode()
            started = time.monotonic()
            try:
                with urllib.request.urlopen(urllib.request.Request(f"{server.origin}/token", data=body), timeout=10) as reply:
                    answer = json.loads(reply.read())
                token = answer["refresh_token"]
                with lock:
                    latencies.append(time.monotonic() - started)
            except (urllib.error.HTTPError, OSError, KeyError, ValueError):
                with lock:
                    unexpected[0] += 1
                return

    threads = [threading.Thread(target=run, args=(c,)) for c in chains]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    ordered = sorted(latencies) or [0]
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "unexpected": unexpected[0],
        "detail": {},
    }


MCP_HEADERS = ("Content-Type: application/json", "Accept: application/json, text/event-stream",
               "MCP-Protocol-Version: 2025-11-25")
WHOAMI = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}})


def wait_until_answering(url: str, headers: dict, body: bytes, what: str, process) -> bytes:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"{what} exited: see target/load-{what}.log")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=2) as reply:
                return reply.read()
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not answer")


def comparison() -> list[str]:
    """Ours, the floor and the TypeScript SDK on `tools/call whoami`, interleaved rounds."""
    ours = Server("memory")
    before = Server("memory", Path(BEFORE), "before") if BEFORE else None
    others = []
    try:
        token = ours.sign_in()["access_token"]
        tokens = {"ours": token}
        headers = {**{h.split(": ")[0]: h.split(": ", 1)[1] for h in MCP_HEADERS}, "Authorization": f"Bearer {token}"}
        answer = wait_until_answering(f"{ours.origin}/mcp", headers, WHOAMI.encode(), "ours", ours.process)
        answer_file = ROOT / "target" / "load-floor-answer.json"
        answer_file.write_bytes(answer)
        node = subprocess.run([str(ROOT / "scripts" / "node.sh")], capture_output=True, text=True).stdout.strip()
        servers = {"floor": [str(FLOOR), "--port", "{port}", "--answer", str(answer_file)],
                   "typescript-sdk": [node, str(ROOT / "e2e" / "ts-sdk-server.mjs"), "{port}", ours.origin]}
        urls = {"ours": f"{ours.origin}/mcp"}
        pids = {"ours": ours.process.pid}
        for name, command in servers.items():
            port = free_port()
            log = open(ROOT / "target" / f"load-{name}.log", "w")
            process = subprocess.Popen([part.replace("{port}", str(port)) for part in command], stdout=log, stderr=subprocess.STDOUT)
            others.append((process, log))
            url = f"http://127.0.0.1:{port}/mcp"
            reply = json.loads(wait_until_answering(url, headers, WHOAMI.encode(), name, process))
            if reply.get("result", {}).get("structuredContent", {}).get("subject") is None:
                raise SystemExit(f"{name} answered {reply}")
            urls[name] = url
            pids[name] = process.pid
        if before:
            tokens["before"] = before.sign_in()["access_token"]
            urls["before"] = f"{before.origin}/mcp"
            pids["before"] = before.process.pid
        rounds = {name: [] for name in urls}
        cpu = {name: [] for name in urls}
        for _ in range(ROUNDS):
            for name, url in urls.items():
                bearer = tokens.get(name, token)
                used = cpu_seconds(pids[name])
                result = wrk(url, MCP_HEADERS + (f"Authorization: Bearer {bearer}",), WHOAMI)
                used = cpu_seconds(pids[name]) - used
                if result["unexpected"]:
                    raise SystemExit(f"{name}: {result['unexpected']} unexpected answers {result['detail']}")
                rounds[name].append(result["rps"])
                cpu[name].append(1e6 * used / max(result["requests"], 1))
    finally:
        ours.stop()
        if before:
            before.stop()
        for process, log in others:
            process.terminate()
            process.wait(timeout=10)
            log.close()
    median = {name: statistics.median(values) for name, values in rounds.items()}
    lines = [f"comparison: tools/call whoami, wrk {WRK_THREADS} threads {CONNECTIONS} connections, {DURATION} s each, "
             f"{ROUNDS} interleaved rounds, median req/s and the server's processor time "
             f"per request (user + system, from /proc)"]
    for name, values in rounds.items():
        lines.append(f"  {name:<15} {median[name]:>9.0f}   {statistics.median(cpu[name]):>7.1f} µs/request   rounds: "
                     + ", ".join(f"{v:.0f}" for v in values))
    lines.append(f"  ours / floor = {median['ours'] / median['floor']:.2f}×   "
                 f"ours / typescript-sdk = {median['ours'] / median['typescript-sdk']:.1f}×")
    if before:
        lines.append(f"  ours / before = {median['ours'] / median['before']:.2f}×   (before: {BEFORE})")
    return lines


TASK_META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
             "io.modelcontextprotocol/clientInfo": {"name": "load", "version": "1"},
             "io.modelcontextprotocol/clientCapabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}}}


def tasks_end_to_end(server: Server, token: str, count: int = 40) -> dict:
    """A trivial tool call as a task (long_running_operation, 0 s, one step), polled with tasks/get
    every 5 ms until completed: the time from the call to the completed answer, `count` times."""
    def rpc(method: str, params: dict, name: str) -> dict:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": TASK_META}}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                   "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method, "Mcp-Name": name,
                   "Authorization": f"Bearer {token}"}
        with urllib.request.urlopen(urllib.request.Request(f"{server.origin}/mcp", data=body, headers=headers), timeout=10) as reply:
            return json.loads(reply.read())["result"]

    latencies, unexpected = [], 0
    for _ in range(count):
        started = time.monotonic()
        try:
            created = rpc("tools/call", {"name": "long_running_operation", "arguments": {"duration_seconds": 0, "steps": 1}},
                          "long_running_operation")
            task_id = created["taskId"]
            while True:
                polled = rpc("tasks/get", {"taskId": task_id}, task_id)
                if polled["status"] != "working":
                    break
                time.sleep(0.005)
            if polled["status"] != "completed":
                unexpected += 1
                continue
            latencies.append(time.monotonic() - started)
        except (urllib.error.HTTPError, OSError, KeyError, ValueError):
            unexpected += 1
    ordered = sorted(latencies) or [0]
    return {
        "rps": len(latencies) / max(sum(latencies), 1e-9),
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "unexpected": unexpected,
        "detail": {},
    }


def main() -> int:
    if os.environ.get("ONLY") == "tasks":
        server = Server("dynamodb-local")
        try:
            result = tasks_end_to_end(server, server.sign_in()["access_token"])
        finally:
            server.stop()
        print(f"task created and polled to completed, DynamoDB Local: p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, "
              f"{result['unexpected']} unexpected")
        return 1 if result["unexpected"] else 0
    if os.environ.get("ONLY") == "comparison":
        print("\n".join(comparison()))
        return 0
    compared = comparison()
    for tool in (OHA, SERVER, TOKEN, FLOOR):
        if not tool.exists():
            raise SystemExit(f"{tool} is missing: run `make load`, which builds and installs it")
    rows, failures = [], []
    mcp_headers = ("Content-Type: application/json", "Accept: application/json, text/event-stream",
                   "MCP-Protocol-Version: 2025-11-25")
    for store in ("memory", "dynamodb-local"):
        server = Server(store)
        try:
            bearer = "Authorization: Bearer " + server.sign_in()["access_token"]
            scenarios = [
                ("tools/call whoami", lambda: oha(f"{server.origin}/mcp", 200, "POST", mcp_headers + (bearer,),
                 json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}))),
                ("tools/list", lambda: oha(f"{server.origin}/mcp", 200, "POST", mcp_headers + (bearer,),
                 json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))),
                ("AS metadata", lambda: oha(f"{server.origin}/.well-known/oauth-authorization-server", 200)),
                ("401 path", lambda: oha(f"{server.origin}/mcp", 401, "POST", mcp_headers,
                 json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))),
                ("refresh chains", lambda: refresh_chains(server)),
                ("task, call → completed", lambda: tasks_end_to_end(server, bearer.split(" ", 2)[2])),
            ]
            for name, run in scenarios:
                result = run()
                result["rss"] = rss_kib(server.process.pid, "VmHWM") / 1024
                rows.append((name, store, result))
                if result["unexpected"]:
                    failures.append(f"{name} on {store}: {result['unexpected']} unexpected answers {result['detail']}")
            if store == "memory":
                samples = []
                sampler_stop = threading.Event()

                def sample():
                    while not sampler_stop.is_set():
                        samples.append(rss_kib(server.process.pid) / 1024)
                        time.sleep(1)

                sampler = threading.Thread(target=sample)
                sampler.start()
                soak = oha(f"{server.origin}/mcp", 200, "POST", mcp_headers + (bearer,),
                           json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}),
                           seconds=SOAK)
                sampler_stop.set()
                sampler.join()
                quarter = max(1, len(samples) // 4)
                early, late = max(samples[:quarter]), max(samples[-quarter:])
                soak_line = (f"soak: tools/call for {SOAK} s on the memory store, {soak['rps']:.0f} req/s; RSS first quarter "
                             f"≤ {early:.1f} MB, last quarter ≤ {late:.1f} MB, peak {max(samples):.1f} MB")
                if soak["unexpected"]:
                    failures.append(f"soak: {soak['unexpected']} unexpected answers")
                if late > early * 1.10 + 1.0:
                    failures.append(f"RSS grew during the soak: {early:.1f} MB → {late:.1f} MB")
        finally:
            server.stop()
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), "?")
    print(f"make load: {BIN.name} build, {CONNECTIONS} connections, {DURATION} s per scenario, on {os.cpu_count()} × {cpu}")
    print(f"{'scenario':<20} {'store':<15} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'peak RSS MB':>12}")
    for name, store, r in rows:
        print(f"{name:<20} {store:<15} {r['rps']:>9.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['unexpected']:>7} {r['rss']:>12.1f}")
    print(soak_line)
    print("\n".join(compared))
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    import urllib.parse  # noqa: E402  (used by the chain driver)
    sys.exit(main())
