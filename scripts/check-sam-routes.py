#!/usr/bin/env python3
"""Checks that `sam local start-api` mounts every route of template.yaml, using SAM's own reader.

SAM picks its local route reader from the *first* API-related resource in template order
(`ApiProvider.find_api_provider` in samcli/lib/providers/api_provider.py): if a function comes
before the `AWS::ApiGatewayV2::*` resources, the reader for SAM `Events` is chosen, our plain
`Route`/`Integration` resources are ignored, and `sam local start-api` answers "Template does not
have any APIs connected to Lambda functions". CloudFormation ignores resource order, so nothing
else would notice. This check reads the template exactly as `sam local` does and compares the
routes it mounts with the `AWS::ApiGatewayV2::Route` resources, path, methods and function.

Run with the project's virtualenv (make validate): .venv/bin/python scripts/check-sam-routes.py
"""

import sys
from pathlib import Path

from samcli.lib.providers.api_provider import ApiProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.yamlhelper import yaml_parse

ANY = {"GET", "DELETE", "PUT", "POST", "HEAD", "OPTIONS", "PATCH"}


def declared_routes(template: dict) -> dict:
    """{path: function logical id} from the Route → Integration → Function chain."""
    resources = template["Resources"]
    routes = {}
    for name, resource in resources.items():
        if resource["Type"] != "AWS::ApiGatewayV2::Route":
            continue
        method, path = resource["Properties"]["RouteKey"].split(" ", 1)
        if method != "ANY":
            sys.exit(f"{name}: only ANY routes are expected, found {method}")
        target = resource["Properties"]["Target"]["Fn::Sub"]
        integration = resources[target.removeprefix("integrations/${").removesuffix("}")]
        function = integration["Properties"]["IntegrationUri"]["Fn::GetAtt"][0]
        routes[path] = function
    return routes


def mounted_routes(template_file: Path) -> dict:
    """{path: (methods, function)} as `sam local start-api` mounts them."""
    stacks, _ = SamLocalStackProvider.get_stacks(str(template_file))
    api = ApiProvider(stacks, cwd=str(template_file.parent))
    return {r.path: (set(r.methods), r.function_name) for r in api.routes}


def main() -> int:
    template_file = Path(sys.argv[1] if len(sys.argv) > 1 else "template.yaml").resolve()
    declared = declared_routes(yaml_parse(template_file.read_text()))
    mounted = mounted_routes(template_file)
    problems = []
    for path, function in sorted(declared.items()):
        if path not in mounted:
            problems.append(f"  {path}: not mounted (declared for {function})")
            continue
        methods, mounted_function = mounted[path]
        if mounted_function != function:
            problems.append(f"  {path}: mounted for {mounted_function}, declared for {function}")
        if methods != ANY:
            problems.append(f"  {path}: methods {sorted(methods)}, expected ANY")
    for path in sorted(set(mounted) - set(declared)):
        problems.append(f"  {path}: mounted but not declared")
    if problems:
        print(f"{template_file.name}: sam local would not serve the API as declared:", file=sys.stderr)
        print("\n".join(problems), file=sys.stderr)
        if not mounted:
            print(
                "  (SAM reads routes with the reader of the first API-related resource in template order:"
                " keep the AWS::ApiGatewayV2::* resources before the functions)",
                file=sys.stderr,
            )
        return 1
    print(f"{template_file.name}: sam local mounts all {len(declared)} routes, each on its function")
    return 0


if __name__ == "__main__":
    sys.exit(main())
