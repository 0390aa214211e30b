//! `warden`: an OAuth 2.0 / OpenID Connect authorization server.

mod admin;
mod apps;
mod cli;
mod clock;
mod config;
mod delivery;
mod directory;
mod domain;
mod http;
mod legacy;
mod metrics;
mod oauth;
mod plugins;
mod server;
mod store;
mod tenant_admin;
mod tokens;
mod usage;

use clap::Parser;

// Plugin calls allocate and free per call on whichever worker thread runs
// the request; glibc's arenas contend on those cross-thread frees.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn init_logging(config: &config::Config, verbose: bool) {
    use tracing_subscriber::EnvFilter;
    // A one-shot command prints its answer; its progress (a plugin compiled,
    // …) is noise unless the operator asked for a log level.
    let level = match config.log.as_str() {
        "info" if !verbose => "warn",
        other => other,
    };
    let filter = EnvFilter::try_new(format!("{level},sqlx=warn"))
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        config::LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
        config::LogFormat::Pretty => builder.compact().init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let config = match cli.global.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("warden: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    // `serve` logs its work; `plugin test` shows what the plugin logs.
    let verbose = matches!(
        cli.command,
        cli::Command::Serve { .. } | cli::Command::Plugin(cli::plugin::PluginCmd::Test { .. })
    );
    init_logging(&config, verbose);
    match cli::run(cli.command, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("warden: {e:#}");
            ExitCode::FAILURE
        }
    }
}
