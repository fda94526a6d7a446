//! The codeport server: configuration, services (use cases shared by every wire family)
//! and the HTTP edge. The `codeport` binary calls [`serve`] and the admin commands call the
//! services on an [`AppState`] opened with [`open_state`].

pub mod authz;
pub mod config;
pub mod console;
pub mod fsutil;
pub mod http;
pub mod identity_cache;
pub mod rate_limit;
pub mod repo_locks;
pub mod services;
pub mod state;

pub use config::Config;
pub use state::AppState;

use std::future::Future;
use std::sync::Arc;

/// Opens the store (running migrations) and the master key. `create_key` generates the
/// master key on first start; the admin CLI passes false so it never invents one.
pub async fn open_state(config: Config, create_key: bool) -> Result<AppState, String> {
    if config.database_url.is_none() || create_key {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| format!("cannot create data directory {}: {e}", config.data_dir.display()))?;
    }
    if config.verify_external_repos {
        codeport_git::probe::check_git_for_probe().await?;
    }
    let master_key = config.load_master_key(create_key)?;
    let store = codeport_store::open(&config.effective_database_url())
        .await
        .map_err(|e| format!("cannot open the database {}: {e}", config.redacted_database_url()))?;
    let identity = Arc::new(identity_cache::IdentityCache::default());
    identity.observe_generation(store.identity_generation().await.map_err(|e| format!("cannot read the database: {e}"))?);
    let token_limits = Arc::new(rate_limit::RateLimiter::new(config.token_rate_limit));
    let repos = Arc::new(codeport_git::RepoStore::new(config.repositories_dir()));
    Ok(AppState { store, master_key, config: Arc::new(config), identity, token_limits, repos, repo_locks: Default::default() })
}

/// Bootstraps an empty database: writes DATA_DIR/bootstrap.json (mode 0600) and logs its path.
pub async fn bootstrap(state: &AppState) -> Result<(), String> {
    let detailed = |e: codeport_core::Error| match e {
        codeport_core::Error::Internal { detail } => format!("bootstrap failed: {detail}"),
        other => format!("bootstrap failed: {other}"),
    };
    if let Some(info) = state.identities().bootstrap_if_empty().await.map_err(detailed)? {
        let path = state.config.data_dir.join("bootstrap.json");
        let json = serde_json::to_vec_pretty(&info).map_err(|e| e.to_string())?;
        fsutil::write_private_atomically(&path, &json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        tracing::info!(path = %path.display(), "first start: created organization \"default\", user \"admin\", an AccessKey and a token; credentials are in this file");
    }
    Ok(())
}

/// Serves until `shutdown` completes, then drains in-flight requests and returns.
/// `ready` is called with the bound address once the listener accepts connections.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    if let Err(e) = state.repositories().sweep_repository_data().await {
        tracing::warn!(error = %e, "cannot sweep leftover repository data");
    }
    spawn_identity_poller(&state);
    spawn_identity_listener(&state).await;
    let app = http::router(state);
    // The peer address feeds the acs:SourceIp condition of RAM policies.
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).with_graceful_shutdown(shutdown).await
}

/// Applies identity changes the database pushes (PostgreSQL: at commit, so a change made by
/// another replica or the admin CLI reaches this replica's cache before its next request in
/// practice). The poller stays as a backstop; SQLite checks on every request instead.
async fn spawn_identity_listener(state: &AppState) {
    let mut changes = match state.store.identity_changes().await {
        Ok(Some(rx)) => rx,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for identity changes; relying on polling");
            return;
        }
    };
    let cache = Arc::downgrade(&state.identity);
    tokio::spawn(async move {
        while let Some(change) = changes.recv().await {
            let Some(cache) = cache.upgrade() else { return };
            match change {
                codeport_store::IdentityChange::Generation(g) => cache.observe_generation(g),
                codeport_store::IdentityChange::Resync => cache.invalidate(),
            }
        }
    });
}

/// Polls the identity generation so changes by other processes reach the cache even if a
/// push is lost. The task holds only weak references and ends when the state is gone.
fn spawn_identity_poller(state: &AppState) {
    let store = Arc::downgrade(&state.store);
    let cache = Arc::downgrade(&state.identity);
    let interval = state.config.identity_poll_interval;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let (Some(store), Some(cache)) = (store.upgrade(), cache.upgrade()) else { return };
            match store.identity_generation().await {
                Ok(g) => cache.observe_generation(g),
                // Fail closed: without a fresh generation, forget what we know.
                Err(e) => {
                    tracing::warn!(error = %e, "cannot poll the identity generation");
                    cache.invalidate();
                }
            }
        }
    });
}
