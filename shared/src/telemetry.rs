//! Structured logs compatible with Lambda's log settings.
//!
//! Lambda passes `AWS_LAMBDA_LOG_FORMAT` (`JSON` or `Text`) and `AWS_LAMBDA_LOG_LEVEL`
//! from the function's `LoggingConfig`; JSON lines carry `timestamp`, `level`, the message
//! and the fields of the current span (the invocation's `request_id`). Handlers log
//! identifiers and outcomes only: never bodies, tokens, passwords or secrets.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the global subscriber once per cold start. Safe to call twice. `own_crate` is
/// the function's crate name (`env!("CARGO_CRATE_NAME")`): it and `shared` log at the
/// stage's level, dependencies at `info` at most.
pub fn init(own_crate: &str) {
    let format = std::env::var("AWS_LAMBDA_LOG_FORMAT").unwrap_or_else(|_| "JSON".into());
    let filter = filter_from_env(own_crate);
    if format.eq_ignore_ascii_case("text") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .without_time()
            .try_init();
    } else {
        let _ = json_subscriber(filter, std::io::stdout).try_init();
    }
}

/// The JSON subscriber used in Lambda, writing to `writer` (tests capture it).
pub fn json_subscriber<W>(
    filter: EnvFilter,
    writer: W,
) -> tracing_subscriber::fmt::SubscriberBuilder<
    tracing_subscriber::fmt::format::JsonFields,
    tracing_subscriber::fmt::format::Format<tracing_subscriber::fmt::format::Json>,
    EnvFilter,
    W,
>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(writer)
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
}

fn filter_from_env(own_crate: &str) -> EnvFilter {
    // Lambda's level names (TRACE..FATAL) map onto tracing's; RUST_LOG wins for local work.
    if let Ok(spec) = std::env::var("RUST_LOG")
        && let Ok(f) = EnvFilter::try_new(spec)
    {
        return f;
    }
    let level = match std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .unwrap_or_default()
        .to_ascii_uppercase()
        .as_str()
    {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "WARN" => "warn",
        "ERROR" | "FATAL" => "error",
        _ => "info",
    };
    EnvFilter::new(directives(level, own_crate))
}

/// The level applies to the portal's own code (`shared` and the function's crate); the
/// dependencies (SDK, HTTP, TLS) never log below `info`, so a debug stage does not fill the
/// logs with wire traffic.
fn directives(level: &str, own: &str) -> String {
    let deps = match level {
        "trace" | "debug" => "info",
        other => other,
    };
    format!("{deps},shared={level},{own}={level}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_debug_stage_keeps_dependencies_at_info() {
        assert_eq!(
            directives("debug", "leads_get"),
            "info,shared=debug,leads_get=debug"
        );
        assert_eq!(directives("warn", "me"), "warn,shared=warn,me=warn");
    }
}
