//! The audit trail: one JSON log line per security-relevant event, under the target `audit`, with
//! the same fields everywhere, so one CloudWatch Logs Insights query answers "what did this client
//! do for this user" (README: Audit trail).
//!
//! ```text
//! {"level":"INFO","fields":{"message":"token.issued","event":"token.issued","user":"…",
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
        tracing::info!(
            target: "audit",
            event = self.event,
            user = self.user,
            client = self.client,
            grant = self.grant,
            source,
            request,
            detail = self.detail,
            "{}",
            self.event
        );
    }
}
