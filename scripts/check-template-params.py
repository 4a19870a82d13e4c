#!/usr/bin/env python3
"""Checks template.yaml with its optional parts switched on and off: each scenario sets parameter
values (checked against the parameters' own constraints), is linted by cfn-lint as a template whose
defaults are those values, and has its conditions evaluated to check what gets created and what the
functions are told.

Run with the project's virtualenv (make validate): .venv/bin/python scripts/check-template-params.py
"""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from samcli.yamlhelper import yaml_parse

KEY = "arn:aws:kms:eu-west-1:123456789012:key/{}-12ab-34cd-56ef-1234567890ab"

SCENARIOS = {
    "defaults": {},
    "custom domain, key rotation overlap, tuned settings": {
        "CustomDomainName": "mcp.example.com",
        "CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/0d1f2a3b-aaaa-bbbb-cccc-1234567890ab",
        "SigningKeyArn": KEY.format("2222abcd"),
        "PreviousSigningKeyArn": KEY.format("1111abcd"),
        "AllowedOrigins": "https://claude.ai,https://app.example.com",
        "AccessTokenTtlSeconds": "900",
        "RevocationCheckSeconds": "10",
        "RefreshGraceSeconds": "60",
        "Architecture": "x86_64",
        "CognitoUserPool": "true",
        "TokenVault": "true",
        "AlarmEmail": "ops@example.com",
        "IdentityProviders": '[{"id": "google", "name": "Google", "issuer": "https://accounts.google.com", "client_id": "c", "client_secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:remote-mcp/google-AbCdEf", "allowed_domains": ["example.com"]}]',
    },
}

EXPECT = {
    "defaults": {
        "resources": {"CustomDomain": False, "CustomDomainMapping": False, "SigningKey": True, "UserPool": False, "UserPoolClient": False, "CognitoClientSecret": False, "AlarmEmailSubscription": False, "Api5xxAlarm": True, "VaultKey": False},
        "env": {
            "VAULT_KEY_ID": "",
            "PUBLIC_BASE_URL": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}",
            "SIGNING_KEY_ID": "GetAtt:SigningKey.Arn",
            "PREVIOUS_SIGNING_KEY_ID": "",
            "ALLOWED_ORIGINS": "",
            "ACCESS_TOKEN_TTL_SECONDS": "3600",
        },
    },
    "custom domain, key rotation overlap, tuned settings": {
        "resources": {"CustomDomain": True, "CustomDomainMapping": True, "SigningKey": True, "UserPool": True, "UserPoolClient": True, "CognitoClientSecret": True, "AlarmEmailSubscription": True, "Api5xxAlarm": True, "VaultKey": True},
        "env": {
            "VAULT_KEY_ID": "GetAtt:VaultKey.Arn",
            "PUBLIC_BASE_URL": "https://mcp.example.com",
            "SIGNING_KEY_ID": KEY.format("2222abcd"),
            "PREVIOUS_SIGNING_KEY_ID": KEY.format("1111abcd"),
            "ALLOWED_ORIGINS": "https://claude.ai,https://app.example.com",
            "ACCESS_TOKEN_TTL_SECONDS": "900",
        },
    },
}


def check_value(name: str, spec: dict, value: str) -> None:
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        sys.exit(f"{name}={value}: not one of {spec['AllowedValues']}")
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        sys.exit(f"{name}={value}: does not match {spec['AllowedPattern']}")
    if spec.get("Type") == "Number":
        number = float(value)
        if "MinValue" in spec and number < float(spec["MinValue"]):
            sys.exit(f"{name}={value}: below {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            sys.exit(f"{name}={value}: above {spec['MaxValue']}")


def evaluate(node, params: dict, conditions: dict):
    """Enough of CloudFormation's intrinsics for conditions and the environment."""
    if isinstance(node, dict) and len(node) == 1:
        (key, arg), = node.items()
        if key == "Ref":
            if arg in params:
                value = params[arg]
                return value.split(",") if isinstance(value, str) and arg == "AllowedOrigins" else value
            return f"Ref:{arg}"
        if key == "Fn::GetAtt":
            return "GetAtt:" + (arg if isinstance(arg, str) else ".".join(arg))
        if key == "Fn::Sub":
            text = arg if isinstance(arg, str) else arg[0]
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(params.get(m.group(1), m.group(0))), text)
        if key == "Fn::If":
            name, yes, no = arg
            return evaluate(yes if conditions[name] else no, params, conditions)
        if key == "Fn::Equals":
            a, b = (evaluate(x, params, conditions) for x in arg)
            return a == b
        if key == "Fn::Not":
            return not evaluate(arg[0], params, conditions)
        if key == "Fn::Join":
            sep, items = arg
            items = evaluate(items, params, conditions)
            return sep.join(str(evaluate(i, params, conditions)) for i in items)
        if key == "Condition":
            return conditions[arg]
    if isinstance(node, list):
        return [evaluate(x, params, conditions) for x in node]
    return node


def main() -> int:
    template_file = Path(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")
    template = yaml_parse(template_file.read_text())
    declared = template["Parameters"]
    status = 0
    for name, values in SCENARIOS.items():
        params = {k: str(v.get("Default", "")) for k, v in declared.items()}
        for key, value in values.items():
            if key not in declared:
                sys.exit(f"{name}: the template has no parameter {key}")
            check_value(key, declared[key], value)
            params[key] = value
        # Lint the scenario: the same template with these values as its defaults.
        variant = json.loads(json.dumps(template))
        for key, value in params.items():
            variant["Parameters"][key]["Default"] = value if declared[key].get("Type") != "Number" else float(value) if "." in value else int(value)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
            json.dump(variant, out)
        lint = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), out.name], capture_output=True, text=True)
        Path(out.name).unlink()
        if lint.returncode != 0:
            print(f"FAIL {name}: cfn-lint:\n{lint.stdout}{lint.stderr}")
            status = 1
            continue
        conditions = {}
        for cname, expr in template["Conditions"].items():
            conditions[cname] = evaluate(expr, params, conditions)
        resources = template["Resources"]
        created = {r: conditions[resources[r]["Condition"]] if "Condition" in resources[r] else True for r in EXPECT[name]["resources"]}
        env = {k: evaluate(v, params, conditions) for k, v in template["Globals"]["Function"]["Environment"]["Variables"].items()}
        problems = [f"{r} created={created[r]}, expected {want}" for r, want in EXPECT[name]["resources"].items() if created[r] != want]
        problems += [f"{k}={env.get(k)!r}, expected {want!r}" for k, want in EXPECT[name]["env"].items() if env.get(k) != want]
        if problems:
            print(f"FAIL {name}: " + "; ".join(problems))
            status = 1
        else:
            print(f"pass {name}: cfn-lint clean; " + ", ".join(f"{r} {'created' if c else 'absent'}" for r, c in created.items()))
    return status


if __name__ == "__main__":
    sys.exit(main())
