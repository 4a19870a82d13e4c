//! Scopes (RFC 6749 §3.3) and resource indicators (RFC 8707).
//!
//! Scopes: `mcp` (the read-only tools) and `mcp:write` (the tools that change or delete data),
//! where `mcp:write` implies `mcp`. A client that names no scope asks for every scope, and so does
//! Claude's 2025 connector with its `claudeai`: the person approving chooses on the consent page
//! what the connection gets (all of it, or read-only).
//! Resources: the canonical MCP URL only; Claude's `https://host/` (root with a trailing slash) is
//! normalised to it, and nothing else is.

use std::collections::BTreeSet;

/// What a client asking for no scope asks for: every scope.
pub const DEFAULT_SCOPES: [&str; 2] = remote_mcp_core::scopes::SUPPORTED;
/// Claude's 2025 scope name, an alias of [`DEFAULT_SCOPES`].
const CLAUDE_ALIAS: &str = "claudeai";

/// A validated, de-duplicated scope set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parses a requested `scope`; unknown values are an error (`invalid_scope`).
    pub fn parse(requested: Option<&str>) -> Result<Self, String> {
        let mut scopes = BTreeSet::new();
        for scope in requested.unwrap_or_default().split_ascii_whitespace() {
            if scope == CLAUDE_ALIAS {
                scopes.extend(DEFAULT_SCOPES.map(str::to_owned));
                continue;
            }
            if !remote_mcp_core::scopes::SUPPORTED.contains(&scope) {
                return Err(format!("unknown scope {scope:?}"));
            }
            scopes.insert(scope.to_owned());
        }
        if scopes.is_empty() {
            scopes.extend(DEFAULT_SCOPES.map(str::to_owned));
        }
        for (scope, implied) in remote_mcp_core::scopes::IMPLIES {
            if scopes.contains(scope) {
                scopes.insert(implied.to_owned());
            }
        }
        Ok(Self(scopes))
    }

    /// A refresh's `scope`, at most `granted` (RFC 6749 §6): Claude's `claudeai` there means
    /// "what I was granted", however much less than everything the person chose.
    pub fn narrowing(requested: &str, granted: &Scopes) -> Result<Self, String> {
        if requested
            .split_ascii_whitespace()
            .all(|s| s == CLAUDE_ALIAS)
        {
            return Ok(granted.clone());
        }
        let requested = Self::parse(Some(requested))?;
        if !requested.is_subset_of(granted) {
            return Err("a refresh may only narrow the granted scope".into());
        }
        Ok(requested)
    }

    /// Reads a stored scope string (already validated when stored).
    pub fn from_stored(stored: &str) -> Self {
        Self(stored.split_ascii_whitespace().map(str::to_owned).collect())
    }

    /// The scopes someone else granted (an ID-JAG's `scope`): the ones we know, with what they
    /// imply; others (an identity provider's own, like `openid`) are not ours to grant.
    pub fn known(granted: &str) -> Self {
        let mut scopes: BTreeSet<String> = granted
            .split_ascii_whitespace()
            .filter(|s| remote_mcp_core::scopes::SUPPORTED.contains(s))
            .map(str::to_owned)
            .collect();
        for (scope, implied) in remote_mcp_core::scopes::IMPLIES {
            if scopes.contains(scope) {
                scopes.insert(implied.to_owned());
            }
        }
        Self(scopes)
    }

    /// The scopes in both.
    pub fn intersection(&self, other: &Scopes) -> Self {
        Self(self.0.intersection(&other.0).cloned().collect())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether every scope here is also in `granted`.
    pub fn is_subset_of(&self, granted: &Scopes) -> bool {
        self.0.is_subset(&granted.0)
    }

    /// These scopes without any that changes data: what "read-only" on the consent page grants.
    pub fn read_only(&self) -> Self {
        let mut scopes = self.0.clone();
        scopes.retain(|s| s == remote_mcp_core::scopes::READ);
        Self(scopes)
    }

    /// Whether `scope` is included.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    /// The scopes as a list.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.iter().cloned().collect::<Vec<_>>().join(" "))
    }
}

/// Resolves an RFC 8707 `resource` parameter to the canonical MCP resource. Omitted means the
/// canonical one (2025-03-26 clients never send it); anything else must name it exactly, except
/// the root-with-trailing-slash form Claude derives from the server URL.
pub fn resource(requested: Option<&str>, canonical: &str, issuer: &str) -> Result<String, String> {
    let Some(requested) = requested else {
        return Ok(canonical.to_owned());
    };
    let root_with_slash = format!("{issuer}/");
    if requested == canonical || requested == issuer || requested == root_with_slash {
        return Ok(canonical.to_owned());
    }
    Err(format!("this server only issues tokens for {canonical}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_defaults_aliases_and_hierarchy() {
        let all = "mcp mcp:write";
        assert_eq!(Scopes::parse(None).unwrap().to_string(), all);
        assert_eq!(Scopes::parse(Some("claudeai")).unwrap().to_string(), all);
        assert_eq!(Scopes::parse(Some("mcp:write")).unwrap().to_string(), all);
        assert_eq!(Scopes::parse(Some("  ")).unwrap().to_string(), all);
        assert_eq!(Scopes::parse(Some("mcp")).unwrap().to_string(), "mcp");
        assert_eq!(
            Scopes::parse(Some("mcp:write"))
                .unwrap()
                .read_only()
                .to_string(),
            "mcp"
        );
        assert!(Scopes::parse(Some("mcp admin")).is_err());
        assert!(Scopes::parse(Some("offline_access")).is_err());
    }

    #[test]
    fn resource_normalises_only_the_root_slash() {
        let canonical = "https://mcp.example.com/mcp";
        let issuer = "https://mcp.example.com";
        let r = |x| resource(x, canonical, issuer);
        assert_eq!(r(None).unwrap(), canonical);
        assert_eq!(r(Some(canonical)).unwrap(), canonical);
        assert_eq!(r(Some("https://mcp.example.com/")).unwrap(), canonical);
        assert_eq!(r(Some("https://mcp.example.com")).unwrap(), canonical);
        for bad in [
            "https://mcp.example.com/mcp/",
            "https://mcp.example.com/other",
            "https://evil.example.com/mcp",
            "https://mcp.example.com/mcp#x",
            "http://mcp.example.com/mcp",
        ] {
            assert!(r(Some(bad)).is_err(), "{bad}");
        }
    }
}
