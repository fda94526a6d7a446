//! The `codeport` binary: `serve` runs the server; `admin` manages identities directly on
//! the database (safe while a server runs: SQLite has a busy timeout, PostgreSQL is shared);
//! `codesource` and `workspace` are a shell client of a running server over the signed PAI
//! API, `repo` one over the Codeup API (a personal access token), all exiting with the
//! statuses of [`pai_api::ExitKind`].

mod admin;
mod checkout;
mod codeup_commands;
mod pai_api;
mod pai_commands;

/// mimalloc: request handling is allocation-heavy (headers, JSON, rows), and the system
/// allocator showed up as ~12% of server CPU under load; see crates/codeport-bench.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
mod settings;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// codeport: a self-hosted, wire-compatible PAI AIWorkspace code-source and Codeup service.
#[derive(Parser)]
#[command(name = "codeport", version, about)]
struct Cli {
    /// Optional TOML configuration file (keys: listen, data_dir, database_url, external_url, max_body_bytes).
    #[arg(long, global = true, env = "CODEPORT_CONFIG")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(settings::ServeArgs),
    /// Manage users, AccessKeys and tokens on the database.
    Admin(admin::AdminArgs),
    // --- PAI client commands: a signed-API client of a running server (pai_api.rs) ---
    /// PAI code sources: list, get, create, update, delete, publish (a client of a running server).
    #[command(name = "codesource")]
    CodeSource(pai_commands::CodeSourceArgs),
    /// PAI workspaces: list, get, create, and their members (a client of a running server).
    Workspace(pai_commands::WorkspaceArgs),
    // --- Codeup client commands: a personal-access-token client of a running server ---
    /// Codeup repositories: create, list, get (a client of a running server).
    Repo(codeup_commands::RepoArgs),
    /// Check a code source out into its mount path (or --into DIR), as a job would.
    Checkout(checkout::CheckoutArgs),
}

fn main() -> ExitCode {
    // git runs `codeport PROMPT` as its askpass program during `codeport checkout`.
    if let Some(socket) = std::env::var_os(checkout::ASKPASS_SOCKET_ENV) {
        let args: Vec<String> = std::env::args().skip(1).collect();
        // Only git's own prompts: `codeport serve` with the variable set stays a server.
        if let [prompt] = args.as_slice() {
            if prompt.starts_with("Username") || prompt.starts_with("Password") {
                return checkout::askpass_main(std::path::Path::new(&socket), prompt);
            }
        }
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: Result<(), pai_api::CommandError> = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => Ok(serve(settings::resolve_serve(args, cli.config.as_deref())?).await?),
            Command::Admin(args) => Ok(admin::run(args, cli.config.as_deref()).await?),
            Command::CodeSource(args) => pai_commands::codesource(args).await,
            Command::Workspace(args) => pai_commands::workspace(args).await,
            Command::Repo(args) => codeup_commands::repo(args).await,
            Command::Checkout(args) => checkout::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message);
            ExitCode::from(e.kind.code())
        }
    }
}

async fn serve(mut config: codeport_server::Config) -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("CODEPORT_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")))
        .with_target(false)
        // Colour only on a terminal: logs redirected to a file, journald or a container log
        // must not be littered with escape sequences.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    tracing::info!(
        listen = %config.listen,
        data_dir = %config.data_dir.display(),
        database = %config.redacted_database_url(),
        external_url = %config.external_url,
        master_key = if config.master_key.is_some() { "CODEPORT_MASTER_KEY" } else { "data_dir/master.key" },
        max_body_bytes = config.max_body_bytes,
        verify_external_repos = config.verify_external_repos,
        probe_allowed_networks = ?config.probe_allowed_networks,
        session_ttl = ?config.session_ttl,
        "codeport starting"
    );
    let listen = config.listen;
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    // `--listen HOST:0` picks a free port: clone URLs and the hosted-repository check must
    // name the port actually bound, not 0, unless an external URL was given.
    if listen.port() == 0 && config.external_url == format!("http://{listen}") {
        config.external_url = format!("http://{bound}");
    }
    let state = codeport_server::open_state(config, true).await?;
    codeport_server::bootstrap(&state).await?;
    tracing::info!(addr = %bound, external_url = %state.config.external_url, backend = state.store.backend(), "ready");
    tracing::info!("web console: {}/", state.config.external_url);
    codeport_server::serve(state, listener, shutdown_signal()).await.map_err(|e| format!("server error: {e}"))?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGINT or SIGTERM; the server then stops accepting and drains in-flight requests.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; draining in-flight requests");
}
