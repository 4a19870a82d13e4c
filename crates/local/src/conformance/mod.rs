//! Conformance mode (`remote-mcp-local --conformance`, used by `make conformance`): the MCP endpoint
//! with the fixture tools, resources and prompts that `@modelcontextprotocol/conformance` calls
//! (`test_simple_text`, `test://static-text`, …) alongside the real ones.
//!
//! The suite connects without OAuth, so this endpoint authenticates every request as a fixed
//! conformance user instead of verifying a token. That is why it exists only in this local binary:
//! the Lambda functions mount the MCP endpoint solely behind the bearer layer. Everything else is
//! the production transport: stateless JSON, the same Host and Origin checks, the same headers.

// The suite's fixtures exercise logging and sampling on purpose, though 2026-07-28 deprecates them.
#![allow(deprecated)]

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::post_service;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mcp_function::principal::Caller;
use mcp_function::server::McpServer;
use mcp_function::{AppState, Principal, compat, envelope, origin, transport};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, CreateMessageRequestParams, ErrorData, GetPromptRequestParams,
    LoggingLevel, LoggingMessageNotificationParam, ProgressNotificationParam, Prompt,
    PromptArgument, ResourceContents, SamplingMessage,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

mod handler;

/// A 1×1 red PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/// A minimal WAV file: 8 kHz, 8-bit mono, one silent sample.
fn wav() -> String {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&37u32.to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&1u16.to_le_bytes()); // mono
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&8u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.push(128);
    STANDARD.encode(bytes)
}

/// The real server plus the suite's fixtures.
#[derive(Clone)]
pub struct ConformanceServer {
    inner: McpServer,
    tool_router: ToolRouter<Self>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct PromptArg {
    /// The prompt to send to the client's model.
    pub prompt: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MessageArg {
    /// The message to show the user.
    pub message: String,
}

fn text(t: &str) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(t)])
}

#[tool_router]
impl ConformanceServer {
    fn new(inner: McpServer) -> Self {
        Self {
            inner,
            tool_router: Self::tool_router(),
        }
    }

    /// Returns a simple text response.
    #[tool]
    async fn test_simple_text(&self) -> CallToolResult {
        text("This is a simple text response for testing.")
    }

    /// Returns an image.
    #[tool]
    async fn test_image_content(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::image(PNG, "image/png")])
    }

    /// Returns audio.
    #[tool]
    async fn test_audio_content(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::audio(wav(), "audio/wav")])
    }

    /// Returns an embedded resource.
    #[tool]
    async fn test_embedded_resource(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::resource(
            ResourceContents::text(
                "This is an embedded resource content.",
                "test://embedded-resource",
            )
            .with_mime_type("text/plain"),
        )])
    }

    /// Returns text, an image and an embedded resource.
    #[tool]
    async fn test_multiple_content_types(&self) -> CallToolResult {
        CallToolResult::success(vec![
            ContentBlock::text("Multiple content types test:"),
            ContentBlock::image(PNG, "image/png"),
            ContentBlock::resource(
                ResourceContents::text(
                    r#"{"test":"data","value":123}"#,
                    "test://mixed-content-resource",
                )
                .with_mime_type("application/json"),
            ),
        ])
    }

    /// Always fails, as a tool error.
    #[tool]
    async fn test_error_handling(&self) -> Result<CallToolResult, String> {
        Err("This tool intentionally returns an error for testing".into())
    }

    /// Sends three log messages while it runs.
    #[tool]
    async fn test_tool_with_logging(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        for (i, message) in [
            "Tool execution started",
            "Tool processing data",
            "Tool execution completed",
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let param = LoggingMessageNotificationParam::new(LoggingLevel::Info, json!(message));
            let _ = context.peer.notify_logging_message(param).await;
        }
        Ok(text("Tool with logging executed successfully"))
    }

    /// Reports progress 0, 50, 100 of 100 when the request carries a progress token.
    #[tool]
    async fn test_tool_with_progress(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let token = context.meta.get_progress_token();
        for (i, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if let Some(token) = &token {
                let param =
                    ProgressNotificationParam::new(token.clone(), progress).with_total(100.0);
                let _ = context.peer.notify_progress(param).await;
            }
        }
        Ok(text("Tool with progress executed successfully"))
    }

    /// Asks the client's model to answer `prompt` (sampling).
    #[tool]
    async fn test_sampling(
        &self,
        context: RequestContext<RoleServer>,
        Parameters(arg): Parameters<PromptArg>,
    ) -> Result<CallToolResult, String> {
        let request =
            CreateMessageRequestParams::new(vec![SamplingMessage::user_text(arg.prompt)], 100);
        let reply = context
            .peer
            .create_message(request)
            .await
            .map_err(|e| format!("sampling is unavailable on a stateless connection: {e}"))?;
        Ok(text(&format!(
            "LLM response: {}",
            serde_json::to_string(&reply.message.content).unwrap_or_default()
        )))
    }

    /// Asks the user for input (elicitation).
    #[tool]
    async fn test_elicitation(
        &self,
        context: RequestContext<RoleServer>,
        Parameters(arg): Parameters<MessageArg>,
    ) -> Result<CallToolResult, String> {
        let _ = (&context, arg.message);
        Err("elicitation needs a server-to-client request, which a stateless connection cannot carry".into())
    }

    /// A tool whose input schema uses JSON Schema 2020-12 keywords.
    #[tool(
        name = "json_schema_2020_12_tool",
        description = "Tool with JSON Schema 2020-12 features",
        input_schema = json_schema_2020_12()
    )]
    async fn json_schema_2020_12_tool(&self) -> CallToolResult {
        text("ok")
    }
}

fn json_schema_2020_12() -> Arc<serde_json::Map<String, Value>> {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {"address": {"type": "object", "properties": {
            "street": {"type": "string"}, "city": {"type": "string"}}}},
        "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
        "additionalProperties": false
    });
    Arc::new(schema.as_object().cloned().unwrap_or_default())
}

fn prompt(name: &str, description: &str, arguments: &[(&str, &str)]) -> Prompt {
    let arguments = arguments
        .iter()
        .map(|(name, description)| {
            let mut a = PromptArgument::new(*name);
            a.description = Some((*description).into());
            a.required = Some(true);
            a
        })
        .collect::<Vec<_>>();
    Prompt::new(
        name,
        Some(description),
        (!arguments.is_empty()).then_some(arguments),
    )
}

fn arg(request: &GetPromptRequestParams, name: &str) -> String {
    request
        .arguments
        .as_ref()
        .and_then(|a| a.get(name))
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The production pipeline's steps, with the conformance user in place of the bearer token.
async fn conformance_steps(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if let ControlFlow::Break(answer) = origin::check(&state, &mut request) {
        return answer;
    }
    request.extensions_mut().insert(Principal::from(Caller {
        subject: "conformance".into(),
        client_id: "conformance-suite".into(),
        scopes: remote_mcp_core::scopes::SUPPORTED
            .map(str::to_owned)
            .to_vec(),
        email: None,
        name: None,
        grant_id: None,
    }));
    let mut request = match envelope::read(request).await {
        Ok(request) => request,
        Err(answer) => return answer,
    };
    if let ControlFlow::Break(answer) = compat::tolerate(&state, &mut request) {
        return answer;
    }
    next.run(request).await
}

/// The conformance endpoint at `/mcp` and `/`.
pub fn router(state: AppState) -> Router {
    let notes = state.notes.clone();
    let service = transport::service(&state, move || {
        ConformanceServer::new(McpServer::new(notes.clone()))
    });
    let steps = middleware::from_fn_with_state(state.clone(), conformance_steps);
    transport::mount(post_service(service).route_layer(steps)).with_state(state)
}
