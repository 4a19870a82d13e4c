//! Every path the authorization server serves, written once: the routes, the metadata documents
//! and `template.yaml` (held to [`ALL`] by a test) all read them here.

/// RFC 8414 §3: the authorization server metadata.
pub const METADATA: &str = "/.well-known/oauth-authorization-server";
/// OIDC Discovery's name for the same document.
pub const OIDC_METADATA: &str = "/.well-known/openid-configuration";
/// RFC 7517: our signing keys.
pub const JWKS: &str = "/.well-known/jwks.json";
/// RFC 6749 §3.1 (at the root: Claude falls back to it without metadata).
pub const AUTHORIZE: &str = "/authorize";
/// RFC 6749 §3.2 (at the root, as `/authorize`).
pub const TOKEN: &str = "/token";
/// RFC 7591 §3.
pub const REGISTER: &str = "/register";
/// RFC 7592 §2: one registered client.
pub const REGISTERED_CLIENT: &str = "/register/{client_id}";
/// RFC 7009.
pub const REVOKE: &str = "/revoke";
/// RFC 7662.
pub const INTROSPECT: &str = "/introspect";
/// Where the consent page sends the browser to sign in with identity provider `{provider}`.
pub const FEDERATION_START: &str = "/federation/{provider}/start";
/// Where each identity provider sends the browser back.
pub const FEDERATION_CALLBACK: &str = "/federation/{provider}/callback";
/// Connected apps.
pub const ACCOUNT: &str = "/account";

/// Every path, as the routes and API Gateway name them.
pub const ALL: [&str; 12] = [
    METADATA,
    OIDC_METADATA,
    JWKS,
    AUTHORIZE,
    TOKEN,
    REGISTER,
    REGISTERED_CLIENT,
    REVOKE,
    INTROSPECT,
    FEDERATION_START,
    FEDERATION_CALLBACK,
    ACCOUNT,
];
