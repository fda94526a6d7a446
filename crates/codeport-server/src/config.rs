//! Effective configuration. The CLI fills it from flags, CODEPORT_* environment variables
//! and an optional TOML file; the server only reads it.

use codeport_core::secret::{MasterKey, Secret};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Default request body limit (1 MiB), as the issue requires for the PAI API.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default limit on one file written or read through the Codeup file API (10 MiB).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Everything `codeport serve` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory for the SQLite database, the master key, bootstrap.json and repositories.
    pub data_dir: PathBuf,
    /// Database URL; None means SQLite at DATA_DIR/codeport.db.
    pub database_url: Option<String>,
    /// The URL clients use to reach this server (for clone URLs and web URLs).
    pub external_url: String,
    /// Master key text from CODEPORT_MASTER_KEY; None means DATA_DIR/master.key.
    pub master_key: Option<Secret>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// The organization (id or name) that the Codeup region edition (`/oapi/v1/codeup/...`
    /// without an organization segment) serves; None means the one named "default".
    pub region_organization: Option<String>,
    /// How many levels of subgroups may nest below a top-level group (Codeup allows four).
    pub max_subgroup_levels: u32,
    /// Requests per second each personal access token may make (bursts of twice that); 0: no limit.
    pub token_rate_limit: u32,
    /// Largest file the Codeup file API writes or returns (git pushes are not limited by it).
    pub max_file_bytes: u64,
    /// How often the identity generation is polled as a backstop to the per-request check
    /// (SQLite) and the pushed notifications (PostgreSQL). Tests stretch it to prove the
    /// push alone works.
    pub identity_poll_interval: std::time::Duration,
    /// How long a checkout credential minted for a hosted repository stays valid; at most
    /// [`MAX_CHECKOUT_CREDENTIAL_TTL`] (tests shorten it to watch one expire).
    pub checkout_credential_ttl: std::time::Duration,
    /// Whether creating or updating a code source whose CodeRepo is not hosted here probes
    /// the remote with a bounded `ls-remote` (off by default: it makes codeport connect out).
    pub verify_external_repos: bool,
    /// Networks (CIDR) the external probe may reach although they are loopback, link-local or
    /// private; everything else of that kind is refused, so codeport cannot be used for SSRF.
    pub probe_allowed_networks: Vec<String>,
    /// How long a console session lasts after sign-in.
    pub session_ttl: std::time::Duration,
    /// How failed console sign-ins are slowed down and locked out.
    pub sign_in_throttle: SignInThrottle,
}

/// The default lifetime of a console session (a working day).
pub const DEFAULT_SESSION_TTL: std::time::Duration = std::time::Duration::from_secs(12 * 60 * 60);

/// How failed console sign-ins are throttled, per user name and per source address, in the
/// database so every replica applies the same counts. Failures within `window` count; from
/// `slow_after` of them on every answer waits `delay`; at `lock_after` the key is refused
/// outright for `lock_for`, the right password included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInThrottle {
    /// How long a failure counts.
    pub window: std::time::Duration,
    /// From this many failures on, answers are delayed.
    pub slow_after: u32,
    /// The delay.
    pub delay: std::time::Duration,
    /// At this many failures the key is locked.
    pub lock_after: u32,
    /// How long a lock lasts.
    pub lock_for: std::time::Duration,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle {
            window: std::time::Duration::from_secs(15 * 60),
            slow_after: 5,
            delay: std::time::Duration::from_secs(1),
            lock_after: 10,
            lock_for: std::time::Duration::from_secs(15 * 60),
        }
    }
}

/// The longest a minted checkout credential may live (the promise to users).
pub const MAX_CHECKOUT_CREDENTIAL_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl Config {
    /// A configuration with defaults for a data directory (used by tests and the CLI).
    pub fn for_data_dir(data_dir: &Path) -> Config {
        Config {
            listen: "127.0.0.1:8080".parse().expect("valid default address"),
            data_dir: data_dir.to_path_buf(),
            database_url: None,
            external_url: "http://127.0.0.1:8080".into(),
            master_key: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            region_organization: None,
            max_subgroup_levels: 4,
            token_rate_limit: 100,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            identity_poll_interval: crate::identity_cache::POLL_INTERVAL,
            checkout_credential_ttl: MAX_CHECKOUT_CREDENTIAL_TTL,
            verify_external_repos: false,
            probe_allowed_networks: Vec::new(),
            session_ttl: DEFAULT_SESSION_TTL,
            sign_in_throttle: SignInThrottle::default(),
        }
    }

    /// Where bare repositories live: DATA_DIR/repositories (shared storage for replicas).
    pub fn repositories_dir(&self) -> PathBuf {
        self.data_dir.join("repositories")
    }

    /// The body limit of the file API: a file of `max_file_bytes`, base64-encoded, plus room
    /// for the other fields; never below the general limit.
    pub fn max_file_body_bytes(&self) -> usize {
        let encoded = (self.max_file_bytes as usize).div_ceil(3) * 4;
        self.max_body_bytes.max(encoded + 64 * 1024)
    }

    /// The database URL in effect.
    pub fn effective_database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| self.data_dir.join("codeport.db").display().to_string())
    }

    /// The database URL with any password replaced, for logs.
    pub fn redacted_database_url(&self) -> String {
        let url = self.effective_database_url();
        match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s => {
                let cred = &url[s + 3..at];
                match cred.split_once(':') {
                    Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                    None => url,
                }
            }
            _ => url,
        }
    }

    /// Loads the master key: CODEPORT_MASTER_KEY if given, else DATA_DIR/master.key,
    /// generating that file (mode 0600, written atomically) when `create` is set.
    pub fn load_master_key(&self, create: bool) -> Result<MasterKey, String> {
        if let Some(k) = &self.master_key {
            return MasterKey::parse(k.expose()).map_err(|e| format!("CODEPORT_MASTER_KEY: {e}"));
        }
        let path = self.data_dir.join("master.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => MasterKey::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let (key, text) = MasterKey::generate();
                crate::fsutil::write_private_atomically(&path, format!("{text}\n").as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(key)
            }
            Err(e) => Err(format!("cannot read the master key {}: {e} (start the server once, or set CODEPORT_MASTER_KEY)", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_redacted() {
        let mut c = Config::for_data_dir(Path::new("/tmp/x"));
        c.database_url = Some("postgres://bob:hunter2@db:5432/codeport".into());
        assert_eq!(c.redacted_database_url(), "postgres://bob:***@db:5432/codeport");
        c.database_url = Some("postgres://postgres@127.0.0.1/x".into());
        assert_eq!(c.redacted_database_url(), "postgres://postgres@127.0.0.1/x");
    }
}
