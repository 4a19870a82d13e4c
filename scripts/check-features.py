#!/usr/bin/env python3
"""Every cargo command `make test` runs resolves each crate with the same features.

Cargo resolves features per command: `cargo test --workspace` (dev-dependencies included) and
`cargo build -p remote-mcp-local` or `cargo lambda watch` (one function, no dev-dependencies)
can enable different features of the same crate (tokio's `process`, reqwest's `cookies`, …). A
crate whose features differ is compiled again, with everything above it: tokio alone drags in
hyper, axum, the AWS SDK and lambda_http, minutes on a small machine. crates/workspace-hack holds
the union so one build serves every step; this check fails, naming the crates and features, when
an edit makes a command resolve differently from the workspace's test build.
"""

import re
import subprocess
import sys

# The reference: what `cargo test --workspace` (make unit) builds.
REFERENCE = ["--workspace", "-e", "normal,dev"]
# Every other cargo command of `make test`, `make run` and `cargo lambda watch`.
COMMANDS = {
    "cargo build -p remote-mcp-local (make run, conformance, sdk-clients, sam-local)": [
        "-p", "remote-mcp-local", "-e", "normal"],
    "cargo build -p remote-mcp-local -p remote-mcp-admin (operator checks)": [
        "-p", "remote-mcp-local", "-p", "remote-mcp-admin", "-e", "normal"],
    "cargo test -p remote-mcp-local (the browser journeys)": [
        "-p", "remote-mcp-local", "-e", "normal,dev"],
    "cargo run -p remote-mcp-admin (make user)": ["-p", "remote-mcp-admin", "-e", "normal"],
    "cargo lambda watch: oauth-function": ["-p", "oauth-function", "-e", "normal"],
    "cargo lambda watch: mcp-function": ["-p", "mcp-function", "-e", "normal"],
}

# `name vX.Y.Z [features]`, or `name vX.Y.Z (/path) [features]` for the workspace's own crates,
# which are compiled in seconds and keep the features each function asks for.
LINE = re.compile(r"^(?P<name>\S+) v(?P<version>\S+)(?P<path> \(/[^)]*\))? \[(?P<features>[^\]]*)\]")


def resolve(args):
    # The crates compiled for the target only: build scripts and procedural macros are compiled
    # for the host, where a crate may have other features (libc without `extra_traits`) and the
    # two would mix.
    args = [*args[:-1], args[-1] + ",no-proc-macro"]
    run = subprocess.run(
        ["cargo", "tree", "--locked", "--prefix", "none", "-f", "{p} [{f}]", *args],
        capture_output=True, text=True,
    )
    if run.returncode != 0:
        sys.exit(f"features: cargo tree {' '.join(args)} failed:\n{run.stderr}")
    out = run.stdout
    crates = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m and not m["path"]:
            key = f"{m['name']} {m['version']}"
            crates.setdefault(key, set()).add(m["features"])
    return crates


def main():
    reference = resolve(REFERENCE)
    failed = False
    for what, args in COMMANDS.items():
        differs = []
        for crate, feature_sets in sorted(resolve(args).items()):
            if feature_sets != reference.get(crate, feature_sets):
                want = " | ".join(sorted(reference.get(crate, {"(not built)"})))
                got = " | ".join(sorted(feature_sets - reference.get(crate, set())))
                differs.append(f"    {crate}: [{got}], the workspace build has [{want}]")
        if differs:
            failed = True
            print(f"fail: {what} resolves {len(differs)} crates differently:", file=sys.stderr)
            print("\n".join(differs), file=sys.stderr)
    if failed:
        print("add the workspace build's features to crates/workspace-hack/Cargo.toml", file=sys.stderr)
        sys.exit(1)
    print(f"features: {len(COMMANDS)} cargo commands resolve every crate as the workspace build does")


if __name__ == "__main__":
    main()
