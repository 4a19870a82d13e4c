//! Tracing setup shared by every binary: JSON lines on Lambda (CloudWatch parses them), compact
//! human-readable output locally. The level comes from `RUST_LOG` (default [`DEFAULT_FILTER`]).
//!
//! `RUST_LOG` takes a default level and `target=level` pairs, comma-separated (`warn,rmcp=error`):
//! tracing-subscriber's `Targets`, parsed at cold start without a regular expression engine
//! (its `EnvFilter`, with span and field filters, compiled one at every start and put one in
//! every binary). A value that does not parse is ignored for [`DEFAULT_FILTER`].

use std::str::FromStr;
use tracing::Level;
use tracing_subscriber::filter::{LevelFilter, Targets};

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
        LogFormat::Json => json(|| Stdout).try_init(),
        // Metrics records are for CloudWatch, not for a terminal.
        LogFormat::Pretty => {
            use tracing_subscriber::layer::SubscriberExt;
            let filter = filter().with_target(crate::observe::EMF_TARGET, LevelFilter::OFF);
            tracing_subscriber::registry()
                .with(tracing_subscriber::fmt::layer().compact())
                .with(filter)
                .try_init()
        }
    };
}

/// Standard output for the Lambda log format: each buffer in one `write(2)` on the descriptor, not
/// through std's `Stdout`, whose lock is held across the system call (the runtime's threads queue
/// on it when requests end together). Every buffer written here is whole lines (a request's line,
/// an event's), so nothing interleaves mid-line.
struct Stdout;

impl std::io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        static OUT: std::sync::OnceLock<Option<std::fs::File>> = std::sync::OnceLock::new();
        let out = OUT.get_or_init(|| {
            use std::os::fd::AsFd;
            let descriptor = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
            Some(std::fs::File::from(descriptor))
        });
        match out {
            Some(file) => (&*file).write(buf),
            None => std::io::stdout().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The filter: `RUST_LOG`, else [`DEFAULT_FILTER`]; the audit trail ([`crate::audit`]) and the
/// metrics records ([`crate::observe`]) are written whatever `RUST_LOG` says.
fn filter() -> Targets {
    parse(std::env::var("RUST_LOG").ok().as_deref())
        .with_target("audit", Level::INFO)
        .with_target(crate::observe::EMF_TARGET, Level::INFO)
}

/// `RUST_LOG`'s value as a filter, or [`DEFAULT_FILTER`] when it is absent or does not parse.
fn parse(value: Option<&str>) -> Targets {
    value
        .and_then(|value| Targets::from_str(value).ok())
        .or_else(|| Targets::from_str(DEFAULT_FILTER).ok())
        .unwrap_or_else(|| Targets::new().with_default(Level::INFO))
}

/// The subscriber of the Lambda functions, writing to `writer`: one JSON object per line, the
/// event's message and fields under `fields`, without ANSI colours or a time (CloudWatch stamps
/// every line); metrics records ([`crate::observe::EMF_TARGET`]) as they are, for CloudWatch's
/// Embedded Metric Format.
pub fn json<W>(writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Clone + Send + Sync + 'static,
{
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    let lines = tracing_subscriber::fmt::layer()
        .json()
        .with_ansi(false)
        .without_time()
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(Held(writer.clone()))
        .with_filter(tracing_subscriber::filter::filter_fn(|metadata| {
            metadata.target() != crate::observe::EMF_TARGET && metadata.target() != AUDIT_TARGET
        }));
    tracing_subscriber::registry()
        .with(filter())
        .with(lines)
        .with(AuditLines(writer.clone()))
        .with(Emf(writer))
}

/// The tracing target of audit lines ([`crate::audit`]).
const AUDIT_TARGET: &str = "audit";

/// Writes audit lines in the format of the JSON lines beside them (`{"level":…,"fields":{…},
/// "target":"audit"}`, the fields in the order given), built directly: there is one per tool call.
struct AuditLines<W>(W);

impl<S, W> tracing_subscriber::Layer<S> for AuditLines<W>
where
    S: tracing::Subscriber,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + 'static,
{
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if event.metadata().target() != AUDIT_TARGET {
            return;
        }
        let line = |out: &mut String| {
            out.push_str(r#"{"level":""#);
            out.push_str(event.metadata().level().as_str());
            out.push_str(r#"","fields":{"#);
            event.record(&mut Fields(out, 0));
            out.push_str("},\"target\":\"audit\"}\n");
        };
        // In a request, built in the buffer that holds the request's line; otherwise on its own.
        if !crate::observe::hold_with(line) {
            let mut own = String::with_capacity(320);
            line(&mut own);
            use std::io::Write;
            let _ = self.0.make_writer().write_all(own.as_bytes());
        }
    }
}

/// Appends an event's fields to a JSON object's members.
struct Fields<'a>(&'a mut String, usize);

impl Fields<'_> {
    fn member(&mut self, name: &str, value: &str) {
        if self.1 > 0 {
            self.0.push(',');
        }
        self.1 += 1;
        crate::observe::push_json_string(self.0, name);
        self.0.push(':');
        crate::observe::push_json_string(self.0, value);
    }
}

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.member(field.name(), &format!("{value:?}"));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.member(field.name(), value);
    }
}

/// A writer whose lines, while a request is served, are held and written with the request's EMF
/// record ([`crate::observe::hold`]): one write per request.
#[derive(Clone)]
struct Held<W>(W);

impl<'a, W: tracing_subscriber::fmt::MakeWriter<'a>> tracing_subscriber::fmt::MakeWriter<'a>
    for Held<W>
{
    type Writer = HeldWriter<W::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        HeldWriter(self.0.make_writer())
    }
}

struct HeldWriter<W>(W);

impl<W: std::io::Write> std::io::Write for HeldWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if crate::observe::hold(buf) {
            return Ok(buf.len());
        }
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Writes each EMF record's text as one line.
struct Emf<W>(W);

impl<S, W> tracing_subscriber::Layer<S> for Emf<W>
where
    S: tracing::Subscriber,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + 'static,
{
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if event.metadata().target() != crate::observe::EMF_TARGET {
            return;
        }
        event.record(&mut Record(self.0.make_writer()));
    }
}

/// Writes the `emf` field of an event as one line, in one write.
struct Record<W>(W);

impl<W: std::io::Write> Record<W> {
    fn line(&mut self, text: &str) {
        // The request layer's text ends with its newline already: written as it is, uncopied.
        let _ = if text.ends_with('\n') {
            self.0.write_all(text.as_bytes())
        } else {
            self.0.write_all(format!("{text}\n").as_bytes())
        };
    }
}

impl<W: std::io::Write> tracing::field::Visit for Record<W> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "emf" {
            self.line(&format!("{value:?}"));
        }
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "emf" {
            self.line(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `filter` lets an event of `target` at `level` through.
    fn passes(filter: Targets, target: &str, level: Level) -> bool {
        filter.would_enable(target, &level)
    }

    #[test]
    fn rust_log_takes_a_default_level_and_target_levels() {
        let filter = parse(Some("warn,rmcp=error"));
        assert!(passes(filter.clone(), "mcp_function", Level::WARN));
        assert!(!passes(filter.clone(), "mcp_function", Level::INFO));
        assert!(!passes(filter, "rmcp::service", Level::WARN));
    }

    #[test]
    fn an_absent_or_unreadable_rust_log_means_the_default() {
        for value in [None, Some("info,[span{field=1}]=debug"), Some("rmcp=loud")] {
            let filter = parse(value);
            assert!(
                passes(filter.clone(), "oauth_function", Level::INFO),
                "{value:?}"
            );
            assert!(!passes(filter.clone(), "rmcp", Level::INFO), "{value:?}");
            assert!(passes(filter, "rmcp", Level::WARN), "{value:?}");
        }
    }

    #[test]
    fn audit_lines_and_metrics_records_pass_whatever_rust_log_says() {
        let filter = parse(Some("off"))
            .with_target("audit", Level::INFO)
            .with_target(crate::observe::EMF_TARGET, Level::INFO);
        assert!(passes(filter.clone(), "audit", Level::INFO));
        assert!(passes(
            filter.clone(),
            crate::observe::EMF_TARGET,
            Level::INFO
        ));
        assert!(!passes(filter, "oauth_function", Level::ERROR));
    }
}
