//! Tolerances for what deployed Claude clients send, applied in front of rmcp's strict checks.
//! Each is as narrow as the behaviour it absorbs, and each can be deleted once Claude is fixed.
//!
//! 1. **A legacy `MCP-Protocol-Version` with a 2026-07-28 `_meta`.** Since their 2026-07-28
//!    rollout, Claude Desktop and Claude Code (through claude.ai connectors) send
//!    `MCP-Protocol-Version: 2025-11-25` on every request after `server/discover`, while the body's
//!    `_meta["io.modelcontextprotocol/protocolVersion"]` says `2026-07-28`
//!    (<https://github.com/anthropics/claude-code/issues/93290>). rmcp, as the specification says,
//!    answers `400 -32020 HeaderMismatch`, which the connector shows as every tool call failing.
//!    Exactly that pair (a known version before 2026-07-28 in the header, 2026-07-28 in `_meta`, on
//!    a request) is served as 2026-07-28: the header is restated as `2026-07-28`, and the
//!    `Mcp-Method`/`Mcp-Name` headers a legacy-speaking client has no reason to send are supplied
//!    from the body. Headers the client did send are left for rmcp to check, so a mismatched
//!    `Mcp-Method` or `Mcp-Name` is still `-32020`; a modern header that disagrees with `_meta` is
//!    still `-32020`; an unsupported version is still `-32022`.
//! 2. **`Accept` without `text/event-stream`.** Claude's connector does not always send
//!    `Accept: application/json, text/event-stream`
//!    (<https://github.com/NateBJones-Projects/OB1/issues/33>); rmcp answers `406` unless both are
//!    listed. This server only ever answers `application/json` (stateless, JSON responses), so a
//!    request that accepts JSON — `application/json`, `application/*`, `*/*`, or no `Accept` at
//!    all — is served; only an `Accept` that excludes JSON (`text/event-stream` alone,
//!    `text/html`, `application/json;q=0`) is `406`.

use crate::AppState;
use crate::envelope::{Envelope, Message};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::ops::ControlFlow;

const PROTOCOL_VERSION: &str = "mcp-protocol-version";
const MCP_METHOD: &str = "mcp-method";
const MCP_NAME: &str = "mcp-name";
/// The stateless protocol revision Claude puts in `_meta`.
pub(crate) const MODERN: &str = "2026-07-28";
/// The revisions that negotiate with `initialize` and name themselves in the header.
pub(crate) const LEGACY: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
/// What rmcp requires of `Accept`; our answers are JSON whatever it says.
const ACCEPT_BOTH: &str = "application/json, text/event-stream";

/// A [`crate::transport::Rule`] (after [`crate::envelope::read`]): apply both tolerances, or answer
/// `406`.
pub fn tolerate(_: &AppState, request: &mut Request) -> ControlFlow<Response> {
    if !accepts_json(request.headers()) {
        return ControlFlow::Break(
            (
                StatusCode::NOT_ACCEPTABLE,
                "Not Acceptable: this endpoint answers application/json",
            )
                .into_response(),
        );
    }
    let headers_to_add = request
        .extensions()
        .get::<Message>()
        .and_then(|message| restated_headers(request.headers(), &message.envelope))
        .unwrap_or_default();
    let headers = request.headers_mut();
    // One `Accept` is rewritten in place; `insert` would first make room for another header,
    // reallocating a full map for nothing.
    let single = headers.get_all(header::ACCEPT).iter().nth(1).is_none();
    match headers.get_mut(header::ACCEPT) {
        Some(accept) if single => *accept = HeaderValue::from_static(ACCEPT_BOTH),
        _ => {
            headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT_BOTH));
        }
    }
    if !headers_to_add.is_empty() {
        tracing::debug!(
            "legacy MCP-Protocol-Version with 2026-07-28 _meta: served as 2026-07-28 (claude-code#93290)"
        );
    }
    for (name, value) in headers_to_add {
        headers.insert(name, value);
    }
    ControlFlow::Continue(())
}

/// Whether `Accept` admits `application/json` (RFC 9110 §12.5.1: the most specific range that
/// matches decides; a weight of 0 excludes). No `Accept` accepts anything.
pub fn accepts_json(headers: &HeaderMap) -> bool {
    let mut values = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .peekable();
    if values.peek().is_none() {
        return true;
    }
    // (specificity, weight) of the best-matching range: exact > application/* > */*.
    let mut best: Option<(u8, bool)> = None;
    for range in values.flat_map(|v| v.split(',')) {
        let mut pieces = range.split(';');
        let essence = pieces.next().unwrap_or_default().trim();
        let Some(specificity) = [("application/json", 3), ("application/*", 2), ("*/*", 1)]
            .into_iter()
            .find_map(|(known, rank)| essence.eq_ignore_ascii_case(known).then_some(rank))
        else {
            continue;
        };
        let accepted = pieces
            .filter_map(|p| p.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .is_none_or(|(_, q)| !is_zero_weight(q.trim()));
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, accepted));
        }
    }
    best.is_some_and(|(_, accepted)| accepted)
}

/// `q=0`, `q=0.0`, `q=0.000`; a malformed weight does not exclude (as rmcp reads it).
fn is_zero_weight(q: &str) -> bool {
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    whole == "0" && fraction.len() <= 3 && fraction.bytes().all(|b| b == b'0')
}

/// The headers that restate a Claude-shaped request as 2026-07-28, or `None` when the request is
/// not exactly "legacy header, 2026-07-28 `_meta`".
fn restated_headers(
    headers: &HeaderMap,
    envelope: &Envelope,
) -> Option<Vec<(&'static str, HeaderValue)>> {
    let header_version = headers.get(PROTOCOL_VERSION)?.to_str().ok()?;
    let method = envelope.method()?;
    let served_as_modern = envelope.is_request()
        && method != "initialize"
        && envelope.meta_protocol_version() == Some(MODERN)
        && LEGACY.contains(&header_version);
    if !served_as_modern {
        return None;
    }
    let mut restated = vec![(PROTOCOL_VERSION, HeaderValue::from_static(MODERN))];
    if !headers.contains_key(MCP_METHOD) {
        restated.push((MCP_METHOD, header_value(method)?));
    }
    if let Some(name) = envelope.target_name()
        && !headers.contains_key(MCP_NAME)
    {
        restated.push((MCP_NAME, header_value(name)?));
    }
    Some(restated)
}

/// A value as SEP-2243 carries it: plain when it is visible ASCII without surrounding spaces,
/// otherwise `=?base64?…?=`.
fn header_value(value: &str) -> Option<HeaderValue> {
    let plain = !value.is_empty()
        && value.trim() == value
        && value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && !value.starts_with("=?");
    if plain {
        HeaderValue::from_str(value).ok()
    } else {
        HeaderValue::from_str(&format!("=?base64?{}?=", STANDARD.encode(value))).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn json_is_acceptable_unless_excluded() {
        for accept in [
            "application/json",
            "*/*",
            "application/*",
            "application/json, text/event-stream",
            "text/event-stream, */*;q=0.1",
            "text/html, application/json;q=0.5",
            "Application/JSON; charset=utf-8",
            "application/json;q=abc",
        ] {
            assert!(accepts_json(&headers(&[("accept", accept)])), "{accept}");
        }
        assert!(accepts_json(&HeaderMap::new()), "no Accept");
        for accept in [
            "text/event-stream",
            "text/html",
            "application/json;q=0",
            "application/json;q=0.000, text/event-stream",
            "*/*;q=0",
            "application/json;q=0, */*",
        ] {
            assert!(!accepts_json(&headers(&[("accept", accept)])), "{accept}");
        }
    }

    fn call(meta_version: &str) -> Envelope {
        Envelope::parse(
            format!(
                r#"{{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{{"name":"add_note","arguments":{{}},"_meta":{{"io.modelcontextprotocol/protocolVersion":"{meta_version}"}}}}}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn legacy_header_with_modern_meta_is_restated_as_modern() {
        for legacy in LEGACY {
            let restated =
                restated_headers(&headers(&[(PROTOCOL_VERSION, legacy)]), &call(MODERN)).unwrap();
            assert_eq!(
                restated,
                vec![
                    (PROTOCOL_VERSION, HeaderValue::from_static(MODERN)),
                    (MCP_METHOD, HeaderValue::from_static("tools/call")),
                    (MCP_NAME, HeaderValue::from_static("add_note")),
                ]
            );
        }
    }

    #[test]
    fn headers_the_client_sent_are_kept_for_rmcp_to_check() {
        let sent = headers(&[
            (PROTOCOL_VERSION, "2025-11-25"),
            (MCP_METHOD, "tools/list"),
            (MCP_NAME, "delete_note"),
        ]);
        let restated = restated_headers(&sent, &call(MODERN)).unwrap();
        assert_eq!(
            restated,
            vec![(PROTOCOL_VERSION, HeaderValue::from_static(MODERN))]
        );
    }

    #[test]
    fn every_other_pair_is_left_alone() {
        let cases: [(&[(&'static str, &str)], Envelope); 6] = [
            (&[(PROTOCOL_VERSION, MODERN)], call(MODERN)),
            (&[(PROTOCOL_VERSION, "2026-07-28")], call("2025-11-25")),
            (&[(PROTOCOL_VERSION, "2025-11-25")], call("2025-11-25")),
            (&[(PROTOCOL_VERSION, "1999-01-01")], call(MODERN)),
            (&[(PROTOCOL_VERSION, "2025-11-25")], call("2099-01-01")),
            (&[], call(MODERN)),
        ];
        for (sent, envelope) in cases {
            assert_eq!(
                restated_headers(&headers(sent), &envelope),
                None,
                "{sent:?}"
            );
        }
        let initialize = Envelope::parse(
            br#"{"id":0,"method":"initialize","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
        )
        .unwrap();
        let note = Envelope::parse(
            br#"{"method":"notifications/initialized","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
        )
        .unwrap();
        for envelope in [initialize, note] {
            let sent = headers(&[(PROTOCOL_VERSION, "2025-11-25")]);
            assert_eq!(restated_headers(&sent, &envelope), None);
        }
    }

    #[test]
    fn names_that_are_not_plain_ascii_travel_in_base64() {
        assert_eq!(header_value("whoami").unwrap(), "whoami");
        assert_eq!(header_value("note://a b").unwrap(), "note://a b");
        assert_eq!(
            header_value("notiz-ä").unwrap(),
            format!("=?base64?{}?=", STANDARD.encode("notiz-ä"))
        );
        assert_eq!(
            header_value(" padded").unwrap(),
            format!("=?base64?{}?=", STANDARD.encode(" padded"))
        );
    }
}
