//! Settings: every value the process is configured with, typed and read in one place.
//! clap builds them from flags, then the `DUIJIE_…` environment (and `DATABASE_URL`,
//! `RUST_LOG`), then the defaults stated here; a bad value is an error at start-up naming
//! the setting, never silently replaced by a default. Nothing else in the crate reads
//! the process environment: the values are passed down (`api::HttpConfig`,
//! `App::with_policy`, `app::Paths`). The subcommands in `cli` flatten these groups;
//! `duijie serve --help` lists them all, and so does the README's settings table.

use crate::api::HttpConfig;
use crate::api::auth::RateLimit;
use crate::app::Paths;
use crate::domain::Role;
use crate::matching::ExposurePolicy;
use crate::matching::training::PriorChoice;
use crate::rank::RankerName;
use clap::builder::PossibleValue;
use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the data lives (shared by every subcommand that touches it).
#[derive(Args, Debug, Clone)]
pub struct DataSettings {
    /// Data directory: the SQLite store `duijie.db` and the search index `index/`
    /// (default `data`, created when missing; never the current directory, which in a
    /// checkout holds the index's sources in `index/`).
    #[arg(long, env = "DUIJIE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Store URL (`sqlite:…` or `postgres://…`); overrides the SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Where trained rankers live (default: `models/` in the data directory; without an
    /// active model there, the model shipped in the binary is used).
    #[arg(long, env = "DUIJIE_MODELS_DIR")]
    pub models_dir: Option<PathBuf>,
}

impl DataSettings {
    /// The paths these settings name (an empty `DATABASE_URL` counts as unset).
    pub fn paths(&self) -> Paths {
        Paths {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone().filter(|s| !s.is_empty()),
            models_dir: self.models_dir.clone(),
        }
    }
}

/// The settings of `duijie serve`: the service as a whole.
#[derive(Args, Debug, Clone)]
pub struct Settings {
    /// Address to listen on (an IP address and a port; port 0 picks a free one).
    #[arg(long, env = "DUIJIE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Do not load the demo world into an empty store.
    #[arg(long, env = "DUIJIE_NO_DEMO")]
    pub no_demo: bool,
    /// How often to pick up changes written by other processes, in milliseconds (at least 50 is used).
    #[arg(long, env = "DUIJIE_FOLLOW_MS", default_value_t = 1000)]
    pub follow_ms: u64,
    /// DANGEROUS: serve without API keys, every request acting as an admin, even on a
    /// non-loopback address of a store that never had a key. Refused while keys are
    /// live, and on a non-loopback address once the store has had a key. Without it,
    /// open mode is only for loopback and a store that never had a key.
    #[arg(long)]
    pub open: bool,
    #[command(flatten)]
    pub http: HttpSettings,
    #[command(flatten)]
    pub matching: MatchSettings,
    #[command(flatten)]
    pub data: DataSettings,
}

/// The HTTP layer: rate limits, the connection cap, where the page's files come from.
#[derive(Args, Debug, Clone)]
pub struct HttpSettings {
    /// Requests per second per API key (token bucket refill; a positive number).
    #[arg(long, env = "DUIJIE_RATE_PER_SEC", default_value_t = RateLimit::PER_KEY.per_sec, value_parser = positive)]
    pub rate_per_sec: f64,
    /// Burst per API key (token bucket size; a positive number).
    #[arg(long, env = "DUIJIE_RATE_BURST", default_value_t = RateLimit::PER_KEY.burst, value_parser = positive)]
    pub rate_burst: f64,
    /// Failed authentications per second per client address (a positive number).
    #[arg(long, env = "DUIJIE_AUTH_FAIL_PER_SEC", default_value_t = RateLimit::AUTH_FAILURES.per_sec, value_parser = positive)]
    pub auth_fail_per_sec: f64,
    /// Burst of failed authentications per client address (a positive number).
    #[arg(long, env = "DUIJIE_AUTH_FAIL_BURST", default_value_t = RateLimit::AUTH_FAILURES.burst, value_parser = positive)]
    pub auth_fail_burst: f64,
    /// Connections served at once; beyond it new connections wait in the listen queue.
    #[arg(long, env = "DUIJIE_MAX_CONNECTIONS", default_value_t = crate::api::MAX_CONNECTIONS, value_parser = at_least_one)]
    pub max_connections: usize,
    /// Serve the page's files from this directory instead of the copies built into the
    /// binary (for work on the page: an edit shows on reload). Default: the built-in copies.
    #[arg(long, env = "DUIJIE_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
}

impl HttpSettings {
    /// What the HTTP layer is given.
    pub fn config(&self) -> HttpConfig {
        HttpConfig {
            rate: RateLimit {
                per_sec: self.rate_per_sec,
                burst: self.rate_burst,
            },
            auth_failures: RateLimit {
                per_sec: self.auth_fail_per_sec,
                burst: self.auth_fail_burst,
            },
            max_connections: self.max_connections,
            web_dir: self.web_dir.clone(),
        }
    }
}

/// Exposure control (`matching::exposure`): how strongly providers shown often are lowered.
#[derive(Args, Debug, Clone, Copy)]
pub struct ExposureSettings {
    /// Largest relative lowering of a provider shown too often, 0 to 1 (0 turns exposure control off).
    #[arg(long, env = "DUIJIE_EXPOSURE_STRENGTH", default_value_t = ExposurePolicy::DEFAULT.strength, value_parser = unit_interval)]
    pub exposure_strength: f64,
    /// Share of recent first screens a provider may appear in without being lowered, 0 to 1.
    #[arg(long, env = "DUIJIE_EXPOSURE_FREE_SHARE", default_value_t = ExposurePolicy::DEFAULT.free_share, value_parser = unit_interval)]
    pub exposure_free_share: f64,
}

impl ExposureSettings {
    /// The policy these settings describe.
    pub fn policy(&self) -> ExposurePolicy {
        ExposurePolicy {
            strength: self.exposure_strength,
            free_share: self.exposure_free_share,
        }
    }
}

/// Matching policy of the service.
#[derive(Args, Debug, Clone, Copy)]
pub struct MatchSettings {
    #[command(flatten)]
    pub exposure: ExposureSettings,
    /// Commissioner ranking: extra logit per unit of an enterprise's priority, 0 to 10,
    /// when a request gives no `priority_boost`.
    #[arg(long, env = "DUIJIE_PRIORITY_BOOST", default_value_t = 0.0, value_parser = boost)]
    pub priority_boost: f64,
}

/// How log lines are written.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The record kind of a CSV file without a `kind` column (`duijie import --kind`).
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// Enterprises.
    Enterprise,
    /// Technology needs.
    Need,
    /// Providers.
    Provider,
    /// Technology commissioners.
    Commissioner,
    /// Feedback events.
    Feedback,
}

impl RecordKind {
    /// The `kind` code of data-model.md.
    pub fn code(self) -> &'static str {
        match self {
            RecordKind::Enterprise => "enterprise",
            RecordKind::Need => "need",
            RecordKind::Provider => "provider",
            RecordKind::Commissioner => "commissioner",
            RecordKind::Feedback => "feedback",
        }
    }
}

/// `--role`: the domain's roles, by their codes.
impl ValueEnum for Role {
    fn value_variants<'a>() -> &'a [Self] {
        Role::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.code()))
    }
}

/// `--ranker`: `learned`, `baseline`, `bm25`.
impl ValueEnum for RankerName {
    fn value_variants<'a>() -> &'a [Self] {
        &RankerName::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()))
    }
}

/// `--prior`: `active`, `baseline`, `none`.
impl ValueEnum for PriorChoice {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            PriorChoice::Active,
            PriorChoice::Baseline,
            PriorChoice::None,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(match self {
            PriorChoice::Active => "active",
            PriorChoice::Baseline => "baseline",
            PriorChoice::None => "none",
        }))
    }
}

fn number(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("“{s}” is not a number"))
}

/// A finite number above 0.
fn positive(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!("must be greater than 0 (got {s})"))
    }
}

/// A number from 0 to 1.
fn unit_interval(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be between 0 and 1 (got {s})"))
    }
}

/// A priority boost, 0 to 10.
fn boost(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if (0.0..=10.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be between 0 and 10 (got {s})"))
    }
}

/// A count of at least 1.
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("must be a whole number of at least 1 (got {s})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Serve {
        #[command(flatten)]
        settings: Settings,
    }

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        Serve::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
            .map(|s| s.settings)
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = parse(&[]).unwrap();
        let http = s.http.config();
        assert_eq!(http.rate.per_sec, 50.0);
        assert_eq!(http.rate.burst, 100.0);
        assert_eq!(http.auth_failures.per_sec, 0.5);
        assert_eq!(http.auth_failures.burst, 20.0);
        assert_eq!(http.max_connections, 512);
        assert_eq!(s.matching.exposure.policy(), ExposurePolicy::default());
        assert_eq!(s.matching.priority_boost, 0.0);
        assert_eq!(s.addr, "127.0.0.1:8080".parse::<SocketAddr>().unwrap());
    }

    #[test]
    fn a_bad_value_is_an_error_naming_the_setting() {
        for (flag, bad) in [
            ("--rate-per-sec", "0"),
            ("--rate-burst", "lots"),
            ("--auth-fail-per-sec", "-1"),
            ("--auth-fail-burst", "NaN"),
            ("--max-connections", "0"),
            ("--exposure-strength", "1.5"),
            ("--exposure-free-share", "x"),
            ("--priority-boost", "11"),
            ("--addr", "localhost"),
        ] {
            let err = parse(&[&format!("{flag}={bad}")]).unwrap_err().to_string();
            assert!(err.contains(flag), "{flag} {bad}: {err}");
        }
    }

    #[test]
    fn closed_sets_parse_their_codes() {
        assert_eq!(Role::from_str("broker", false), Ok(Role::Broker));
        assert!(Role::from_str("king", false).is_err());
        assert_eq!(RankerName::from_str("bm25", false), Ok(RankerName::Bm25));
        assert_eq!(
            PriorChoice::from_str("none", false).map(|p| matches!(p, PriorChoice::None)),
            Ok(true)
        );
        for r in Role::ALL {
            assert!(r.to_possible_value().is_some());
        }
    }
}
