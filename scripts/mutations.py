#!/usr/bin/env python3
"""Breaks, one at a time, the behaviours real clients depend on, and checks that the test suite notices.

Each mutation edits the source in place, asks the checks whether they notice, cheapest first, and
restores the source. The checks, in order: the template checks (scripts/check-template-policies.py,
scripts/check-deploy-role.py; seconds), the tests of the crate that holds the mutated file, every
Rust test of the workspace (the Claude replays included; cargo stops at the first failing test
binary), the real-client runs (scripts/sdk-clients.sh). The first check that fails catches the
mutation and names what failed; a mutation that nothing catches fails the run. `make mutations`
(about a minute per mutation on two cores once built); `make mutations ONLY=<words>` runs the
mutations whose name contains those words; `scripts/mutations.py --check` only checks that every
mutation still finds its text.

A run that is stopped leaves no mutation behind: a termination or hang-up signal restores the source
as an interrupt does, and what cannot be caught (SIGKILL, a machine going away) is undone by the
next run, or by the next `--check` (`make lint`), from a journal of the mutation in force
(target/mutation-in-force.json). A file edited since is left alone, with a message.
"""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JOURNAL = ROOT / "target" / "mutation-in-force.json"

# name -> [(file, original text, mutated text)]. Each original must occur exactly once, compared
# token by token: any whitespace (rustfmt's line breaks, indentation) matches any other, so a
# reformatted or moved line still anchors its mutation.
MUTATIONS = {
    "no trailing-slash resource normalisation": [
        (
            "crates/oauth/src/scope.rs",
            "if requested == canonical || requested == issuer || requested == root_with_slash {",
            "if requested == canonical || requested == issuer {",
        ),
    ],
    "authorization endpoint not at the root": [
        (
            "crates/oauth/src/paths.rs",
            'pub const AUTHORIZE: &str = "/authorize";',
            'pub const AUTHORIZE: &str = "/oauth/authorize";',
        ),
    ],
    "no iss in the authorization response": [
        (
            "crates/oauth/src/authorize/mod.rs",
            'all.push(("iss", issuer));',
            "",
        ),
    ],
    "wrong registration_client_uri": [
        (
            "crates/oauth/src/register.rs",
            'registration_client_uri: config.url(&format!("/register/{}", client.id)),',
            'registration_client_uri: config.url("/register"),',
        ),
    ],
    "403 instead of 401 for a bad token": [
        (
            "crates/mcp/src/bearer.rs",
            """            return Err(unauthorized(
                state,
                Some(("invalid_token", "the access token is invalid or expired")),
            ));""",
            "            return Err(StatusCode::FORBIDDEN.into_response());",
        ),
    ],
    "refresh does not rotate the refresh token": [
        (
            "crates/oauth/src/token/refresh.rs",
            "Under::Refresh(&grant.id, next),",
            "Under::Refresh(&grant.id, token),",
        ),
    ],
    "a replayed refresh token does not revoke the grant": [
        (
            "crates/core/src/model/refresh.rs",
            "if is_previous || self.retired.iter().any(|r| presented.ct_eq(r)) {",
            "if false {",
        ),
    ],
    "strict version header: legacy header with 2026-07-28 _meta refused again": [
        (
            "crates/mcp/src/compat.rs",
            "        && LEGACY.contains(&header_version);",
            "        && LEGACY.contains(&header_version)\n        && false;",
        ),
    ],
    "406 for Accept: application/json": [
        (
            "crates/mcp/src/compat.rs",
            """    match headers.get_mut(header::ACCEPT) {
        Some(accept) if single => *accept = HeaderValue::from_static(ACCEPT_BOTH),
        _ => {
            headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT_BOTH));
        }
    }""",
            "    let _ = single;",
        ),
    ],
    "an Accept given on two lines is left for rmcp to refuse": [
        (
            "crates/mcp/src/compat.rs",
            "            headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT_BOTH));",
            "",
        ),
    ],
    "the audit line is written apart from the request's metrics record": [
        (
            "crates/core/src/telemetry.rs",
            "if !crate::observe::hold_with(line) {",
            "if true {",
        ),
    ],
    "dynamically registered clients may use client_credentials": [
        (
            "crates/core/src/model/client.rs",
            """        self.registered_by == Registration::Operator
            && self.credential.is_confidential()""",
            """        self.credential.is_confidential()""",
        ),
        (
            "crates/oauth/src/register.rs",
            """g != "client_credentials" && capabilities.grant_types_supported""",
            """capabilities.grant_types_supported""",
        ),
    ],
    "without credentials in the environment the AWS clients ignore the container endpoint": [
        (
            "crates/core/src/aws.rs",
            """aws_config::ecs::EcsCredentialsProvider::builder()
                .configure(&provider_config)
                .build(),""",
            """aws_config::environment::EnvironmentVariableCredentialsProvider::new(),""",
        ),
    ],
    "the MCP function skips the revocation check": [
        (
            "crates/mcp/src/bearer.rs",
            "match state.revocations.stands(&claims, now).await {",
            "match Ok::<bool, remote_mcp_core::StoreError>(true) {",
        ),
    ],
    "the DynamoDB sign-in throttle counts without its limit": [
        (
            "crates/core/src/store/dynamo/accounts.rs",
            '.condition_expression("attribute_not_exists(#count) OR #count < :limit")',
            '.condition_expression("attribute_not_exists(#count) OR #count < :limit OR #count >= :limit")',
        ),
    ],
    "a DynamoDB listing stops after its first page": [
        (
            "crates/core/src/store/dynamo/mod.rs",
            """            .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await""",
            """            .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map(|out| out.items.unwrap_or_default())""",
        ),
    ],
    "the sign-in password is checked before the attempt is counted": [
        (
            "crates/oauth/src/sign_in.rs",
            ".reserve_attempt(key, now, window, *limit)",
            ".reserve_attempt(key, now, window, u32::MAX)",
        ),
    ],
    "the previous signing key is not trusted during a rotation": [
        (
            "crates/core/src/token/verify.rs",
            "        keys.push(key);",
            "        let _ = key;",
        ),
    ],
    "a JSON-RPC batch bypasses the scope check": [
        (
            "crates/mcp/src/envelope.rs",
            """    let Some(message) = Message::parse(&bytes) else {
        return Err(not_a_message(&bytes));
    };
    parts.extensions.insert(message);""",
            """    if let Some(message) = Message::parse(&bytes) {
        parts.extensions.insert(message);
    }""",
        ),
    ],
    "direct answers ignore a mismatched Mcp-Name": [
        (
            "crates/mcp/src/direct.rs",
            "let name_agrees = only(headers, MCP_NAME)? == envelope.target_name();",
            "let name_agrees = true;",
        ),
    ],
    "federated sign-in skips the nonce check": [
        (
            "crates/oauth/src/federation/oidc/id_token.rs",
            "if claims.nonce.as_deref() != Some(expected.nonce) {",
            "if false {",
        ),
    ],
    "federated sign-in links by e-mail": [
        (
            "crates/oauth/src/federation/linking.rs",
            "if let Some(user) = accounts.user_by_identity(self.issuer, self.subject).await? {\n            return Ok(Linked::User(user));\n        }\n        let identity",
            "if let Some(user) = accounts.user_by_email(self.email).await? {\n            return Ok(Linked::User(user));\n        }\n        let identity",
        ),
    ],
    "federated sign-in accepts an unverified e-mail": [
        (
            "crates/oauth/src/federation/callback.rs",
            "if !rules::email_verified(&upstream.issuer, &upstream.person) {",
            "if false {",
        ),
    ],
    "federated sign-in ignores the authorization response's iss": [
        (
            "crates/oauth/src/federation/callback.rs",
            "Some(iss) if iss != issuer => {",
            "Some(iss) if iss != issuer && false => {",
        ),
    ],
    "/account lists another user's grants": [
        (
            "crates/core/src/store/memory/grants.rs",
            ".filter(|g| g.subject == subject && now < g.expires_at)",
            ".filter(|g| now < g.expires_at)",
        ),
    ],
    "/account disconnects another user's grant": [
        (
            "crates/oauth/src/account/act.rs",
            "Ok(found) => found.is_some_and(|g| g.subject == person),",
            "Ok(found) => found.is_some(),",
        ),
    ],
    "tools/list not filtered by scope": [
        (
            "crates/mcp/src/server/mod.rs",
            "tools.retain(|tool| caller.has_all(remote_mcp_core::scopes::required(&tool.name)));",
            "tools.retain(|tool| caller.has_all(&[]) || tool.name.is_empty());",
        ),
    ],
    "the consent page's read-only choice is ignored": [
        (
            "crates/oauth/src/authorize/decision.rs",
            "Some(ACCESS_READ_ONLY) => Ok(asked.read_only()),",
            "Some(ACCESS_READ_ONLY) => Ok(asked),",
        ),
    ],
    "a write tool needs only the read scope": [
        (
            "crates/core/src/scopes.rs",
            """        if self.read_only {
            &[READ]""",
            """        if self.read_only || self.name == "add_note" {
            &[READ]""",
        ),
    ],
    "direct answers for a Host that is not ours": [
        (
            "crates/mcp/src/direct.rs",
            "if !is_json || !our_host || param_headers {",
            "if !is_json || param_headers {",
        ),
    ],
    "a replayed client assertion jti is accepted": [
        (
            "crates/oauth/src/client_auth.rs",
            """if !state
        .grants
        .first_use(&once, accepted.expires_at, now)
        .await?
    {""",
            """if !state
        .grants
        .first_use(&once, accepted.expires_at, now)
        .await?
        && false
    {""",
        ),
    ],
    "a replayed ID-JAG jti is accepted": [
        (
            "crates/oauth/src/token/enterprise.rs",
            """if !state
        .grants
        .first_use(&once, claims.remembered_until(), now)
        .await?
    {""",
            """if !state
        .grants
        .first_use(&once, claims.remembered_until(), now)
        .await?
        && false
    {""",
        ),
    ],
    "an ID-JAG for another client is accepted": [
        (
            "crates/oauth/src/id_jag.rs",
            "if claims.client_id != expected.client_id {",
            "if false {",
        ),
    ],
    "ID-JAG scopes not intersected": [
        (
            "crates/oauth/src/token/enterprise.rs",
            "let scopes = requested.intersection(&granted);",
            "let scopes = requested.clone();",
        ),
    ],
    "a concurrent refresh revokes the family": [
        (
            "crates/core/src/model/refresh.rs",
            "if is_previous && now < self.grace_until {",
            "if is_previous && now < self.grace_until && false {",
        ),
    ],
    "a private_key_jwt metadata document is negotiated to none": [
        (
            "crates/oauth/src/cimd.rs",
            """let chosen = if offered.contains(&"private_key_jwt") && keys.is_some() {""",
            """let chosen = if false {""",
        ),
    ],
    "an unknown client key id refetches the key set on every request": [
        (
            "crates/oauth/src/client_keys.rs",
            "if now < entry.attempted_at + REFETCH_FLOOR {",
            "if false {",
        ),
    ],
    "a tool result longer than the limit is sent whole": [
        (
            "crates/mcp/src/result_limit.rs",
            "if texts().map(|t| t.text.len()).sum::<usize>() <= limit {",
            "if true {",
        ),
    ],
    "introspection ignores a revoked grant": [
        (
            "crates/oauth/src/introspect.rs",
            "if !standing {",
            "if false {",
        ),
    ],
    "the account sign-in form is not bound to its browser (login CSRF)": [
        (
            "crates/oauth/src/account/act.rs",
            """    if !bound {
        return sign_in_page(""",
            """    if !bound && false {
        return sign_in_page(""",
        ),
    ],
    "cross-site posts are accepted": [
        (
            "crates/oauth/src/same_origin.rs",
            """        return matches!(site, "same-origin" | "none");""",
            """        return !site.is_empty();""",
        ),
    ],
    "sign-out leaves the session alive on the server": [
        (
            "crates/oauth/src/account/act.rs",
            "if let Err(err) = state.accounts.end_session(&SecretHash::of(&session)).await {",
            "if let Err(err) = Ok::<(), remote_mcp_core::StoreError>(()) {",
        ),
    ],
    "Google's allowed_domains ignore the hd claim": [
        (
            "crates/oauth/src/federation/rules.rs",
            "if issuer == GOOGLE {",
            "if issuer == GOOGLE && false {",
        ),
    ],
    "anonymous callers may store without limit": [
        (
            "crates/oauth/src/source.rs",
            "if writes > ANONYMOUS_WRITES_PER_SOURCE {",
            "if writes > u32::MAX - 1 {",
        ),
    ],
    "a task is answered before it is stored": [
        (
            "crates/mcp/src/tasks.rs",
            "self.store.create_task(&record).await.map_err(store_error)?;",
            """        {
            let (store, late) = (self.store.clone(), record.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let _ = store.create_task(&late).await;
            });
        }""",
        ),
    ],
    "a person's task is visible through another client": [
        (
            "crates/mcp/src/tasks.rs",
            ".filter(|task| task.belongs_to(&caller.subject, &caller.client_id))",
            ".filter(|_| true)",
        ),
    ],
    "another person's task is visible": [
        (
            "crates/mcp/src/tasks.rs",
            ".filter(|task| task.belongs_to(&caller.subject, &caller.client_id))",
            ".filter(|task| task.caller.client_id == caller.client_id || true)",
        ),
        (
            "crates/core/src/store/table.rs",
            """    pub fn task(owner: &str, id: &str) -> Self {
        Self {
            pk: Self::user(owner),""",
            """    pub fn task(owner: &str, id: &str) -> Self {
        let _ = owner;
        Self {
            pk: "TASKS".to_owned(),""",
        ),
        (
            "crates/core/src/store/memory/tasks.rs",
            """            .get(&(owner.to_owned(), id.to_owned()))
            .filter(|t| now < t.expires_at)
            .map(|t| t.clone().observed(now)))""",
            """            .values()
            .find(|t| t.id == id && now < t.expires_at && !owner.is_empty())
            .map(|t| t.clone().observed(now)))""",
        ),
    ],
    "a client that did not declare tasks is given one": [
        (
            "crates/mcp/src/server/handler.rs",
            "            if declared {",
            "            if declared || !declared {",
        ),
    ],
    "our access token sent upstream": [
        (
            "crates/mcp/src/elsewhere.rs",
            "if is_ours(token, &self.issuer) {",
            "if false {",
        ),
    ],
    "an upstream refresh without the lock": [
        (
            "crates/core/src/upstream/mod.rs",
            """            if read.value.refreshing_elsewhere(&holder, now) {
                tokio::time::sleep(WAIT_STEP).await;
                continue;
            }""",
            "",
        ),
    ],
    "the OAuth function may open the token vault": [
        (
            "template.yaml",
            "Action: kms:GenerateDataKey",
            "Action: [kms:GenerateDataKey, kms:Decrypt]",
        ),
    ],
    "the deploy role trusts any branch": [
        (
            "infrastructure/github-deploy-role.yaml",
            "StringEquals:",
            "StringLike:",
        ),
        (
            "infrastructure/github-deploy-role.yaml",
            'token.actions.githubusercontent.com:sub: !Sub "repo:${GitHubRepository}:environment:production"',
            'token.actions.githubusercontent.com:sub: !Sub "repo:${GitHubRepository}:*"',
        ),
    ],
    "the deploy role trusts any repository": [
        (
            "infrastructure/github-deploy-role.yaml",
            'token.actions.githubusercontent.com:sub: !Sub "repo:${GitHubRepository}:environment:production"',
            'token.actions.githubusercontent.com:sub: "repo:*:environment:production"',
        ),
    ],
    "a vault record is not bound to its person": [
        (
            "crates/core/src/vault.rs",
            '("person".to_owned(), person.to_owned()),',
            '("person".to_owned(), String::new()),',
        ),
    ],
}


def anchor(text: str) -> re.Pattern[str]:
    """`text` as a pattern in which every run of whitespace matches any run of whitespace."""
    return re.compile(r"\s+".join(re.escape(token) for token in text.split()))


def run(command: list[str]) -> tuple[int, str]:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def package_of(file: str) -> str:
    """The cargo package whose directory holds `file` (crates/<dir>/…)."""
    manifest = (ROOT / Path(file).parts[0] / Path(file).parts[1] / "Cargo.toml").read_text()
    found = re.search(r'^name = "([^"]+)"', manifest, re.M)
    return found.group(1) if found else ""


def cargo_failures(args: list[str]) -> list[str]:
    status, out = run(["cargo", "test", "--locked", *args])
    failed = [f"cargo test: {name}" for name in re.findall(r"^test (\S+) \.\.\. FAILED$", out, re.M)]
    if status != 0 and not failed:
        failed.append("cargo test: " + (out.strip().splitlines() or ["failed"])[-1])
    return failed


def script_failures(command: list[str], label: str) -> list[str]:
    status, out = run(command)
    failed = [f"{label}: {line[5:]}" for line in out.splitlines() if line.startswith("FAIL")]
    failed += [
        f"{label}: {' '.join(line.split()[:3])}"
        for line in out.splitlines()
        if line.rstrip().endswith("FAIL") and not line.startswith("FAIL")
    ]
    if status != 0 and not failed:
        failed.append(f"{label}: " + (out.strip().splitlines() or ["failed"])[-1])
    return failed


def caught_by(files: list[str]) -> list[str]:
    """What fails with the source as it is now: the first check, cheapest first, that fails."""
    python = str(ROOT / ".venv" / "bin" / "python")
    checks = [
        lambda: script_failures([python, "scripts/check-template-policies.py"], "check-template-policies.py"),
        lambda: script_failures([python, "scripts/check-deploy-role.py"], "check-deploy-role.py"),
    ]
    code = [file for file in files if file.startswith("crates/")]
    for package in dict.fromkeys(package_of(file) for file in code):
        checks.append(lambda package=package: cargo_failures(["-p", package]))
    if code:
        checks.append(lambda: cargo_failures(["--workspace"]))
        checks.append(lambda: script_failures(["scripts/sdk-clients.sh"], "sdk-clients"))
    for check in checks:
        failed = check()
        if failed:
            return failed
    return []


def record_in_force(name: str, files: dict[Path, tuple[str, str]]) -> None:
    """Journals the mutation about to be written: each file's original and mutated text."""
    JOURNAL.parent.mkdir(exist_ok=True)
    entries = {str(path.relative_to(ROOT)): {"original": original, "mutated": mutated}
               for path, (original, mutated) in files.items()}
    JOURNAL.write_text(json.dumps({"mutation": name, "files": entries}))


def undo_interrupted_run() -> None:
    """Restores what a run that could not clean up (SIGKILL) left mutated, per the journal."""
    if not JOURNAL.exists():
        return
    journal = json.loads(JOURNAL.read_text())
    for file, texts in journal["files"].items():
        path = ROOT / file
        current = path.read_text() if path.exists() else None
        if current == texts["mutated"]:
            path.write_text(texts["original"])
            print(f"restored {file}: an interrupted run left the mutation {journal['mutation']!r} in it")
        elif current != texts["original"]:
            print(f"warning: {file} has changed since an interrupted run mutated it "
                  f"({journal['mutation']!r}); left as it is: compare it with git")
    JOURNAL.unlink()


def stop_on_signal(number, _frame):
    """Termination and hang-up unwind like an interrupt, so the source is restored."""
    raise SystemExit(128 + number)


def check_anchors() -> int:
    """Every mutation still finds its text exactly once (fast; part of `make lint`)."""
    bad = 0
    for name, edits in MUTATIONS.items():
        for file, before, _ in edits:
            path = ROOT / file
            found = len(anchor(before).findall(path.read_text())) if path.exists() else 0
            if found != 1:
                print(f"mutation {name!r}: its text is in {file} {found} times, not once")
                bad += 1
    print(f"{len(MUTATIONS)} mutations anchored" if not bad else f"{bad} mutation anchor(s) broken")
    return 1 if bad else 0


def main() -> int:
    undo_interrupted_run()
    if sys.argv[1:] == ["--check"]:
        return check_anchors()
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, stop_on_signal)
    if len(sys.argv) > 1:
        print(__doc__.strip())
        return 0 if sys.argv[1] in ("-h", "--help") else 2
    only = os.environ.get("ONLY", "")
    selected = {name: edits for name, edits in MUTATIONS.items() if only in name}
    survivors = []
    for name, edits in selected.items():
        originals, mutated = {}, {}
        for file, before, after in edits:
            path = ROOT / file
            originals.setdefault(path, path.read_text())
            current = mutated.get(path, originals[path])
            found = list(anchor(before).finditer(current))
            if len(found) != 1:
                print(f"{name}: the text to mutate is in {file} {len(found)} times, not once; update this script")
                return 2
            start, end = found[0].span()
            mutated[path] = current[:start] + after + current[end:]
        record_in_force(name, {path: (originals[path], text) for path, text in mutated.items()})
        try:
            for path, text in mutated.items():
                path.write_text(text)
            print(f"mutation: {name}", flush=True)
            failed = caught_by([file for file, _, _ in edits])
        finally:
            for path, text in originals.items():
                path.write_text(text)
            JOURNAL.unlink(missing_ok=True)
        if failed:
            print(f"  caught by {len(failed)}:")
            for item in failed[:12]:
                print(f"    {item}")
            if len(failed) > 12:
                print(f"    … and {len(failed) - 12} more")
        else:
            print("  NOT CAUGHT")
            survivors.append(name)
    if survivors:
        print(f"{len(survivors)} mutation(s) survived: {', '.join(survivors)}")
        return 1
    print(f"all {len(selected)} mutations caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
