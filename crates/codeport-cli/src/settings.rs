//! Configuration layering: flag > CODEPORT_* environment variable > TOML file > default.

use clap::Args;
use codeport_core::secret::Secret;
use codeport_server::config::{DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_FILE_BYTES};
use codeport_server::Config;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `codeport serve` settings.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "CODEPORT_LISTEN")]
    pub listen: Option<String>,
    /// Data directory: SQLite database, master key, bootstrap.json [default: ./codeport-data].
    #[arg(long, env = "CODEPORT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: postgres://... for PostgreSQL [default: SQLite at DATA_DIR/codeport.db].
    #[arg(long, env = "CODEPORT_DATABASE_URL")]
    pub database_url: Option<String>,
    /// URL clients use to reach this server [default: http://LISTEN].
    #[arg(long, env = "CODEPORT_EXTERNAL_URL")]
    pub external_url: Option<String>,
    /// Largest accepted request body in bytes [default: 1048576].
    #[arg(long, env = "CODEPORT_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Organization (id or name) served by the Codeup region edition [default: the one named "default"].
    #[arg(long, env = "CODEPORT_REGION_ORGANIZATION")]
    pub region_organization: Option<String>,
    /// Levels of subgroups allowed below a top-level group [default: 4, as Codeup].
    #[arg(long, env = "CODEPORT_MAX_SUBGROUP_LEVELS")]
    pub max_subgroup_levels: Option<u32>,
    /// Requests per second per personal access token, bursts of twice that; 0 disables [default: 100].
    #[arg(long, env = "CODEPORT_TOKEN_RATE_LIMIT")]
    pub token_rate_limit: Option<u32>,
    /// Largest file in bytes the Codeup file API writes or returns [default: 10485760].
    #[arg(long, env = "CODEPORT_MAX_FILE_BYTES")]
    pub max_file_bytes: Option<u64>,
    /// Check a code source's CodeRepo that is not hosted here (a git ls-remote bounded to 10 s)
    /// when it is created or updated; off by default because it makes codeport connect out
    /// [default: false].
    #[arg(
        long,
        env = "CODEPORT_VERIFY_EXTERNAL_REPOS",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub verify_external_repos: Option<bool>,
    /// A network (CIDR, e.g. 10.0.0.0/8) the external-repository check may reach although it is
    /// loopback, private or link-local; repeatable or comma-separated [default: none].
    #[arg(long = "probe-allow", value_name = "CIDR", env = "CODEPORT_PROBE_ALLOW", value_delimiter = ',')]
    pub probe_allow: Vec<String>,
    /// How long a console session lasts after sign-in, such as 12h, 30m or 7d [default: 12h].
    #[arg(long, env = "CODEPORT_SESSION_TTL")]
    pub session_ttl: Option<String>,
}

/// The TOML file's keys.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    external_url: Option<String>,
    max_body_bytes: Option<usize>,
    region_organization: Option<String>,
    max_subgroup_levels: Option<u32>,
    token_rate_limit: Option<u32>,
    max_file_bytes: Option<u64>,
    verify_external_repos: Option<bool>,
    probe_allowed_networks: Option<Vec<String>>,
    session_ttl: Option<String>,
}

/// Reads the TOML file, if one was named.
pub fn read_file(path: Option<&Path>) -> Result<FileSettings, String> {
    match path {
        None => Ok(FileSettings::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
        }
    }
}

fn master_key_from_env() -> Option<Secret> {
    std::env::var("CODEPORT_MASTER_KEY").ok().filter(|k| !k.trim().is_empty()).map(Secret::new)
}

/// The effective server configuration.
pub fn resolve_serve(args: ServeArgs, file: Option<&Path>) -> Result<Config, String> {
    let f = read_file(file)?;
    let listen_text = args.listen.or(f.listen).unwrap_or_else(|| "127.0.0.1:8080".into());
    let listen = listen_text.parse().map_err(|_| format!("--listen: {listen_text:?} is not an address such as 127.0.0.1:8080"))?;
    let data_dir = args.data_dir.or(f.data_dir).unwrap_or_else(|| PathBuf::from("./codeport-data"));
    let external_url = args.external_url.or(f.external_url).unwrap_or_else(|| format!("http://{listen_text}"));
    if !(external_url.starts_with("http://") || external_url.starts_with("https://")) {
        return Err(format!("--external-url: {external_url:?} must start with http:// or https://"));
    }
    Ok(Config {
        listen,
        data_dir,
        database_url: args.database_url.or(f.database_url),
        external_url: external_url.trim_end_matches('/').to_string(),
        master_key: master_key_from_env(),
        max_body_bytes: args.max_body_bytes.or(f.max_body_bytes).unwrap_or(DEFAULT_MAX_BODY_BYTES),
        region_organization: args.region_organization.or(f.region_organization),
        max_subgroup_levels: args.max_subgroup_levels.or(f.max_subgroup_levels).unwrap_or(4),
        token_rate_limit: args.token_rate_limit.or(f.token_rate_limit).unwrap_or(100),
        max_file_bytes: args.max_file_bytes.or(f.max_file_bytes).unwrap_or(DEFAULT_MAX_FILE_BYTES),
        identity_poll_interval: codeport_server::identity_cache::POLL_INTERVAL,
        checkout_credential_ttl: codeport_server::config::MAX_CHECKOUT_CREDENTIAL_TTL,
        verify_external_repos: args.verify_external_repos.or(f.verify_external_repos).unwrap_or(false),
        probe_allowed_networks: probe_allowed_networks(args.probe_allow, f.probe_allowed_networks)?,
        session_ttl: session_ttl(args.session_ttl.or(f.session_ttl))?,
        sign_in_throttle: Default::default(),
    })
}

/// The console session lifetime: a duration such as 12h (flag, environment or file).
fn session_ttl(text: Option<String>) -> Result<std::time::Duration, String> {
    match text {
        None => Ok(codeport_server::config::DEFAULT_SESSION_TTL),
        Some(t) => codeport_core::timefmt::parse_duration(&t)
            .and_then(|ms| u64::try_from(ms).ok())
            .map(std::time::Duration::from_millis)
            .ok_or_else(|| format!("--session-ttl: {t:?} is not a duration such as 12h, 30m, 7d or 90s")),
    }
}

/// The networks the external-repository probe may reach (flag or environment, else the
/// file), checked here so that a bad CIDR stops the start with a message naming it.
fn probe_allowed_networks(flag: Vec<String>, file: Option<Vec<String>>) -> Result<Vec<String>, String> {
    let given = if flag.is_empty() { file.unwrap_or_default() } else { flag };
    let networks: Vec<String> = given.iter().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
    codeport_server::services::external_repos::parse_allowed_networks(&networks)
        .map_err(|e| format!("--probe-allow / probe_allowed_networks: {e}"))?;
    Ok(networks)
}

/// The configuration the admin CLI needs: where the database and master key are.
pub fn resolve_admin(data_dir: Option<PathBuf>, database_url: Option<String>, file: Option<&Path>) -> Result<Config, String> {
    let f = read_file(file)?;
    let mut c = Config::for_data_dir(&data_dir.or(f.data_dir).unwrap_or_else(|| PathBuf::from("./codeport-data")));
    c.database_url = database_url.or(f.database_url);
    c.master_key = master_key_from_env();
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    /// Resolves flags (and a TOML text) as `codeport serve` would; the environment is not
    /// touched here (tests run in parallel), clap's `env` handling is clap's.
    fn resolve(flags: &[&str], toml_text: Option<&str>) -> Result<Config, String> {
        let cli = Cli::try_parse_from(std::iter::once("serve").chain(flags.iter().copied())).map_err(|e| e.to_string())?;
        let dir = tempfile::tempdir().unwrap();
        let file = toml_text.map(|t| {
            let p = dir.path().join("codeport.toml");
            std::fs::write(&p, t).unwrap();
            p
        });
        resolve_serve(cli.serve, file.as_deref())
    }

    #[test]
    fn external_repository_verification_is_off_by_default_and_layered() {
        if std::env::var_os("CODEPORT_VERIFY_EXTERNAL_REPOS").is_some() || std::env::var_os("CODEPORT_PROBE_ALLOW").is_some() {
            return; // the developer's environment decides; nothing to prove here
        }
        let c = resolve(&[], None).unwrap();
        assert!(!c.verify_external_repos);
        assert!(c.probe_allowed_networks.is_empty());
        assert!(resolve(&["--verify-external-repos"], None).unwrap().verify_external_repos);
        assert!(resolve(&["--verify-external-repos=true"], None).unwrap().verify_external_repos);
        assert!(resolve(&[], Some("verify_external_repos = true\n")).unwrap().verify_external_repos);
        assert!(
            !resolve(&["--verify-external-repos=false"], Some("verify_external_repos = true\n")).unwrap().verify_external_repos,
            "the flag beats the file"
        );
    }

    #[test]
    fn probe_networks_come_from_repeated_or_comma_separated_flags_or_the_file() {
        if std::env::var_os("CODEPORT_PROBE_ALLOW").is_some() {
            return;
        }
        let c = resolve(&["--probe-allow", "10.0.0.0/8,fd00::/8", "--probe-allow=127.0.0.1"], None).unwrap();
        assert_eq!(c.probe_allowed_networks, ["10.0.0.0/8", "fd00::/8", "127.0.0.1"]);
        let c = resolve(&[], Some("probe_allowed_networks = [\"192.168.0.0/16\"]\n")).unwrap();
        assert_eq!(c.probe_allowed_networks, ["192.168.0.0/16"]);
        let c = resolve(&["--probe-allow", "10.0.0.0/8"], Some("probe_allowed_networks = [\"192.168.0.0/16\"]\n")).unwrap();
        assert_eq!(c.probe_allowed_networks, ["10.0.0.0/8"], "the flag beats the file");
    }

    #[test]
    fn session_ttl_defaults_to_twelve_hours_and_takes_a_duration() {
        if std::env::var_os("CODEPORT_SESSION_TTL").is_some() {
            return;
        }
        assert_eq!(resolve(&[], None).unwrap().session_ttl, std::time::Duration::from_secs(12 * 3600));
        assert_eq!(resolve(&["--session-ttl", "30m"], None).unwrap().session_ttl, std::time::Duration::from_secs(1800));
        assert_eq!(resolve(&[], Some("session_ttl = \"2d\"\n")).unwrap().session_ttl, std::time::Duration::from_secs(2 * 86400));
        let e = resolve(&["--session-ttl", "soon"], None).unwrap_err();
        assert!(e.starts_with("--session-ttl: \"soon\""), "{e}");
    }

    #[test]
    fn a_bad_probe_network_stops_the_start_with_a_clear_message() {
        if std::env::var_os("CODEPORT_PROBE_ALLOW").is_some() {
            return;
        }
        let e = resolve(&["--probe-allow", "10.0.0.0/33"], None).unwrap_err();
        assert!(e.starts_with("--probe-allow / probe_allowed_networks: \"10.0.0.0/33\" is not a network in CIDR notation"), "{e}");
        assert!(e.contains("prefix length 33"), "{e}");
        let e = resolve(&[], Some("probe_allowed_networks = [\"10.1.2.3/8\"]\n")).unwrap_err();
        assert!(e.contains("did you mean 10.0.0.0/8?"), "{e}");
    }
}
