//! Tracing setup shared by every binary: JSON lines on Lambda (CloudWatch parses them), compact
//! human-readable output locally. The level comes from `RUST_LOG` (default [`DEFAULT_FILTER`]).

use tracing_subscriber::EnvFilter;

/// Output format of the logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, without ANSI colours (Lambda / CloudWatch).
    Json,
    /// Human-readable, for a terminal.
    Pretty,
}

/// `info`, except rmcp's, which logs the start and end of a service for every stateless request.
pub const DEFAULT_FILTER: &str = "info,rmcp=warn";

/// Installs the global subscriber. Safe to call more than once (later calls are ignored).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .with_ansi(false)
            .without_time() // CloudWatch stamps every line already
            .with_current_span(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
