#!/usr/bin/env python3
"""Checks who may do what with the token vault's key in template.yaml:

- the OAuth function may make data keys (seal) and never unwrap them (no kms:Decrypt, no
  kms:ReEncrypt*, no kms:* on any resource): a person's upstream tokens do not open there;
- the MCP function and the task worker may unwrap (kms:Decrypt) and make data keys on the vault's
  key only, and only under the vault's encryption context;
- no other statement of any function names the vault's key.

It also checks itself: a copy of the template whose OAuth function may decrypt must fail.

Run with the project's virtualenv (make validate): .venv/bin/python scripts/check-template-policies.py
"""

import copy
import sys
from pathlib import Path

from samcli.yamlhelper import yaml_parse

VAULT_KEY = {"Fn::GetAtt": ["VaultKey", "Arn"]}
CONTEXT = {"StringEquals": {"kms:EncryptionContext:purpose": "remote-mcp upstream token"}}
UNWRAPS = ("kms:decrypt", "kms:reencrypt", "kms:*", "*")


def statements(function: dict) -> list[dict]:
    """Every statement of a function's inline policies, with `!If [cond, stmt, NoValue]` unwrapped."""
    found = []
    for policy in function["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            if isinstance(statement, dict) and "Fn::If" in statement:
                statement = statement["Fn::If"][1]
            if isinstance(statement, dict) and "Effect" in statement:
                found.append(statement)
    return found


def actions(statement: dict) -> list[str]:
    action = statement.get("Action", [])
    return [a.lower() for a in ([action] if isinstance(action, str) else action)]


def names_vault_key(statement: dict) -> bool:
    resource = statement.get("Resource")
    resources = resource if isinstance(resource, list) else [resource]
    return any(r == VAULT_KEY or r == "*" for r in resources)


def problems(template: dict) -> list[str]:
    found = []
    resources = template["Resources"]
    for name in ("OAuthFunction", "McpFunction", "TaskWorkerFunction"):
        for statement in statements(resources[name]):
            acts = actions(statement)
            kms = [a for a in acts if a.startswith("kms:") or a == "*"]
            if name == "OAuthFunction" and any(a.startswith(UNWRAPS) for a in kms):
                found.append(f"{name} may unwrap data keys: {statement.get('Action')}")
            if names_vault_key(statement):
                allowed = {"kms:generatedatakey"} if name == "OAuthFunction" else {"kms:decrypt", "kms:generatedatakey"}
                if not set(acts) <= allowed:
                    found.append(f"{name} may {sorted(set(acts) - allowed)} on the vault's key")
                if statement.get("Condition") != CONTEXT:
                    found.append(f"{name}'s use of the vault's key is not bound to its encryption context")
    for name in ("McpFunction", "TaskWorkerFunction"):
        if not any(names_vault_key(s) and "kms:decrypt" in actions(s) for s in statements(resources[name])):
            found.append(f"{name} cannot open the vault")
    return found


def main() -> int:
    template = yaml_parse(Path(sys.argv[1] if len(sys.argv) > 1 else "template.yaml").read_text())
    found = problems(template)
    # The check must notice an OAuth function that may decrypt.
    broken = copy.deepcopy(template)
    statements(broken["Resources"]["OAuthFunction"])[-1]["Action"] = ["kms:Decrypt", "lambda:InvokeFunction"]
    vault = [s for s in statements(broken["Resources"]["OAuthFunction"]) if names_vault_key(s)]
    vault[0]["Action"] = ["kms:GenerateDataKey", "kms:Decrypt"]
    if not problems(broken):
        found.append("self-check: an OAuth function allowed kms:Decrypt went unnoticed")
    for problem in found:
        print(f"FAIL {problem}")
    if not found:
        print("pass: the OAuth function seals only; the MCP function and the task worker open the vault under its encryption context only")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
