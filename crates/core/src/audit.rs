//! The audit trail: one JSON log line per security-relevant event, under the target `audit`, with
//! the same fields everywhere, so one CloudWatch Logs Insights query answers "what did this client
//! do for this user" (docs/monitoring.md, *Audit trail*).
//!
//! ```text
//! {"level":"INFO","fields":{"event":"token.issued","user":"…",
//!  "client":"…","grant":"…","source":"203.0.113.7","request":"…","detail":"mcp"},"target":"audit"}
//! ```
//!
//! Never a secret: no password, code, token or client secret is ever a field (a test greps every
//! line of a full journey for them).

/// One event, built field by field and written by [`Audit::log`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Audit<'a> {
    event: &'static str,
    user: Option<&'a str>,
    client: Option<&'a str>,
    grant: Option<&'a str>,
    source: Option<&'a str>,
    request: Option<&'a str>,
    detail: Option<&'a str>,
    named: Option<&'a str>,
}

/// The most characters of a client-supplied string a log line carries.
pub const MAX_LOGGED_CHARS: usize = 200;

/// `text` cut to [`MAX_LOGGED_CHARS`] characters (with `…` where it was cut): every string a client
/// chose goes through this before a log line, so a line stays small and one query cannot be fooled
/// by what a client sends. Escaping is the JSON formatter's.
pub fn clip(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_LOGGED_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some((end, _)) => std::borrow::Cow::Owned(format!("{}…", &text[..end])),
    }
}

impl<'a> Audit<'a> {
    /// An event: `client.registered`, `consent.approved`, `token.issued`, `tool.called`, …
    pub fn new(event: &'static str) -> Self {
        Self {
            event,
            ..Self::default()
        }
    }

    /// The person (our user id).
    pub fn user(self, user: &'a str) -> Self {
        Self {
            user: Some(user),
            ..self
        }
    }

    /// The OAuth client.
    pub fn client(self, client: &'a str) -> Self {
        Self {
            client: Some(client),
            ..self
        }
    }

    /// The grant (a connection).
    pub fn grant(self, grant: &'a str) -> Self {
        Self {
            grant: Some(grant),
            ..self
        }
    }

    /// The caller's network address.
    pub fn source(self, source: &'a str) -> Self {
        Self {
            source: Some(source),
            ..self
        }
    }

    /// API Gateway's request id, when there is one.
    pub fn request(self, request: Option<&'a str>) -> Self {
        Self { request, ..self }
    }

    /// What else the event needs: scopes granted, the tool and its outcome, why a sign-in failed.
    pub fn detail(self, detail: &'a str) -> Self {
        Self {
            detail: Some(detail),
            ..self
        }
    }

    /// What the client named, when it is not something we know (a tool name that is no tool): kept
    /// apart from the canonical fields, cut to [`MAX_LOGGED_CHARS`].
    pub fn named(self, named: &'a str) -> Self {
        Self {
            named: Some(named),
            ..self
        }
    }

    /// Writes the line, with the source address and request id of the request being served
    /// ([`crate::observe`]) unless given, and counts the event in that request's metrics.
    pub fn log(self) {
        crate::observe::count(self.event);
        crate::observe::with_current(|current| {
            let source = self.source.or(current.map(|(source, _)| source));
            let request = self.request.or(current.and_then(|(_, request)| request));
            self.write(source, request);
        });
    }

    fn write(self, source: Option<&str>, request: Option<&str>) {
        fn clipped(field: Option<&str>) -> Option<std::borrow::Cow<'_, str>> {
            field.map(clip)
        }
        tracing::info!(
            target: "audit",
            event = self.event,
            user = clipped(self.user).as_deref(),
            client = clipped(self.client).as_deref(),
            grant = clipped(self.grant).as_deref(),
            source = clipped(source).as_deref(),
            request = clipped(request).as_deref(),
            detail = clipped(self.detail).as_deref(),
            named = clipped(self.named).as_deref(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_supplied_strings_are_clipped_for_logs() {
        assert_eq!(clip("add_note"), "add_note");
        let long = "x".repeat(900_000);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), MAX_LOGGED_CHARS + 1);
        assert!(clipped.ends_with('…'));
        assert_eq!(clip(&"é".repeat(300)).chars().count(), MAX_LOGGED_CHARS + 1);
    }
}
