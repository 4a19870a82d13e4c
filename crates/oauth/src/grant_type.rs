//! The grant types `/token` implements (RFC 6749 §4, RFC 7523 §2.1): what the metadata advertises
//! and the token endpoint parses, named once.

/// The grant types of RFC 6749 §4 we implement; the metadata advertises exactly these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    /// RFC 7523 §2.1 with an Identity Assertion JWT Authorization Grant ([`crate::id_jag`]):
    /// offered only where an identity provider is trusted to issue them.
    JwtBearer,
}

impl GrantType {
    /// Every grant type, in the order the metadata lists them.
    pub const ALL: [Self; 4] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::JwtBearer,
    ];

    /// The `grant_type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
        }
    }

    /// The grant type a `grant_type` value names.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == value)
    }
}
