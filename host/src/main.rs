//! `warden`: an OAuth 2.0 / OpenID Connect authorization server.

use warden_core::{
    admin, apps, clock, delivery, directory, domain, legacy, metrics, oauth, outbound, plugins,
    store, tokens, usage,
};

mod cli;
mod config;
mod http;
mod server;
mod telemetry;

use clap::Parser;

// Plugin calls allocate and free per call on whichever worker thread runs
// the request; glibc's arenas contend on those cross-thread frees.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

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
    let serving = matches!(cli.command, cli::Command::Serve { .. });
    let telemetry = match telemetry::init(&config, verbose, serving) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("warden: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let code = match cli::run(cli.command, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("warden: {e:#}");
            ExitCode::FAILURE
        }
    };
    telemetry.shutdown().await;
    code
}
