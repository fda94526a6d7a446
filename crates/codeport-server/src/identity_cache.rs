//! In-memory cache of who calls: AccessKey → (secret, principal) and token hash → (token,
//! principal). Every request needs this, and reading it from the database costs several reads.
//!
//! Invalidation works across processes: every identity-changing write bumps a generation
//! row in the same transaction. On SQLite every request reads that row first (a point read
//! on the thread's connection, about 2 µs), so a change by the admin CLI applies to the
//! next request. On PostgreSQL a trigger NOTIFYs the new generation at commit and every
//! replica LISTENs, so the change reaches each replica as it commits. A poller (see
//! [`crate::serve`]) compares the generation every [`POLL_INTERVAL`] as a backstop. Writes
//! made through this process invalidate at once.

use crate::services::Principal;
use codeport_core::entities::{AccessKey, PersonalAccessToken};
use codeport_core::secret::Secret;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How often the identity generation is polled by default (see `Config::identity_poll_interval`).
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A verified-usable AccessKey with its opened secret and its owner.
pub struct CachedKey {
    /// The key row.
    pub key: AccessKey,
    /// The opened secret.
    pub secret: Secret,
    /// The owner, acting in their default organization (shared, not copied, per request).
    pub principal: Arc<Principal>,
}

/// A personal access token's row and owner.
pub struct CachedToken {
    /// The token row (hash, scopes, expiry, revoked).
    pub token: PersonalAccessToken,
    /// The owner, acting in their default organization.
    pub principal: Arc<Principal>,
}

/// The cache. Entries are dropped wholesale whenever identities change.
#[derive(Default)]
pub struct IdentityCache {
    generation: AtomicI64,
    epoch: AtomicU64,
    keys: RwLock<HashMap<String, Arc<CachedKey>>>,
    tokens: RwLock<HashMap<String, Arc<CachedToken>>>,
    policies: RwLock<HashMap<String, Arc<codeport_policy::PolicySet>>>,
}

impl IdentityCache {
    /// A cached key, if present.
    pub fn get(&self, id: &str) -> Option<Arc<CachedKey>> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    /// The epoch to pass to [`insert`](Self::insert): read it before loading from the database.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Caches a loaded key unless the cache was invalidated since `epoch` (the load may be stale).
    pub fn insert(&self, epoch: u64, entry: Arc<CachedKey>) {
        let mut map = self.keys.write().unwrap_or_else(|p| p.into_inner());
        if self.epoch.load(Ordering::Acquire) == epoch {
            map.insert(entry.key.id.clone(), entry);
        }
    }

    /// A cached token by its hash, if present.
    pub fn token(&self, hash: &str) -> Option<Arc<CachedToken>> {
        self.tokens.read().unwrap_or_else(|p| p.into_inner()).get(hash).cloned()
    }

    /// Caches a loaded token unless the cache was invalidated since `epoch`.
    pub fn insert_token(&self, epoch: u64, entry: Arc<CachedToken>) {
        let _keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        let mut map = self.tokens.write().unwrap_or_else(|p| p.into_inner());
        if self.epoch.load(Ordering::Acquire) == epoch {
            map.insert(entry.token.token_hash.clone(), entry);
        }
    }

    /// A user's compiled policies, if cached.
    pub fn policy_set(&self, user_id: &str) -> Option<Arc<codeport_policy::PolicySet>> {
        self.policies.read().unwrap_or_else(|p| p.into_inner()).get(user_id).cloned()
    }

    /// Caches a user's compiled policies unless the cache was invalidated since `epoch`.
    pub fn insert_policy_set(&self, epoch: u64, user_id: &str, set: Arc<codeport_policy::PolicySet>) {
        let _keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        let mut map = self.policies.write().unwrap_or_else(|p| p.into_inner());
        if self.epoch.load(Ordering::Acquire) == epoch {
            map.insert(user_id.to_string(), set);
        }
    }

    /// Drops every entry (a write through this process changed identities or policies).
    pub fn invalidate(&self) {
        // Lock order: keys, then tokens, then policies (as in the inserts); the epoch moves under all.
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        let mut tokens = self.tokens.write().unwrap_or_else(|p| p.into_inner());
        let mut policies = self.policies.write().unwrap_or_else(|p| p.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        keys.clear();
        tokens.clear();
        policies.clear();
    }

    /// Records the database's identity generation; a change drops every entry.
    pub fn observe_generation(&self, generation: i64) {
        if self.generation.swap(generation, Ordering::AcqRel) != generation {
            self.invalidate();
        }
    }
}
