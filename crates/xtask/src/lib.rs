//! Tools that drive remote-mcp from outside, as its users' clients and AWS's emulators do; the
//! development server itself is `crates/local`.
//!
//! | module or binary | what |
//! |---|---|
//! | [`replay`] | Claude's recorded traffic (`fixtures/`) replayed in process, over HTTP, under `cargo lambda watch` and `sam local` |
//! | [`local_aws`] | moto's KMS and DynamoDB Local wired for the Lambda emulators |
//! | [`process_group`] | child process groups stopped by `killpg`, nothing else |
//! | `remote-mcp-replay` | `make lambda-replay`, `make replay URL=…` |
//! | `remote-mcp-sam-local` | `make sam-local`, `make sam-local-replay` (through `scripts/sam-local.sh`) |
//! | `remote-mcp-token` | `make token`, `make inspect`: a token from the headless OAuth flow ([`remote_mcp_testkit::headless`]) |

pub mod local_aws;
pub mod process_group;
pub mod replay;
