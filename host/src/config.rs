//! Configuration: `warden.toml` (optional), overridden by `WARDEN_*`
//! environment variables, overridden by command-line flags.

use crate::tokens::master_key::MasterKey;
use anyhow::{Context, bail};
use ring::rand::SystemRandom;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// What `serve` and the CLI do with migrations this build brings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrateMode {
    /// Apply them (the default; what one server on SQLite wants).
    Auto,
    /// Refuse to start while any is pending: `warden migrate` applies them,
    /// once, before a rolling upgrade starts the new version.
    Check,
}

/// Settings as they may appear in the file, the environment or flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub listen: Option<String>,
    pub management_listen: Option<String>,
    pub public_url: Option<String>,
    pub database_url: Option<String>,
    pub master_key: Option<String>,
    pub master_key_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "seconds")]
    pub access_token_ttl: Option<i64>,
    #[serde(default, deserialize_with = "seconds")]
    pub max_access_token_ttl: Option<i64>,
    #[serde(default, deserialize_with = "seconds")]
    pub secret_rotation_overlap: Option<i64>,
    #[serde(default, deserialize_with = "millis")]
    pub cache_refresh_ms: Option<u64>,
    #[serde(default, deserialize_with = "millis")]
    pub usage_flush_ms: Option<u64>,
    pub log_format: Option<String>,
    pub log: Option<String>,
    pub migrate: Option<String>,
    #[serde(default, deserialize_with = "millis")]
    pub plugin_max_deadline_ms: Option<u64>,
    pub plugin_max_memory_mib: Option<usize>,
    pub plugin_cache_dir: Option<PathBuf>,
    pub plugin_pool_slots: Option<u32>,
    pub plugin_decision_cache_entries: Option<usize>,
    pub plugin_decision_cache_mib: Option<usize>,
    #[serde(default, deserialize_with = "seconds_u64")]
    pub plugin_decision_cache_max_seconds: Option<u64>,
    pub delivery_max_attempts: Option<i64>,
    #[serde(default, deserialize_with = "millis")]
    pub delivery_backoff_ms: Option<u64>,
    #[serde(default, deserialize_with = "millis")]
    pub delivery_timeout_ms: Option<u64>,
    #[serde(default, deserialize_with = "millis")]
    pub delivery_poll_ms: Option<u64>,
    pub admin_token: Option<String>,
    #[serde(default, deserialize_with = "seconds")]
    pub refresh_token_idle_ttl: Option<i64>,
    #[serde(default, deserialize_with = "seconds")]
    pub refresh_token_absolute_ttl: Option<i64>,
    #[serde(default, deserialize_with = "seconds")]
    pub pat_max_ttl: Option<i64>,
    pub otlp_endpoint: Option<String>,
    pub otlp_sample_ratio: Option<f64>,
    pub otlp_service_name: Option<String>,
    pub metrics: Option<bool>,
    pub dpop_nonce: Option<bool>,
    pub metadata_document_allow_loopback: Option<bool>,
    #[serde(default, deserialize_with = "millis")]
    pub header_read_timeout_ms: Option<u64>,
    #[serde(default, deserialize_with = "millis")]
    pub idle_timeout_ms: Option<u64>,
    pub max_connections: Option<usize>,
    #[serde(default, deserialize_with = "millis")]
    pub shutdown_timeout_ms: Option<u64>,
    pub trusted_proxies: Option<String>,
    pub forwarded_header: Option<String>,
}

impl Layer {
    fn over(self, base: Layer) -> Layer {
        Layer {
            listen: self.listen.or(base.listen),
            management_listen: self.management_listen.or(base.management_listen),
            public_url: self.public_url.or(base.public_url),
            database_url: self.database_url.or(base.database_url),
            master_key: self.master_key.or(base.master_key),
            master_key_file: self.master_key_file.or(base.master_key_file),
            access_token_ttl: self.access_token_ttl.or(base.access_token_ttl),
            max_access_token_ttl: self.max_access_token_ttl.or(base.max_access_token_ttl),
            secret_rotation_overlap: self
                .secret_rotation_overlap
                .or(base.secret_rotation_overlap),
            cache_refresh_ms: self.cache_refresh_ms.or(base.cache_refresh_ms),
            usage_flush_ms: self.usage_flush_ms.or(base.usage_flush_ms),
            log_format: self.log_format.or(base.log_format),
            migrate: self.migrate.or(base.migrate),
            log: self.log.or(base.log),
            plugin_max_deadline_ms: self.plugin_max_deadline_ms.or(base.plugin_max_deadline_ms),
            plugin_max_memory_mib: self.plugin_max_memory_mib.or(base.plugin_max_memory_mib),
            plugin_cache_dir: self.plugin_cache_dir.or(base.plugin_cache_dir),
            plugin_pool_slots: self.plugin_pool_slots.or(base.plugin_pool_slots),
            plugin_decision_cache_entries: self
                .plugin_decision_cache_entries
                .or(base.plugin_decision_cache_entries),
            plugin_decision_cache_mib: self
                .plugin_decision_cache_mib
                .or(base.plugin_decision_cache_mib),
            plugin_decision_cache_max_seconds: self
                .plugin_decision_cache_max_seconds
                .or(base.plugin_decision_cache_max_seconds),
            delivery_max_attempts: self.delivery_max_attempts.or(base.delivery_max_attempts),
            delivery_backoff_ms: self.delivery_backoff_ms.or(base.delivery_backoff_ms),
            delivery_timeout_ms: self.delivery_timeout_ms.or(base.delivery_timeout_ms),
            delivery_poll_ms: self.delivery_poll_ms.or(base.delivery_poll_ms),
            admin_token: self.admin_token.or(base.admin_token),
            refresh_token_idle_ttl: self.refresh_token_idle_ttl.or(base.refresh_token_idle_ttl),
            refresh_token_absolute_ttl: self
                .refresh_token_absolute_ttl
                .or(base.refresh_token_absolute_ttl),
            pat_max_ttl: self.pat_max_ttl.or(base.pat_max_ttl),
            otlp_endpoint: self.otlp_endpoint.or(base.otlp_endpoint),
            otlp_sample_ratio: self.otlp_sample_ratio.or(base.otlp_sample_ratio),
            otlp_service_name: self.otlp_service_name.or(base.otlp_service_name),
            metrics: self.metrics.or(base.metrics),
            dpop_nonce: self.dpop_nonce.or(base.dpop_nonce),
            metadata_document_allow_loopback: self
                .metadata_document_allow_loopback
                .or(base.metadata_document_allow_loopback),
            header_read_timeout_ms: self.header_read_timeout_ms.or(base.header_read_timeout_ms),
            idle_timeout_ms: self.idle_timeout_ms.or(base.idle_timeout_ms),
            max_connections: self.max_connections.or(base.max_connections),
            shutdown_timeout_ms: self.shutdown_timeout_ms.or(base.shutdown_timeout_ms),
            trusted_proxies: self.trusted_proxies.or(base.trusted_proxies),
            forwarded_header: self.forwarded_header.or(base.forwarded_header),
        }
    }

    /// `WARDEN_<NAME>` for every setting (and the standard `OTEL_*` ones
    /// for traces).
    fn from_env(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Layer> {
        fn num<T: std::str::FromStr>(
            get: &impl Fn(&str) -> Option<String>,
            var: &str,
        ) -> anyhow::Result<Option<T>> {
            get(var)
                .map(|v| {
                    v.trim()
                        .parse::<T>()
                        .map_err(|_| anyhow::anyhow!("{var}: {v:?} is not a valid number"))
                })
                .transpose()
        }
        Ok(Layer {
            listen: get("WARDEN_LISTEN"),
            management_listen: get("WARDEN_MANAGEMENT_LISTEN"),
            public_url: get("WARDEN_PUBLIC_URL"),
            database_url: get("WARDEN_DATABASE_URL"),
            master_key: get("WARDEN_MASTER_KEY"),
            master_key_file: get("WARDEN_MASTER_KEY_FILE").map(PathBuf::from),
            access_token_ttl: env_seconds(&get, "WARDEN_ACCESS_TOKEN_TTL")?,
            max_access_token_ttl: env_seconds(&get, "WARDEN_MAX_ACCESS_TOKEN_TTL")?,
            secret_rotation_overlap: env_seconds(&get, "WARDEN_SECRET_ROTATION_OVERLAP")?,
            cache_refresh_ms: env_millis(&get, "WARDEN_CACHE_REFRESH_MS")?,
            usage_flush_ms: env_millis(&get, "WARDEN_USAGE_FLUSH_MS")?,
            log_format: get("WARDEN_LOG_FORMAT"),
            migrate: get("WARDEN_MIGRATE"),
            log: get("WARDEN_LOG"),
            plugin_max_deadline_ms: env_millis(&get, "WARDEN_PLUGIN_MAX_DEADLINE_MS")?,
            plugin_max_memory_mib: num(&get, "WARDEN_PLUGIN_MAX_MEMORY_MIB")?,
            plugin_cache_dir: get("WARDEN_PLUGIN_CACHE_DIR").map(PathBuf::from),
            plugin_pool_slots: num(&get, "WARDEN_PLUGIN_POOL_SLOTS")?,
            plugin_decision_cache_entries: num(&get, "WARDEN_PLUGIN_DECISION_CACHE_ENTRIES")?,
            plugin_decision_cache_mib: num(&get, "WARDEN_PLUGIN_DECISION_CACHE_MIB")?,
            plugin_decision_cache_max_seconds: env_seconds(
                &get,
                "WARDEN_PLUGIN_DECISION_CACHE_MAX_SECONDS",
            )?
            .map(|v| {
                u64::try_from(v).map_err(|_| {
                    anyhow::anyhow!("WARDEN_PLUGIN_DECISION_CACHE_MAX_SECONDS must not be negative")
                })
            })
            .transpose()?,
            delivery_max_attempts: num(&get, "WARDEN_DELIVERY_MAX_ATTEMPTS")?,
            delivery_backoff_ms: env_millis(&get, "WARDEN_DELIVERY_BACKOFF_MS")?,
            delivery_timeout_ms: env_millis(&get, "WARDEN_DELIVERY_TIMEOUT_MS")?,
            delivery_poll_ms: env_millis(&get, "WARDEN_DELIVERY_POLL_MS")?,
            admin_token: get("WARDEN_ADMIN_TOKEN"),
            refresh_token_idle_ttl: env_seconds(&get, "WARDEN_REFRESH_TOKEN_IDLE_TTL")?,
            refresh_token_absolute_ttl: env_seconds(&get, "WARDEN_REFRESH_TOKEN_ABSOLUTE_TTL")?,
            pat_max_ttl: env_seconds(&get, "WARDEN_PAT_MAX_TTL")?,
            // The OpenTelemetry SDKs' standard variables, where Warden's own
            // are not set.
            otlp_endpoint: get("WARDEN_OTLP_ENDPOINT")
                .or_else(|| get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").map(traces_base))
                .or_else(|| get("OTEL_EXPORTER_OTLP_ENDPOINT")),
            otlp_sample_ratio: match num(&get, "WARDEN_OTLP_SAMPLE_RATIO")? {
                Some(r) => Some(r),
                None => otel_sample_ratio(&get)?,
            },
            otlp_service_name: get("WARDEN_OTLP_SERVICE_NAME").or_else(|| get("OTEL_SERVICE_NAME")),
            metrics: env_bool(&get, "WARDEN_METRICS")?,
            dpop_nonce: env_bool(&get, "WARDEN_DPOP_NONCE")?,
            metadata_document_allow_loopback: env_bool(
                &get,
                "WARDEN_METADATA_DOCUMENT_ALLOW_LOOPBACK",
            )?,
            header_read_timeout_ms: env_millis(&get, "WARDEN_HEADER_READ_TIMEOUT_MS")?,
            idle_timeout_ms: env_millis(&get, "WARDEN_IDLE_TIMEOUT_MS")?,
            max_connections: num(&get, "WARDEN_MAX_CONNECTIONS")?,
            shutdown_timeout_ms: env_millis(&get, "WARDEN_SHUTDOWN_TIMEOUT_MS")?,
            trusted_proxies: get("WARDEN_TRUSTED_PROXIES"),
            forwarded_header: get("WARDEN_FORWARDED_HEADER"),
        })
    }
}

pub struct Config {
    pub listen: SocketAddr,
    /// Where the admin API, `/metrics` and the health checks are served
    /// instead of on `listen`, if set.
    pub management_listen: Option<SocketAddr>,
    /// Without a trailing slash. `None` means "http://{bound address}".
    pub public_url: Option<String>,
    pub database_url: String,
    master_key: Option<String>,
    master_key_file: Option<PathBuf>,
    pub access_token_ttl: i64,
    pub max_access_token_ttl: i64,
    pub secret_rotation_overlap: i64,
    pub cache_refresh: Duration,
    /// How often each replica adds its installation usage counts to the database.
    pub usage_flush: Duration,
    pub log_format: LogFormat,
    pub migrate: MigrateMode,
    pub log: String,
    /// The ceiling for any plugin binding's limits.
    pub plugin_max: crate::plugins::Limits,
    plugin_cache_dir: Option<PathBuf>,
    /// Memory and table slots in the plugin instance pool.
    pub plugin_pool_slots: u32,
    /// Bounds of the plugin decisions kept for reuse, and the default cap.
    pub plugin_decisions: crate::plugins::decisions::CacheOptions,
    pub delivery: crate::delivery::WorkerOptions,
    /// The operator credential for the admin API; `None` turns the API off.
    pub admin_token: Option<crate::admin::AdminToken>,
    pub refresh_token_idle_ttl: i64,
    pub refresh_token_absolute_ttl: i64,
    pub pat_max_ttl: i64,
    /// Where `serve` sends traces; `None` turns tracing export off.
    pub otlp: Option<Otlp>,
    /// Whether `serve` records metrics and answers `/metrics`.
    pub metrics: bool,
    /// RFC 9449 §8: DPoP proofs must carry a nonce the server gave out.
    pub dpop_nonce: bool,
    /// Client ID metadata documents may come from loopback addresses
    /// (and http there): for tests and local development only.
    pub metadata_document_allow_loopback: bool,
    /// Timeouts and the connection cap of the listener.
    pub connections: crate::http::listener::Limits,
    /// Reverse proxies whose forwarding header names the client.
    pub trusted_proxies: crate::http::client_addr::TrustedProxies,
}

/// An OpenTelemetry collector's OTLP/HTTP endpoint and what is sent to it.
#[derive(Clone, Debug)]
pub struct Otlp {
    /// The collector's base URL (`http://collector:4318`), or its traces URL.
    pub endpoint: String,
    /// The share of new traces sampled (a caller's `traceparent` decides for its own).
    pub sample_ratio: f64,
    pub service_name: String,
}

impl Otlp {
    /// Where spans are POSTed: `{endpoint}/v1/traces`, as OTLP/HTTP has it.
    pub fn traces_url(&self) -> String {
        let base = self.endpoint.trim_end_matches('/');
        if base.ends_with("/v1/traces") {
            base.to_string()
        } else {
            format!("{base}/v1/traces")
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field(
                "database_url",
                &crate::store::redact_url(&self.database_url),
            )
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "<redacted>"),
            )
            .field("master_key_file", &self.master_key_file)
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://warden.db";

/// The decision cache's bounds: 100,000 entries and 64 MiB unless set;
/// decisions reused for at most 5 minutes unless a tenant sets otherwise.
fn decision_cache(l: &Layer) -> anyhow::Result<crate::plugins::decisions::CacheOptions> {
    let d = crate::plugins::decisions::CacheOptions::default();
    let entries = l.plugin_decision_cache_entries.unwrap_or(d.max_entries);
    let mib = l.plugin_decision_cache_mib.unwrap_or(d.max_bytes >> 20);
    let seconds = l
        .plugin_decision_cache_max_seconds
        .unwrap_or(d.max_age.as_secs());
    if entries > 100_000_000 || mib > 65_536 {
        bail!(
            "plugin_decision_cache_entries must be at most 100000000 and plugin_decision_cache_mib at most 65536 (0 turns reuse off)"
        );
    }
    if seconds > crate::admin::MAX_DECISION_CACHE_SECONDS as u64 {
        bail!(
            "plugin_decision_cache_max_seconds must be 0 (never reuse) to {} seconds",
            crate::admin::MAX_DECISION_CACHE_SECONDS
        );
    }
    Ok(crate::plugins::decisions::CacheOptions {
        max_entries: entries,
        max_bytes: mib << 20,
        max_age: Duration::from_secs(seconds),
    })
}

/// `listen` and `management_listen`, which must differ.
fn listeners(l: &Layer) -> anyhow::Result<(SocketAddr, Option<SocketAddr>)> {
    let listen_text = l.listen.clone().unwrap_or_else(|| "127.0.0.1:8080".into());
    let listen: SocketAddr = listen_text.parse().map_err(|_| {
        anyhow::anyhow!(
            "listen address {listen_text:?} is not of the form IP:PORT (e.g. 127.0.0.1:8080)"
        )
    })?;
    let management_listen = match l.management_listen.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            let addr: SocketAddr = text.parse().map_err(|_| {
                anyhow::anyhow!(
                    "management_listen {text:?} is not of the form IP:PORT (e.g. 127.0.0.1:9090)"
                )
            })?;
            if addr == listen && addr.port() != 0 {
                bail!("management_listen must differ from listen ({listen})");
            }
            Some(addr)
        }
    };
    Ok((listen, management_listen))
}

/// The most any binding may ask of a plugin, and the pool's slots.
fn plugin_limits(l: &Layer) -> anyhow::Result<(crate::plugins::Limits, u32)> {
    let plugin_max_deadline_ms = l.plugin_max_deadline_ms.unwrap_or(1000);
    let plugin_max_memory_mib = l.plugin_max_memory_mib.unwrap_or(64);
    if !(1..=60_000).contains(&plugin_max_deadline_ms)
        || !(1..=4096).contains(&plugin_max_memory_mib)
    {
        bail!("plugin_max_deadline_ms must be 1-60000 and plugin_max_memory_mib 1-4096");
    }
    let plugin_pool_slots = l
        .plugin_pool_slots
        .unwrap_or(crate::plugins::DEFAULT_POOL_SLOTS);
    if !(16..=32_768).contains(&plugin_pool_slots) {
        bail!("plugin_pool_slots must be between 16 and 32768");
    }
    // Each slot reserves address space (not memory) for the largest plugin memory.
    if u64::from(plugin_pool_slots) * plugin_max_memory_mib as u64 > 16 << 20 {
        bail!(
            "plugin_pool_slots × plugin_max_memory_mib would reserve more than 16 TiB of address space; lower one of them"
        );
    }
    let limits = crate::plugins::Limits {
        deadline: Duration::from_millis(plugin_max_deadline_ms),
        memory_bytes: plugin_max_memory_mib << 20,
    };
    Ok((limits, plugin_pool_slots))
}

fn delivery_options(l: &Layer) -> anyhow::Result<crate::delivery::WorkerOptions> {
    let delivery = crate::delivery::WorkerOptions {
        max_attempts: l.delivery_max_attempts.unwrap_or(10),
        backoff: Duration::from_millis(l.delivery_backoff_ms.unwrap_or(5000)),
        timeout: Duration::from_millis(l.delivery_timeout_ms.unwrap_or(10_000)),
        poll: Duration::from_millis(l.delivery_poll_ms.unwrap_or(1000)),
    };
    if !(1..=100).contains(&delivery.max_attempts) {
        bail!("delivery_max_attempts must be 1-100");
    }
    for (name, d, range) in [
        ("delivery_backoff_ms", delivery.backoff, 10..=3_600_000),
        ("delivery_timeout_ms", delivery.timeout, 100..=300_000),
        ("delivery_poll_ms", delivery.poll, 10..=60_000),
    ] {
        if !range.contains(&(d.as_millis() as u64)) {
            bail!(
                "{name} must be between {} and {}",
                range.start(),
                range.end()
            );
        }
    }
    Ok(delivery)
}

/// Traces to a collector, when `otlp_endpoint` is set.
fn otlp(l: &Layer) -> anyhow::Result<Option<Otlp>> {
    l.otlp_endpoint
        .clone()
        .map(|endpoint| -> anyhow::Result<Otlp> {
            match url::Url::parse(&endpoint) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => bail!(
                    "otlp_endpoint {endpoint:?} is not an http:// or https:// URL (e.g. http://127.0.0.1:4318)"
                ),
            }
            let sample_ratio = l.otlp_sample_ratio.unwrap_or(1.0);
            if !(0.0..=1.0).contains(&sample_ratio) {
                bail!("otlp_sample_ratio must be between 0 and 1");
            }
            Ok(Otlp {
                endpoint,
                sample_ratio,
                service_name: l.otlp_service_name.clone().unwrap_or_else(|| "warden".into()),
            })
        })
        .transpose()
}

fn connection_limits(l: &Layer) -> anyhow::Result<crate::http::listener::Limits> {
    let connections = crate::http::listener::Limits {
        header_read_timeout: Duration::from_millis(l.header_read_timeout_ms.unwrap_or(10_000)),
        idle_timeout: Duration::from_millis(l.idle_timeout_ms.unwrap_or(60_000)),
        max_connections: l.max_connections.unwrap_or(4096),
        shutdown_timeout: Duration::from_millis(l.shutdown_timeout_ms.unwrap_or(10_000)),
    };
    for (name, d) in [
        ("header_read_timeout_ms", connections.header_read_timeout),
        ("idle_timeout_ms", connections.idle_timeout),
        ("shutdown_timeout_ms", connections.shutdown_timeout),
    ] {
        if !(100..=3_600_000).contains(&(d.as_millis() as u64)) {
            bail!("{name} must be between 100 and 3600000");
        }
    }
    if !(1..=1_000_000).contains(&connections.max_connections) {
        bail!("max_connections must be between 1 and 1000000");
    }
    Ok(connections)
}

fn trusted_proxies(l: &Layer) -> anyhow::Result<crate::http::client_addr::TrustedProxies> {
    let forwarded_header = match l.forwarded_header.as_deref().unwrap_or("x-forwarded-for") {
        "x-forwarded-for" => crate::http::client_addr::ForwardedHeader::XForwardedFor,
        "forwarded" => crate::http::client_addr::ForwardedHeader::Forwarded,
        other => bail!("forwarded_header {other:?} is not one of: x-forwarded-for, forwarded"),
    };
    crate::http::client_addr::TrustedProxies::parse(
        l.trusted_proxies.as_deref().unwrap_or_default(),
        forwarded_header,
    )
    .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))
}

fn access_token_ttls(l: &Layer) -> anyhow::Result<(i64, i64)> {
    let access_token_ttl = l.access_token_ttl.unwrap_or(3600);
    let max_access_token_ttl = l.max_access_token_ttl.unwrap_or(86_400);
    if access_token_ttl <= 0 || max_access_token_ttl <= 0 {
        bail!("access token lifetimes must be positive numbers of seconds");
    }
    if access_token_ttl > max_access_token_ttl {
        bail!(
            "access_token_ttl ({access_token_ttl}s) exceeds max_access_token_ttl ({max_access_token_ttl}s)"
        );
    }
    Ok((access_token_ttl, max_access_token_ttl))
}

fn refresh_ttls(l: &Layer) -> anyhow::Result<(i64, i64, i64)> {
    let refresh_token_idle_ttl = l.refresh_token_idle_ttl.unwrap_or(14 * 86_400);
    let refresh_token_absolute_ttl = l.refresh_token_absolute_ttl.unwrap_or(90 * 86_400);
    let pat_max_ttl = l.pat_max_ttl.unwrap_or(365 * 86_400);
    if refresh_token_idle_ttl <= 0 || refresh_token_absolute_ttl <= 0 || pat_max_ttl <= 0 {
        bail!(
            "refresh_token_idle_ttl, refresh_token_absolute_ttl and pat_max_ttl must be positive numbers of seconds"
        );
    }
    Ok((
        refresh_token_idle_ttl,
        refresh_token_absolute_ttl,
        pat_max_ttl,
    ))
}

fn modes(l: &Layer) -> anyhow::Result<(MigrateMode, LogFormat)> {
    let migrate = match l.migrate.as_deref().unwrap_or("auto") {
        "auto" => MigrateMode::Auto,
        "check" => MigrateMode::Check,
        other => bail!("migrate {other:?} is not one of: auto, check"),
    };
    let log_format = match l.log_format.as_deref().unwrap_or("pretty") {
        "pretty" => LogFormat::Pretty,
        "json" => LogFormat::Json,
        other => bail!("log_format {other:?} is not one of: pretty, json"),
    };
    Ok((migrate, log_format))
}

impl Config {
    /// Reads the file (explicit path, `WARDEN_CONFIG`, or `./warden.toml` if
    /// present), then the environment, then `flags`.
    pub fn load(file: Option<&Path>, flags: Layer) -> anyhow::Result<Config> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env("WARDEN_CONFIG").map(PathBuf::from));
        let from_file = match file {
            Some(path) => read_file(&path)?,
            None if Path::new("warden.toml").exists() => read_file(Path::new("warden.toml"))?,
            None => Layer::default(),
        };
        Self::resolve(flags.over(Layer::from_env(env)?.over(from_file)))
    }

    fn resolve(l: Layer) -> anyhow::Result<Config> {
        let plugin_decisions = decision_cache(&l)?;
        let (listen, management_listen) = listeners(&l)?;
        let public_url = l
            .public_url
            .as_deref()
            .map(validate_public_url)
            .transpose()?;
        let (access_token_ttl, max_access_token_ttl) = access_token_ttls(&l)?;
        let secret_rotation_overlap = l.secret_rotation_overlap.unwrap_or(86_400);
        if let Err(e) = crate::admin::check_secret_overlap(secret_rotation_overlap) {
            bail!("secret_rotation_overlap: {e}");
        }
        let cache_refresh_ms = l.cache_refresh_ms.unwrap_or(1000);
        if !(50..=60_000).contains(&cache_refresh_ms) {
            bail!("cache_refresh_ms must be between 50 and 60000");
        }
        let usage_flush_ms = l.usage_flush_ms.unwrap_or(10_000);
        if !(100..=3_600_000).contains(&usage_flush_ms) {
            bail!("usage_flush_ms must be between 100 and 3600000");
        }
        let (migrate, log_format) = modes(&l)?;
        let (plugin_max, plugin_pool_slots) = plugin_limits(&l)?;
        let delivery = delivery_options(&l)?;
        let admin_token = l
            .admin_token
            .as_deref()
            .map(crate::admin::AdminToken::new)
            .transpose()?;
        let (refresh_token_idle_ttl, refresh_token_absolute_ttl, pat_max_ttl) = refresh_ttls(&l)?;
        let otlp = otlp(&l)?;
        let connections = connection_limits(&l)?;
        let trusted_proxies = trusted_proxies(&l)?;
        Ok(Config {
            connections,
            trusted_proxies,
            otlp,
            metrics: l.metrics.unwrap_or(true),
            dpop_nonce: l.dpop_nonce.unwrap_or(false),
            metadata_document_allow_loopback: l.metadata_document_allow_loopback.unwrap_or(false),
            delivery,
            admin_token,
            refresh_token_idle_ttl,
            refresh_token_absolute_ttl,
            pat_max_ttl,
            plugin_max,
            plugin_cache_dir: l.plugin_cache_dir,
            plugin_pool_slots,
            plugin_decisions,
            listen,
            management_listen,
            public_url,
            database_url: l
                .database_url
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            master_key: l.master_key,
            master_key_file: l.master_key_file,
            access_token_ttl,
            max_access_token_ttl,
            secret_rotation_overlap,
            cache_refresh: Duration::from_millis(cache_refresh_ms),
            usage_flush: Duration::from_millis(usage_flush_ms),
            log_format,
            migrate,
            log: l.log.unwrap_or_else(|| "info".into()),
        })
    }

    /// The public URL, or one derived from the address actually bound.
    pub fn public_url_or(&self, bound: SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
    }

    /// Plugin host settings: the operator's limits and where compiled
    /// plugins are cached (beside a SQLite file, else in the temp directory).
    pub fn plugin_host_options(&self) -> crate::plugins::HostOptions {
        let cache_dir =
            self.plugin_cache_dir
                .clone()
                .or_else(|| match sqlite_path(&self.database_url) {
                    Some(SqlitePath::File(db)) => {
                        Some(PathBuf::from(format!("{}.plugin-cache", db.display())))
                    }
                    Some(SqlitePath::Memory) => None,
                    None => Some(std::env::temp_dir().join("warden-plugin-cache")),
                });
        crate::plugins::HostOptions {
            max: self.plugin_max,
            cache_dir,
            pool_slots: self.plugin_pool_slots,
            baseline_compile: true,
            decisions: self.plugin_decisions,
        }
    }

    /// The master key from config, from its file, or — for a SQLite file
    /// database only — from a generated 0600 file beside the database.
    pub fn master_key(&self) -> anyhow::Result<MasterKey> {
        if let Some(text) = &self.master_key {
            return MasterKey::parse(text)
                .map_err(|e| anyhow::anyhow!("WARDEN_MASTER_KEY / master_key: {e}"));
        }
        if let Some(path) = &self.master_key_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read master key file {}", path.display()))?;
            return MasterKey::parse(&text)
                .map_err(|e| anyhow::anyhow!("master key file {}: {e}", path.display()));
        }
        match sqlite_path(&self.database_url) {
            Some(SqlitePath::Memory) => Ok(MasterKey::generate(&SystemRandom::new()).0),
            Some(SqlitePath::File(db)) => {
                let path = PathBuf::from(format!("{}.master-key", db.display()));
                load_or_create_key_file(&path)
            }
            None => bail!(
                "a master key is required with PostgreSQL: set WARDEN_MASTER_KEY (32 bytes, base64) or master_key_file; `warden keys new-master-key` prints a fresh one"
            ),
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<Layer> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("config file {}: {}", path.display(), e.message()))
}

fn validate_public_url(u: &str) -> anyhow::Result<String> {
    let parsed =
        url::Url::parse(u).map_err(|e| anyhow::anyhow!("public URL {u:?} is invalid: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.query().is_some()
        || parsed.fragment().is_some()
    {
        bail!("public URL {u:?} must be an http(s) URL without query or fragment");
    }
    Ok(u.trim_end_matches('/').to_string())
}

enum SqlitePath {
    Memory,
    File(PathBuf),
}

fn sqlite_path(url: &str) -> Option<SqlitePath> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
        Some(SqlitePath::Memory)
    } else {
        Some(SqlitePath::File(PathBuf::from(path)))
    }
}

fn load_or_create_key_file(path: &Path) -> anyhow::Result<MasterKey> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if path.exists() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read master key file {}", path.display()))?;
        return MasterKey::parse(&text)
            .map_err(|e| anyhow::anyhow!("master key file {}: {e}", path.display()));
    }
    let (key, text) = MasterKey::generate(&SystemRandom::new());
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create master key file {}", path.display()))?;
    f.write_all(format!("{text}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write master key file {}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "generated a new master key for the SQLite database; back it up — signing keys cannot be decrypted without it"
    );
    Ok(key)
}

/// A duration written with its unit: `500ms`, `10s`, `5m`, `10h`, `2d`, in
/// milliseconds; `None` for anything else (a bare number included).
fn with_unit_ms(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = t.split_at(split);
    let n: u64 = n.parse().ok()?;
    let per = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(per)
}

/// A setting in seconds: a whole number of seconds, or a duration with a
/// unit that comes to whole seconds.
fn parse_seconds(text: &str) -> Result<i64, String> {
    if let Ok(n) = text.trim().parse::<i64>() {
        return Ok(n);
    }
    match with_unit_ms(text) {
        Some(ms) if ms % 1_000 == 0 => Ok((ms / 1_000) as i64),
        Some(_) => Err(format!("{text:?} is not a whole number of seconds")),
        None => Err(format!(
            "{text:?} is not a duration: give seconds (3600) or a number with a unit (500ms, 10s, 5m, 10h, 2d)"
        )),
    }
}

/// A setting in milliseconds: a number of milliseconds, or a duration with a unit.
fn parse_millis(text: &str) -> Result<u64, String> {
    if let Ok(n) = text.trim().parse::<u64>() {
        return Ok(n);
    }
    with_unit_ms(text).ok_or_else(|| {
        format!(
            "{text:?} is not a duration: give milliseconds (500) or a number with a unit (500ms, 10s, 5m, 10h, 2d)"
        )
    })
}

/// A number or a string in the file.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(i64),
    Text(String),
}

fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrText::Number(n)) => Ok(Some(n)),
        Some(NumberOrText::Text(t)) => parse_seconds(&t)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

fn seconds_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    seconds(d)?
        .map(|n| u64::try_from(n).map_err(|_| serde::de::Error::custom("must not be negative")))
        .transpose()
}

fn millis<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrText::Number(n)) => u64::try_from(n)
            .map(Some)
            .map_err(|_| serde::de::Error::custom("must not be negative")),
        Some(NumberOrText::Text(t)) => parse_millis(&t).map(Some).map_err(serde::de::Error::custom),
    }
}

fn env_seconds(get: &impl Fn(&str) -> Option<String>, var: &str) -> anyhow::Result<Option<i64>> {
    get(var)
        .map(|v| parse_seconds(&v).map_err(|e| anyhow::anyhow!("{var}: {e}")))
        .transpose()
}

fn env_millis(get: &impl Fn(&str) -> Option<String>, var: &str) -> anyhow::Result<Option<u64>> {
    get(var)
        .map(|v| parse_millis(&v).map_err(|e| anyhow::anyhow!("{var}: {e}")))
        .transpose()
}

fn env_bool(get: &impl Fn(&str) -> Option<String>, var: &str) -> anyhow::Result<Option<bool>> {
    get(var)
        .map(|v| match v.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(anyhow::anyhow!("{var}: {other:?} is not true or false")),
        })
        .transpose()
}

/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` names the traces URL itself; the
/// setting is the base that `/v1/traces` is added to.
fn traces_base(url: String) -> String {
    match url.trim_end_matches('/').strip_suffix("/v1/traces") {
        Some(base) => base.to_string(),
        None => url,
    }
}

/// `OTEL_TRACES_SAMPLER` (and `_ARG`) as a ratio of new traces sampled.
fn otel_sample_ratio(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<f64>> {
    let Some(sampler) = get("OTEL_TRACES_SAMPLER") else {
        return Ok(None);
    };
    let arg = || -> anyhow::Result<f64> {
        match get("OTEL_TRACES_SAMPLER_ARG") {
            None => Ok(1.0),
            Some(v) => v.trim().parse::<f64>().map_err(|_| {
                anyhow::anyhow!("OTEL_TRACES_SAMPLER_ARG: {v:?} is not a number between 0 and 1")
            }),
        }
    };
    Ok(Some(match sampler.trim() {
        "always_on" | "parentbased_always_on" => 1.0,
        "always_off" | "parentbased_always_off" => 0.0,
        "traceidratio" | "parentbased_traceidratio" => arg()?,
        other => anyhow::bail!(
            "OTEL_TRACES_SAMPLER: {other:?} is not one of always_on, always_off, traceidratio and their parentbased_ forms"
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(f: impl FnOnce(&mut Layer)) -> Layer {
        let mut l = Layer::default();
        f(&mut l);
        l
    }

    #[test]
    fn flags_beat_env_beat_file() {
        let file = layer(|l| {
            l.listen = Some("127.0.0.1:1".into());
            l.access_token_ttl = Some(10);
            l.max_access_token_ttl = Some(20);
        });
        let env =
            Layer::from_env(|k| (k == "WARDEN_LISTEN").then(|| "127.0.0.1:2".to_string())).unwrap();
        let flags = layer(|l| l.database_url = Some("sqlite::memory:".into()));
        let c = Config::resolve(flags.over(env.over(file))).unwrap();
        assert_eq!(c.listen.port(), 2);
        assert_eq!(c.access_token_ttl, 10);
        assert_eq!(c.database_url, "sqlite::memory:");
    }

    #[test]
    fn the_standard_otel_variables_are_honoured_below_wardens_own() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let l = Layer::from_env(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_SERVICE_NAME", "auth-eu"),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ]))
        .unwrap();
        assert_eq!(l.otlp_endpoint.as_deref(), Some("http://collector:4318"));
        assert_eq!(l.otlp_service_name.as_deref(), Some("auth-eu"));
        assert_eq!(l.otlp_sample_ratio, Some(0.25));
        let l = Layer::from_env(env(&[
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://collector:4318/v1/traces",
            ),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://other:4318"),
            ("OTEL_TRACES_SAMPLER", "always_off"),
        ]))
        .unwrap();
        assert_eq!(l.otlp_endpoint.as_deref(), Some("http://collector:4318"));
        assert_eq!(l.otlp_sample_ratio, Some(0.0));
        let l = Layer::from_env(env(&[
            ("WARDEN_OTLP_ENDPOINT", "http://mine:4318"),
            ("WARDEN_OTLP_SERVICE_NAME", "warden-a"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_SERVICE_NAME", "auth-eu"),
        ]))
        .unwrap();
        assert_eq!(l.otlp_endpoint.as_deref(), Some("http://mine:4318"));
        assert_eq!(l.otlp_service_name.as_deref(), Some("warden-a"));
        let e = Layer::from_env(env(&[("OTEL_TRACES_SAMPLER", "jaeger_remote")]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("OTEL_TRACES_SAMPLER"), "{e}");
    }

    #[test]
    fn durations_take_units_everywhere() {
        assert_eq!(parse_seconds("3600"), Ok(3600));
        assert_eq!(parse_seconds("10h"), Ok(36_000));
        assert_eq!(parse_seconds(" 2d "), Ok(172_800));
        assert_eq!(parse_seconds("90s"), Ok(90));
        assert!(
            parse_seconds("1500ms")
                .unwrap_err()
                .contains("whole number of seconds")
        );
        assert!(parse_seconds("soon").unwrap_err().contains("10h"));
        assert_eq!(parse_millis("250"), Ok(250));
        assert_eq!(parse_millis("500ms"), Ok(500));
        assert_eq!(parse_millis("10s"), Ok(10_000));
        assert_eq!(parse_millis("5m"), Ok(300_000));
        assert!(parse_millis("5 weeks").is_err());
        let file: Layer = toml::from_str(
            "access_token_ttl = \"10h\"\ncache_refresh_ms = \"2s\"\nshutdown_timeout_ms = 1500\npat_max_ttl = 86400\nplugin_decision_cache_max_seconds = \"5m\"",
        )
        .unwrap();
        assert_eq!(file.access_token_ttl, Some(36_000));
        assert_eq!(file.cache_refresh_ms, Some(2_000));
        assert_eq!(file.shutdown_timeout_ms, Some(1_500));
        assert_eq!(file.pat_max_ttl, Some(86_400));
        assert_eq!(file.plugin_decision_cache_max_seconds, Some(300));
        let e = toml::from_str::<Layer>("delivery_timeout_ms = \"soon\"")
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("delivery_timeout_ms") && e.contains("10s"),
            "{e}"
        );
        let env = Layer::from_env(|k| match k {
            "WARDEN_USAGE_FLUSH_MS" => Some("1m".into()),
            "WARDEN_REFRESH_TOKEN_IDLE_TTL" => Some("30d".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(env.usage_flush_ms, Some(60_000));
        assert_eq!(env.refresh_token_idle_ttl, Some(2_592_000));
    }

    #[test]
    fn bad_values_are_named() {
        let e = Layer::from_env(|k| (k == "WARDEN_ACCESS_TOKEN_TTL").then(|| "soon".to_string()))
            .unwrap_err();
        assert!(e.to_string().contains("WARDEN_ACCESS_TOKEN_TTL"));
        let e = Config::resolve(layer(|l| l.listen = Some("localhost".into()))).unwrap_err();
        assert!(e.to_string().contains("listen address"));
        let e = Config::resolve(layer(|l| l.public_url = Some("ftp://x".into()))).unwrap_err();
        assert!(e.to_string().contains("public URL"));
        let e = Config::resolve(layer(|l| {
            l.access_token_ttl = Some(100);
            l.max_access_token_ttl = Some(50);
        }))
        .unwrap_err();
        assert!(e.to_string().contains("exceeds"));
    }

    #[test]
    fn postgres_requires_a_master_key() {
        let c = Config::resolve(layer(|l| l.database_url = Some("postgres://x/y".into()))).unwrap();
        assert!(
            c.master_key()
                .unwrap_err()
                .to_string()
                .contains("master key is required")
        );
    }
}
