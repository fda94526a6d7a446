//! In-process replay cache for signature nonces, used where one process serves the
//! database (SQLite). PostgreSQL deployments share nonces through a table instead.
//!
//! Memory stays bounded and predictable: each (AccessKey, nonce) pair is kept as a 128-bit
//! keyed hash (SipHash under per-process random keys, so collisions cannot be aimed at) in one
//! of two generations. New pairs go into the current generation; when it is older than the
//! window it becomes the previous one and the old previous is dropped in O(1). A pair is
//! therefore remembered for at least one window and at most two. About 20 bytes per signed
//! request over that span, and no sweep that pauses requests.

use codeport_core::acs3::SIGNATURE_WINDOW_MS;
use codeport_core::timefmt::Millis;
use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::Mutex;

/// Remembers (AccessKey, nonce) pairs for at least `window` milliseconds.
pub struct NonceCache {
    window: Millis,
    hashers: (RandomState, RandomState),
    inner: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    started: Millis,
    current: HashSet<u128>,
    previous: HashSet<u128>,
}

impl Default for NonceCache {
    /// A cache for ACS3's window: a signature's date may be [`SIGNATURE_WINDOW_MS`] off either
    /// way, so a nonce must be remembered for twice that after it is first seen.
    fn default() -> Self {
        NonceCache::new(2 * SIGNATURE_WINDOW_MS)
    }
}

impl NonceCache {
    /// A cache that remembers each pair for at least `window` milliseconds.
    pub fn new(window: Millis) -> Self {
        NonceCache { window, hashers: (RandomState::new(), RandomState::new()), inner: Mutex::new(Generations::default()) }
    }

    fn fingerprint(&self, access_key_id: &str, nonce: &str) -> u128 {
        let half = |rs: &RandomState| rs.hash_one((access_key_id, nonce));
        (half(&self.hashers.0) as u128) << 64 | half(&self.hashers.1) as u128
    }

    /// Records the pair; false if it was seen within the window (a replay).
    pub fn remember(&self, access_key_id: &str, nonce: &str, now: Millis) -> bool {
        let fp = self.fingerprint(access_key_id, nonce);
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if now - g.started >= self.window {
            g.previous = std::mem::take(&mut g.current);
            g.started = now;
        }
        if g.previous.contains(&fp) {
            return false;
        }
        g.current.insert(fp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_replay_for_at_least_the_window_and_scopes_by_key() {
        let c = NonceCache::new(100);
        assert!(c.remember("k", "n", 0));
        assert!(!c.remember("k", "n", 50));
        assert!(c.remember("other", "n", 50));
        assert!(c.remember("k", "n2", 60));
        // Rotated once at 100: still remembered (previous generation).
        assert!(!c.remember("k", "n", 150));
        assert!(!c.remember("k", "n2", 199));
        // Rotated again at 200: forgotten after between one and two windows.
        assert!(c.remember("k", "n", 250));
    }
}
