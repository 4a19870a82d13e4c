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
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = match format {
        LogFormat::Json => json(std::io::stdout).try_init(),
        LogFormat::Pretty => tracing_subscriber::fmt()
            .with_env_filter(filter())
            .compact()
            .finish()
            .try_init(),
    };
}

/// The filter: `RUST_LOG`, else [`DEFAULT_FILTER`]; the audit trail
/// ([`crate::audit`]) is written whatever `RUST_LOG` says.
fn filter() -> EnvFilter {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    match "audit=info".parse() {
        Ok(audit) => filter.add_directive(audit),
        Err(_) => filter,
    }
}

/// The subscriber of the Lambda functions, writing to `writer`: one JSON object per line, the
/// event's message and fields under `fields` (the template's metric filters read
/// `$.fields.message`), without ANSI colours or a time (CloudWatch stamps every line).
pub fn json<W>(writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter())
        .json()
        .with_ansi(false)
        .without_time()
        .with_current_span(false)
        .with_writer(writer)
        .finish()
}
