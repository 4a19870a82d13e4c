//! The caller's network address, for per-source limits (sign-in throttle, registrations), and the
//! one limit on what anonymous callers may make us store.

pub use remote_mcp_core::observe::{request_id, source_address};

use remote_mcp_core::{StoreError, Throttle, UnixTime};
use std::time::Duration;

/// Records stored for anonymous callers (consent transactions, sign-ins started at an identity
/// provider) per source address and window: room for a team behind one address, none for a
/// script filling the table.
pub const ANONYMOUS_WRITES_PER_SOURCE: u32 = 120;
/// The window of [`ANONYMOUS_WRITES_PER_SOURCE`].
pub const ANONYMOUS_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Counts one record stored for an anonymous caller at `source`; `false` once the source is over
/// [`ANONYMOUS_WRITES_PER_SOURCE`] in this window (then nothing should be stored).
pub async fn anonymous_write_allowed(
    throttle: &dyn Throttle,
    source: &str,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let writes = throttle
        .count_attempt(&format!("anonymous:{source}"), now, ANONYMOUS_WINDOW)
        .await?;
    if writes > ANONYMOUS_WRITES_PER_SOURCE {
        tracing::warn!(source, writes, "anonymous write limit reached");
        return Ok(false);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::ConnectInfo;
    use axum::http::Extensions;
    use std::net::SocketAddr;

    #[test]
    fn lambda_requests_use_api_gateways_source_ip() {
        let event = r#"{
            "version": "2.0", "routeKey": "$default", "rawPath": "/register", "rawQueryString": "",
            "headers": {"host": "api.example.com"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com",
                "domainPrefix": "api", "requestId": "r1", "routeKey": "$default", "stage": "$default",
                "time": "22/Nov/2026:12:00:00 +0000", "timeEpoch": 1795348800000,
                "http": {"method": "POST", "path": "/register", "protocol": "HTTP/1.1",
                         "sourceIp": "203.0.113.7", "userAgent": "Claude-User"}
            },
            "isBase64Encoded": false
        }"#;
        let request = lambda_http::request::from_str(event).unwrap();
        assert_eq!(source_address(request.extensions()), "203.0.113.7");
    }

    #[test]
    fn local_requests_use_the_socket_peer_and_others_share_unknown() {
        let mut extensions = Extensions::new();
        assert_eq!(source_address(&extensions), "unknown");
        extensions.insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 5000))));
        assert_eq!(source_address(&extensions), "127.0.0.1");
    }
}
