//! In-process replay cache for signature nonces, used where one process serves the
//! database (SQLite). PostgreSQL deployments share nonces through a table instead.

use codeport_core::timefmt::Millis;
use std::collections::HashMap;
use std::sync::Mutex;

/// Remembers (AccessKey, nonce) pairs until they expire.
#[derive(Default)]
pub struct NonceCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    seen: HashMap<(String, String), Millis>,
    next_sweep: Millis,
}

impl NonceCache {
    /// Records the nonce; false if it is already recorded and unexpired.
    pub fn remember(&self, access_key_id: &str, nonce: &str, now: Millis, expires_at: Millis) -> bool {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if now >= g.next_sweep {
            g.seen.retain(|_, exp| *exp > now);
            g.next_sweep = now + 10_000;
        }
        let key = (access_key_id.to_string(), nonce.to_string());
        match g.seen.get(&key) {
            Some(exp) if *exp > now => false,
            _ => {
                g.seen.insert(key, expires_at);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_replay_until_expiry_and_scopes_by_key() {
        let c = NonceCache::default();
        assert!(c.remember("k", "n", 0, 100));
        assert!(!c.remember("k", "n", 50, 150));
        assert!(c.remember("other", "n", 50, 150));
        assert!(c.remember("k", "n", 100, 200));
    }
}
