//! The state every request and admin command shares: the store, the master key, the configuration.

use crate::config::Config;
use codeport_core::secret::MasterKey;
use codeport_store::Store;
use std::sync::Arc;

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Seals and opens secrets at rest.
    pub master_key: MasterKey,
    /// Effective configuration.
    pub config: Arc<Config>,
    /// Who signs: AccessKeys with their secrets and owners, invalidated across processes.
    pub identity: Arc<crate::identity_cache::IdentityCache>,
    /// Request rate limits per personal access token.
    pub token_limits: Arc<crate::rate_limit::RateLimiter>,
    /// The repositories' git data, keyed by repository id.
    pub repos: Arc<codeport_git::RepoStore>,
    /// Keeps deletions from pulling data out from under pushes in flight.
    pub repo_locks: Arc<crate::repo_locks::RepoLocks>,
}
