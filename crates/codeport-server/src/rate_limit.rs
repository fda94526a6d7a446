//! Per-caller request rate limits: a token bucket per key (a token's hash), refilled at the
//! configured rate with bursts of twice that. In memory, per process: a limit that protects
//! this replica, not a global quota.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Token buckets by caller key.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter allowing `per_second` requests per second per key; 0 disables it.
    pub fn new(per_second: u32) -> Self {
        RateLimiter { per_second: per_second as f64, burst: 2.0 * per_second as f64, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from `key`'s bucket; Err(milliseconds until one is available) when empty.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            // Idle buckets are full buckets: forgetting them changes nothing.
            let (rate, burst) = (self.per_second, self.burst);
            map.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = map.entry(key.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err((((1.0 - *tokens) / self.per_second) * 1000.0).ceil() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refuses_then_refills() {
        let r = RateLimiter::new(5);
        for _ in 0..10 {
            assert!(r.check("a").is_ok());
        }
        let wait = r.check("a").unwrap_err();
        assert!(wait > 0 && wait <= 200, "{wait}");
        assert!(r.check("b").is_ok(), "buckets are per key");
        std::thread::sleep(std::time::Duration::from_millis(250));
        assert!(r.check("a").is_ok());
        assert!(RateLimiter::new(0).check("x").is_ok());
    }
}
