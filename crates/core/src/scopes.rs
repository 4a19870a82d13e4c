//! The OAuth scopes of remote-mcp, named once for the authorization server (what it advertises and
//! grants), the resource server (what each tool needs) and the admin CLI (what a machine client
//! may be given).

/// Any MCP request, and every read-only tool.
pub const READ: &str = "mcp";
/// Tools that change or delete data.
pub const WRITE: &str = "mcp:write";
/// Every scope, as advertised in the metadata documents.
pub const SUPPORTED: [&str; 2] = [READ, WRITE];
/// The hierarchy (MCP 2026-07-28 "Step-Up"): a granted scope brings the ones it implies.
pub const IMPLIES: [(&str, &str); 1] = [(WRITE, READ)];
