#!/usr/bin/env python3
"""The deployed stack as `make` targets need it: its region and profile as `sam deploy --guided`
saved them in samconfig.toml (or REGION= / PROFILE= / STACK= from the environment), and its outputs.

  scripts/stack.py describe            # one line: stack, region, profile
  scripts/stack.py output TableName    # an output's value
  scripts/stack.py admin ARGS…         # remote-mcp-admin on the stack's table, in its region

`admin` uses TABLE= (and ENDPOINT_URL=, for DynamoDB Local) instead of the stack when they are set.
Every failure is one line on stderr naming what to do; never a traceback.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Failure(Exception):
    """One readable line for the user."""


def settings() -> dict:
    """Stack name, region and profile: the environment first, then samconfig.toml."""
    config_file = Path(os.environ.get("SAMCONFIG", ROOT / "samconfig.toml"))
    try:
        config = parse_toml(config_file.read_text()).get("default", {})
    except FileNotFoundError:
        config = {}
    except ValueError as err:
        raise Failure(f"{config_file} is not valid TOML: {err}") from None
    saved = {**config.get("global", {}).get("parameters", {}), **config.get("deploy", {}).get("parameters", {})}
    found = {
        "stack": os.environ.get("STACK") or saved.get("stack_name") or "remote-mcp",
        "region": os.environ.get("REGION") or saved.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        "profile": os.environ.get("PROFILE") or saved.get("profile") or os.environ.get("AWS_PROFILE"),
    }
    return found


def parse_toml(text: str) -> dict:
    """Python 3.11's tomllib, or tomlkit (which the SAM CLI in .venv brings) on older Pythons."""
    try:
        import tomllib

        return tomllib.loads(text)
    except ImportError:
        import tomlkit

        return tomlkit.parse(text).unwrap()


def sam() -> str:
    local = ROOT / ".venv" / "bin" / "sam"
    return str(local) if local.exists() else "sam"


def outputs(found: dict) -> dict:
    if not found["region"]:
        raise Failure(
            "no AWS region: samconfig.toml has none (run `make deploy` first, which saves it) "
            "and REGION= is not set"
        )
    command = [sam(), "list", "stack-outputs", "--stack-name", found["stack"], "--region", found["region"], "--output", "json"]
    if found["profile"]:
        command += ["--profile", found["profile"]]
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    except FileNotFoundError:
        raise Failure("the SAM CLI is not installed: run `make deps`") from None
    except subprocess.TimeoutExpired:
        raise Failure(f"AWS did not answer within 2 minutes (region {found['region']})") from None
    if done.returncode != 0:
        raise Failure(f"cannot read the outputs of stack {found['stack']!r} in {found['region']}: {reason(done.stderr + done.stdout)}")
    try:
        return {o["OutputKey"]: o["OutputValue"] for o in json.loads(done.stdout)}
    except (ValueError, KeyError, TypeError):
        raise Failure(f"unexpected answer from `sam list stack-outputs`: {done.stdout.strip()[:200]}") from None


def reason(text: str) -> str:
    """The one line of SAM's or botocore's output that says what went wrong."""
    lowered = text.lower()
    if "does not exist" in lowered:
        return "the stack does not exist there (deployed to another region? set REGION=, or STACK= for another name)"
    if "unable to locate credentials" in lowered or "nocredentials" in lowered or "could not be found" in lowered and "profile" in lowered:
        return "no AWS credentials (run `aws configure`, or set PROFILE= to a configured profile)"
    if "expired" in lowered:
        return "the AWS credentials have expired (sign in again, e.g. `aws sso login`)"
    if "accessdenied" in lowered or "not authorized" in lowered:
        return "these AWS credentials may not read CloudFormation stacks (cloudformation:DescribeStacks)"
    if "could not connect" in lowered or "endpoint" in lowered:
        return "AWS cannot be reached from here"
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith(("Traceback", "  File"))]
    return lines[-1][:300] if lines else "the SAM CLI failed without saying why"


def admin(found: dict, args: list[str]) -> int:
    table = os.environ.get("TABLE")
    command = ["cargo", "run", "--quiet", "-p", "remote-mcp-admin", "--"]
    env = dict(os.environ)
    if table:
        command += ["--table", table]
        if os.environ.get("ENDPOINT_URL"):
            command += ["--endpoint-url", os.environ["ENDPOINT_URL"]]
    else:
        command += ["--table", outputs(found)["TableName"]]
        env["AWS_REGION"] = found["region"]
        if found["profile"]:
            env["AWS_PROFILE"] = found["profile"]
    return subprocess.run(command + args, cwd=ROOT, env=env).returncode


def main() -> int:
    args = sys.argv[1:]
    try:
        found = settings()
        if args[:1] == ["describe"]:
            print(f"stack {found['stack']}, region {found['region'] or '(none)'}, profile {found['profile'] or '(default)'}")
            return 0
        if len(args) == 2 and args[0] == "output":
            value = outputs(found).get(args[1])
            if value is None:
                raise Failure(f"stack {found['stack']!r} has no output {args[1]!r}")
            print(value)
            return 0
        if args[:1] == ["admin"]:
            return admin(found, args[1:])
    except Failure as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 1
    except KeyError as missing:
        print(f"error: the stack has no output {missing}", file=sys.stderr)
        return 1
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
