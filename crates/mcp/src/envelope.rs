//! The JSON-RPC body, read once in front of rmcp.
//!
//! The layers before rmcp need a few members of the message: its `method`, the name it targets
//! (`params.name` of a tool call or prompt, `params.uri` of a resource read) and the protocol
//! version in `params._meta`. [`read`] buffers the body once (up to [`MAX_BODY_BYTES`]), parses
//! it into a [`Message`] kept in the request's extensions — those members as an [`Envelope`], and
//! for the requests answered in process ([`IN_PROCESS`]) rmcp's typed request — and hands the same
//! bytes on for rmcp. No layer after this one reads the body.
//!
//! Members of the wrong type are read as absent (rmcp answers them precisely), but a body that is
//! not one JSON object is refused here: a layer that cannot see what a message asks for must not
//! let it through (a tool call hidden from the scope check would run without its scope).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rmcp::model::{CallToolRequest, ClientRequest, JsonRpcRequest, ListToolsRequest};
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::marker::PhantomData;

/// Largest MCP request body we read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The methods [`crate::direct`] answers without rmcp's service; [`Message`] carries them typed.
pub const IN_PROCESS: [&str; 2] = ["tools/list", "tools/call"];

/// The body as every layer after [`read`] sees it, parsed once.
#[derive(Debug, Clone)]
pub struct Message {
    /// What the layers in front of rmcp read of it.
    pub envelope: Envelope,
    /// A request of an [`IN_PROCESS`] method as rmcp types it; absent for every other message,
    /// and for one rmcp's types refuse (rmcp then answers it with the precise error).
    pub request: Option<JsonRpcRequest<ClientRequest>>,
}

impl Message {
    /// Parses a body; `None` unless it is a single JSON object.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let envelope = Envelope::parse(body)?;
        let in_process = envelope.is_request()
            && envelope
                .method()
                .is_some_and(|method| IN_PROCESS.contains(&method));
        let request = if in_process {
            typed(envelope.method()?, body)
        } else {
            None
        };
        Some(Self { envelope, request })
    }
}

/// rmcp's typed request for an [`IN_PROCESS`] `method`, parsed as that method's type directly:
/// rmcp's `ClientRequest` is an untagged union, which buffers the message and tries each of its
/// request types in turn until one fits. A body of the method that its type refuses is `None`
/// here; as a `ClientRequest` it would have been rmcp's catch-all `CustomRequest`, which the
/// direct answer does not take either.
fn typed(method: &str, body: &[u8]) -> Option<JsonRpcRequest<ClientRequest>> {
    fn as_client<R: for<'de> Deserialize<'de>>(
        body: &[u8],
        into: fn(R) -> ClientRequest,
    ) -> Option<JsonRpcRequest<ClientRequest>> {
        let JsonRpcRequest {
            jsonrpc,
            id,
            request,
        } = serde_json::from_slice::<JsonRpcRequest<R>>(body).ok()?;
        Some(JsonRpcRequest {
            jsonrpc,
            id,
            request: into(request),
        })
    }
    match method {
        "tools/call" => as_client::<CallToolRequest>(body, ClientRequest::CallToolRequest),
        "tools/list" => as_client::<ListToolsRequest>(body, ClientRequest::ListToolsRequest),
        _ => None,
    }
}

/// What the layers in front of rmcp need from a JSON-RPC message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Envelope {
    /// Requests and responses carry an `id`; notifications do not.
    #[serde(default, deserialize_with = "present")]
    id: bool,
    #[serde(default, deserialize_with = "string")]
    method: Option<String>,
    /// Strict: `params` that is not an object (MCP has no positional parameters) fails the parse,
    /// and so do duplicate members.
    #[serde(default, deserialize_with = "object")]
    params: Option<Params>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
struct Params {
    #[serde(default, deserialize_with = "string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "string")]
    uri: Option<String>,
    #[serde(default, rename = "taskId", deserialize_with = "string")]
    task_id: Option<String>,
    #[serde(default, rename = "_meta", deserialize_with = "meta_version")]
    protocol_version: Option<String>,
}

impl Envelope {
    /// Parses a body; `None` unless it is a single JSON object.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let envelope = object(&mut deserializer).ok()??;
        deserializer.end().ok()?;
        Some(envelope)
    }

    /// A request (an `id` and a `method`), as opposed to a notification or a response.
    pub fn is_request(&self) -> bool {
        self.id && self.method.is_some()
    }

    /// The tool a `tools/call` names.
    pub fn called_tool(&self) -> Option<&str> {
        match self.method.as_deref()? {
            "tools/call" => self.params.as_ref()?.name.as_deref(),
            _ => None,
        }
    }

    /// The JSON-RPC method, if the message has one.
    pub fn method(&self) -> Option<&str> {
        self.method.as_deref()
    }

    /// What the `Mcp-Name` header mirrors for this method (SEP-2243): the tool or prompt name, the
    /// resource URI, or the task id (the Tasks extension).
    pub fn target_name(&self) -> Option<&str> {
        let params = self.params.as_ref()?;
        match self.method.as_deref()? {
            "tools/call" | "prompts/get" => params.name.as_deref(),
            "resources/read" | "resources/subscribe" | "resources/unsubscribe" => {
                params.uri.as_deref()
            }
            "tasks/get" | "tasks/update" | "tasks/cancel" => params.task_id.as_deref(),
            _ => None,
        }
    }

    /// `params._meta["io.modelcontextprotocol/protocolVersion"]`, the 2026-07-28 per-request
    /// version.
    pub fn meta_protocol_version(&self) -> Option<&str> {
        self.params.as_ref()?.protocol_version.as_deref()
    }
}

/// Step of the pipeline: read the body once and attach the [`Message`], the bytes put back for
/// whoever answers; or the answer (400, 413) for a body that is not one message.
pub async fn read(request: Request) -> Result<Request, Response> {
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return Err((StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response());
    };
    let Some(message) = Message::parse(&bytes) else {
        return Err(not_a_message(&bytes));
    };
    parts.extensions.insert(message);
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// JSON-RPC 2.0 §5.1: `-32700` for a body that is not JSON, `-32600` for JSON that is not one
/// request object (a batch, a bare value, `params` that is not an object, a duplicated member).
fn not_a_message(body: &[u8]) -> Response {
    let (code, message) = if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        (-32700, "Parse error: the body is not JSON")
    } else {
        (
            -32600,
            "Invalid Request: the body must be one JSON-RPC message object, with object params",
        )
    };
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": code, "message": message},
    });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

/// A JSON object (or `null`, read as absent); anything else is an error. Derived structs would
/// also accept an array as positional members, which a JSON-RPC message never is.
fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    struct ObjectOnly<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }
    deserializer.deserialize_any(ObjectOnly(PhantomData))
}

/// A member that is a string; any other JSON value reads as absent.
fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Text::deserialize(deserializer).map(|text| text.0)
}

/// Any JSON value, kept when it is a string. Read in one pass: an untagged enum would buffer the
/// value first.
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextOrNothing;
        impl<'de> Visitor<'de> for TextOrNothing {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Text, E> {
                Ok(Text(Some(text.to_owned())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Text, E> {
                Ok(Text(Some(text)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        deserializer.deserialize_any(TextOrNothing)
    }
}

/// The protocol version inside `_meta`, if `_meta` is an object holding a string there (the last
/// such member, when repeated, as a JSON object would keep it).
fn meta_version<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    const VERSION: &str = "io.modelcontextprotocol/protocolVersion";
    struct Version;
    impl<'de> Visitor<'de> for Version {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut version = None;
            while let Some(key) = map.next_key::<Text>()? {
                if key.0.as_deref() == Some(VERSION) {
                    version = map.next_value::<Text>()?.0;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(version)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(Version)
}

/// `true` for any value, `null` included (JSON-RPC ids may be null only in error responses).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer).map(|_| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_layers_need() {
        let call = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_note","arguments":{"id":"x"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        let envelope = Envelope::parse(call).unwrap();
        assert!(envelope.is_request());
        assert_eq!(envelope.called_tool(), Some("delete_note"));
        assert_eq!(envelope.target_name(), Some("delete_note"));
        assert_eq!(envelope.meta_protocol_version(), Some("2026-07-28"));

        let read =
            br#"{"jsonrpc":"2.0","id":"a","method":"resources/read","params":{"uri":"note://1"}}"#;
        let envelope = Envelope::parse(read).unwrap();
        assert_eq!(envelope.called_tool(), None);
        assert_eq!(envelope.target_name(), Some("note://1"));
        assert_eq!(envelope.meta_protocol_version(), None);

        let note = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        assert!(!Envelope::parse(note).unwrap().is_request());
        let response = br#"{"jsonrpc":"2.0","id":4,"result":{}}"#;
        assert!(!Envelope::parse(response).unwrap().is_request());
    }

    #[test]
    fn members_of_the_wrong_type_read_as_absent() {
        for body in [
            &br#"{"id":1,"method":"tools/call","params":{"name":5}}"#[..],
            br#"{"id":1,"method":"tools/call","params":{"name":"x","_meta":"no"}}"#,
            br#"{"id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":7}}}"#,
        ] {
            let envelope = Envelope::parse(body).unwrap();
            assert_eq!(envelope.meta_protocol_version(), None);
        }
        let odd_uri = br#"{"id":1,"method":"tools/call","params":{"name":"delete_note","uri":5}}"#;
        assert_eq!(
            Envelope::parse(odd_uri).unwrap().called_tool(),
            Some("delete_note"),
            "a stray member must not hide the tool from the scope check"
        );
    }

    #[test]
    fn only_a_single_json_object_is_a_message() {
        for body in [
            &b"not json"[..],
            b"[{\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"delete_note\"}}]",
            b"\"tools/call\"",
            b"null",
            br#"{"id":1,"method":"tools/list"} {"id":2}"#,
            br#"{"id":1,"method":"tools/call","params":{"name":"whoami","name":"delete_note"}}"#,
            br#"{"id":1,"method":"tools/call","params":["delete_note"]}"#,
        ] {
            assert_eq!(
                Envelope::parse(body),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
