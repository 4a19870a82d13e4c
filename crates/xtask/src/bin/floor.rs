//! The floor `make load` measures ours against: a plain axum server on the same runtime as the
//! local server that parses the same JSON-RPC body and answers the same bytes ours answered — no
//! token, no MCP library, no logs. What a request costs when it does nothing but HTTP and JSON.
//!
//!   remote-mcp-floor --port <port> --answer <file holding the response body>

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    port: u16,
    /// The response body to answer with (ours, captured once).
    #[arg(long)]
    answer: PathBuf,
}

#[derive(serde::Deserialize)]
struct Request {
    #[allow(dead_code)]
    jsonrpc: String,
    #[allow(dead_code)]
    id: serde_json::Value,
    #[allow(dead_code)]
    method: String,
    #[serde(default)]
    #[allow(dead_code)]
    params: Option<serde_json::Value>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let answer = Bytes::from(
        std::fs::read(&args.answer)
            .with_context(|| format!("reading {}", args.answer.display()))?,
    );
    let app = Router::new().route(
        "/mcp",
        post(move |body: Bytes| {
            let answer = answer.clone();
            async move {
                match serde_json::from_slice::<Request>(&body) {
                    Ok(_) => ([(header::CONTENT_TYPE, "application/json")], answer).into_response(),
                    Err(_) => StatusCode::BAD_REQUEST.into_response(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
