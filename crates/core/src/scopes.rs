//! The OAuth scopes of remote-mcp and the one tool → scope table, named once for the
//! authorization server (what it advertises, what the consent page says each scope unlocks, what
//! it grants), the resource server (which tools a token lists and may call) and the admin CLI
//! (what a machine client may be given).
//!
//! The rule is the tools' own: a tool that only reads (MCP annotation `readOnlyHint: true`) needs
//! [`READ`]; every other tool changes or deletes data and needs [`WRITE`] too. The MCP function's
//! tests hold each tool's annotations to its row in [`TOOLS`].

/// Any MCP request, and every read-only tool.
pub const READ: &str = "mcp";
/// Tools that change or delete data.
pub const WRITE: &str = "mcp:write";
/// Every scope, as advertised in the metadata documents; also what a client that names no scope
/// (or Claude's 2025 `claudeai`) asks for, the person choosing on the consent page.
pub const SUPPORTED: [&str; 2] = [READ, WRITE];
/// The hierarchy (MCP 2026-07-28 "Step-Up"): a granted scope brings the ones it implies.
pub const IMPLIES: [(&str, &str); 1] = [(WRITE, READ)];

/// A tool as scopes see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tool {
    /// The MCP tool name.
    pub name: &'static str,
    /// Its title (annotation), as people read it.
    pub title: &'static str,
    /// Whether it only reads (annotation `readOnlyHint`).
    pub read_only: bool,
}

impl Tool {
    /// Every scope a call needs (all of them, so one step-up asks for everything at once).
    pub fn scopes(&self) -> &'static [&'static str] {
        if self.read_only {
            &[READ]
        } else {
            &[READ, WRITE]
        }
    }

    /// The scope that unlocks it: the narrowest that grants all of [`Tool::scopes`].
    pub fn unlocked_by(&self) -> &'static str {
        if self.read_only { READ } else { WRITE }
    }
}

/// The one tool → scope table.
pub const TOOLS: &[Tool] = &[
    Tool {
        name: "whoami",
        title: "Who am I",
        read_only: true,
    },
    Tool {
        name: "list_notes",
        title: "List notes",
        read_only: true,
    },
    Tool {
        name: "search_notes",
        title: "Search notes",
        read_only: true,
    },
    Tool {
        name: "long_running_operation",
        title: "Long-running operation",
        read_only: true,
    },
    Tool {
        name: "provider_profile",
        title: "Profile at the identity provider",
        read_only: true,
    },
    Tool {
        name: "github_repositories",
        title: "GitHub repositories",
        read_only: true,
    },
    Tool {
        name: "add_note",
        title: "Add a note",
        read_only: false,
    },
    Tool {
        name: "delete_note",
        title: "Delete a note",
        read_only: false,
    },
];

/// Every scope a call of `tool` needs. A name that is no tool needs only [`READ`], so calling it
/// is the protocol's "unknown tool" error rather than a step-up (every tool has a row: the MCP
/// function's tests see to it).
pub fn required(tool: &str) -> &'static [&'static str] {
    TOOLS
        .iter()
        .find(|t| t.name == tool)
        .map_or(&[READ], Tool::scopes)
}

/// What `scope` allows, in words for the consent page and `/account`.
pub fn describe(scope: &str) -> &'static str {
    match scope {
        READ => "Read your data",
        WRITE => "Change and delete your data",
        _ => "Other access",
    }
}

/// The tools `scope` unlocks (those whose narrowest sufficient scope it is).
pub fn tools_unlocked_by(scope: &str) -> impl Iterator<Item = &'static Tool> {
    TOOLS.iter().filter(move |t| t.unlocked_by() == scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_tools_need_read_and_the_rest_need_write_too() {
        assert_eq!(required("list_notes"), &[READ]);
        assert_eq!(required("add_note"), &[READ, WRITE]);
        assert_eq!(required("delete_note"), &[READ, WRITE]);
        assert_eq!(required("no_such_tool"), &[READ]);
    }

    #[test]
    fn every_tool_is_unlocked_by_exactly_one_supported_scope() {
        let unlocked: usize = SUPPORTED.iter().map(|s| tools_unlocked_by(s).count()).sum();
        assert_eq!(unlocked, TOOLS.len());
    }
}
