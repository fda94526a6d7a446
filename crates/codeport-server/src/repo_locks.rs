//! Per-repository locks inside one process: pushes and API commits hold a shared guard for
//! their whole duration; deleting a repository takes the exclusive guard after its row is
//! gone, so it waits for writers in flight instead of pulling the data from under them, while
//! new writers already find no repository (a clean 404).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

/// The locks, created on first use per repository id.
#[derive(Default)]
pub struct RepoLocks {
    locks: Mutex<HashMap<i64, Arc<RwLock<()>>>>,
}

impl RepoLocks {
    fn lock(&self, id: i64) -> Arc<RwLock<()>> {
        self.locks.lock().unwrap_or_else(|p| p.into_inner()).entry(id).or_default().clone()
    }

    /// A writer's guard (many at once).
    pub async fn shared(&self, id: i64) -> OwnedRwLockReadGuard<()> {
        self.lock(id).read_owned().await
    }

    /// The deleter's guard: waits until no writer holds the repository; the entry goes with it.
    pub async fn exclusive(&self, id: i64) -> OwnedRwLockWriteGuard<()> {
        let guard = self.lock(id).write_owned().await;
        self.locks.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        guard
    }
}
