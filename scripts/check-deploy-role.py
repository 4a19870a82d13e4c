#!/usr/bin/env python3
"""Checks infrastructure/github-deploy-role.yaml, the role GitHub Actions assumes to deploy:

- its trust policy lets exactly one principal in, GitHub's OIDC provider, for
  sts:AssumeRoleWithWebIdentity only, with exact matches (StringEquals, no wildcard) on `aud`
  (sts.amazonaws.com) and `sub`: one repository's `production` environment — so no other
  repository, no branch and no pull request (whose token says `repo:<owner>/<name>:pull_request`);
- its permissions are exactly infrastructure/deployer-policy.json's statements.

It also checks itself: trust widened to any branch, to any repository or to pull requests must
fail. `--write` copies deployer-policy.json's statements into the role template.

Run with the project's virtualenv (make validate): .venv/bin/python scripts/check-deploy-role.py
"""

import copy
import json
import re
import sys
from pathlib import Path

from samcli.yamlhelper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
ROLE = ROOT / "infrastructure" / "github-deploy-role.yaml"
POLICY = ROOT / "infrastructure" / "deployer-policy.json"
BEGIN = "# BEGIN infrastructure/deployer-policy.json"
END = "# END infrastructure/deployer-policy.json"
PROVIDER = "token.actions.githubusercontent.com"


def yaml_lines(value, indent: int) -> list[str]:
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                lines.append(f"{pad}{key}:")
                lines += yaml_lines(item, indent + 1)
            else:
                lines.append(f"{pad}{key}: {json.dumps(item)}")
    else:
        for item in value:
            if isinstance(item, dict):
                inner = yaml_lines(item, indent + 1)
                lines.append(f"{pad}- {inner[0].strip()}")
                lines += inner[1:]
            else:
                lines.append(f"{pad}- {json.dumps(item)}")
    return lines


def write() -> None:
    text = ROLE.read_text()
    start, end = text.index(BEGIN), text.index(END)
    begin_line_end = text.index("\n", start) + 1
    indent = text[text.rindex("\n", 0, start) + 1 : start]
    statements = "\n".join(yaml_lines(json.loads(POLICY.read_text())["Statement"], len(indent) // 2))
    ROLE.write_text(text[:begin_line_end] + statements + "\n" + indent + text[end:])


def problems(template: dict, policy: dict) -> list[str]:
    found = []
    role = template["Resources"]["DeployRole"]["Properties"]
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    if len(trust) != 1:
        found.append(f"the trust policy has {len(trust)} statements, not one")
    for statement in trust:
        if statement.get("Effect") != "Allow" or statement.get("Action") != "sts:AssumeRoleWithWebIdentity":
            found.append(f"trust statement {statement.get('Sid')}: not one web-identity allow")
        principal = statement.get("Principal", {})
        if set(principal) != {"Federated"}:
            found.append(f"trust statement {statement.get('Sid')}: principals {sorted(principal)}")
        conditions = statement.get("Condition", {})
        if set(conditions) != {"StringEquals"}:
            found.append(f"trust conditions {sorted(conditions)}: only exact matches (StringEquals) may let a job in")
        exact = conditions.get("StringEquals", {})
        if exact.get(f"{PROVIDER}:aud") != "sts.amazonaws.com":
            found.append("the audience is not exactly sts.amazonaws.com")
        sub = exact.get(f"{PROVIDER}:sub")
        subs = sub if isinstance(sub, list) else [sub]
        texts = [s.get("Fn::Sub", "") if isinstance(s, dict) else str(s) for s in subs]
        if len(texts) != 1:
            found.append(f"the trust names {len(texts)} subjects, not one")
        for text in texts:
            if not re.fullmatch(r"repo:\$\{GitHubRepository\}:environment:production", text):
                found.append(f"the subject {text!r} is not exactly this repository's production environment")
    permissions = role["Policies"]
    if len(permissions) != 1 or permissions[0]["PolicyDocument"]["Statement"] != policy["Statement"]:
        found.append("the role's permissions differ from infrastructure/deployer-policy.json (run scripts/check-deploy-role.py --write)")
    if role.get("ManagedPolicyArns"):
        found.append("the role has managed policies besides the deployer policy")
    return found


def main() -> int:
    if sys.argv[1:] == ["--write"]:
        write()
        return 0
    template = yaml_parse(ROLE.read_text())
    policy = json.loads(POLICY.read_text())
    found = problems(template, policy)
    # The check must notice trust widened to any branch, any repository, or pull requests (of the
    # template as it should be; a template already failing needs no more).
    widenings = {
        "any branch": lambda c: c.update({"StringLike": {f"{PROVIDER}:sub": "repo:${GitHubRepository}:*"}}) or c["StringEquals"].pop(f"{PROVIDER}:sub"),
        "any repository": lambda c: c["StringEquals"].update({f"{PROVIDER}:sub": {"Fn::Sub": "repo:*:environment:production"}}),
        "pull requests": lambda c: c["StringEquals"].update({f"{PROVIDER}:sub": [{"Fn::Sub": "repo:${GitHubRepository}:environment:production"}, {"Fn::Sub": "repo:${GitHubRepository}:pull_request"}]}),
    }
    for name, widen in widenings.items() if not found else ():
        widened = copy.deepcopy(template)
        widen(widened["Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"])
        if not problems(widened, policy):
            found.append(f"self-check: trust widened to {name} went unnoticed")
    for problem in found:
        print(f"FAIL {problem}")
    if not found:
        print("pass: the deploy role is trusted by one repository's production environment only, with the deployer policy")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
