//! Logs: a daily file in the OS log directory, and stderr with `--verbose`. Nothing logged here
//! carries message text, names, tokens or keys: events record counts, ids and durations, and
//! secrets are `Sensitive` so they print as `[redacted]` even by mistake.

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

pub fn init(verbose: bool) {
    let file_layer = crate::paths::log_dir().and_then(|dir| {
        std::fs::create_dir_all(&dir).ok()?;
        let appender = tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("switchboard")
            .filename_suffix("log")
            .max_log_files(14)
            .build(&dir)
            .ok()?;
        Some(fmt::layer().with_ansi(false).with_writer(appender).with_filter(level(if verbose { "debug" } else { "info" })))
    });
    let stderr_layer =
        verbose.then(|| fmt::layer().with_writer(std::io::stderr).with_target(false).with_filter(level("debug")));
    let _ = tracing_subscriber::registry().with(file_layer).with(stderr_layer).try_init();
}

fn level(default: &str) -> EnvFilter {
    EnvFilter::try_from_env("SWITCHBOARD_LOG").unwrap_or_else(|_| EnvFilter::new(default))
}
