//! Configuration, read from the environment once at cold start.
//!
//! [`Config::from_env`] returns a `Result`: a Lambda with a bad configuration fails its init phase with
//! a message naming the variable, instead of answering requests wrongly. Handlers receive the parsed
//! values through router state and never read the environment themselves.

use std::collections::HashMap;
use std::time::Duration;
use url::Url;

/// Why the environment does not describe a usable deployment.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// How long each kind of credential lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    /// ES256 access tokens; short, because the MCP function verifies them without a store lookup.
    pub access_token: Duration,
    /// A grant's refresh token; every rotation extends the grant by this much.
    pub refresh_token: Duration,
    /// How long the previous refresh token may be retried once after a rotation.
    pub refresh_grace: Duration,
    /// Authorization codes (OAuth 2.1 recommends minutes at most).
    pub authorization_code: Duration,
    /// An unused dynamic client registration.
    pub client_registration: Duration,
    /// How long the MCP function trusts its last look at a token's grant, client and revocation
    /// record before reading them again: the bound on how long a revoked token keeps working.
    pub revocation_check: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            access_token: Duration::from_secs(60 * 60),
            refresh_token: Duration::from_secs(30 * 24 * 60 * 60),
            refresh_grace: Duration::from_secs(2 * 60),
            authorization_code: Duration::from_secs(5 * 60),
            client_registration: Duration::from_secs(90 * 24 * 60 * 60),
            revocation_check: Duration::from_secs(30),
        }
    }
}

/// The deployment as both functions see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The public origin, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. It is the OAuth
    /// `issuer` exactly, and the base of every absolute URL we publish. No trailing slash.
    pub public_base_url: String,
    /// Shown to users and in the protected-resource metadata.
    pub resource_name: String,
    /// Browser origins allowed to call the MCP endpoint (requests without `Origin` always pass).
    pub allowed_origins: Vec<String>,
    /// Credential lifetimes.
    pub lifetimes: Lifetimes,
    /// Dynamic registrations accepted per source address and hour (each writes to the table).
    pub registrations_per_hour: u32,
    /// The most characters of a tool result a client gets; a longer one is cut with a marker
    /// saying how much was left out (Claude drops results beyond about 150,000).
    pub max_tool_result_chars: usize,
    /// Tool calls that run as tasks (the MCP Tasks extension).
    pub tasks: TaskSettings,
}

/// The limits of tasks: how long one may work, how long it is kept, how many one person may have
/// working at once, and how often clients are asked to poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskSettings {
    /// A task's work ends by then, or it fails (the worker's own Lambda timeout bounds it).
    pub run_limit: Duration,
    /// How long a task and its result are kept after creation (its `ttlMs`).
    pub keep: Duration,
    /// Tasks one person may have working at once.
    pub per_person: usize,
    /// The interval clients are asked to poll at (`pollIntervalMs`).
    pub poll_interval: Duration,
}

impl Default for TaskSettings {
    fn default() -> Self {
        Self {
            run_limit: Duration::from_secs(14 * 60),
            keep: Duration::from_secs(24 * 60 * 60),
            per_person: 5,
            poll_interval: Duration::from_secs(2),
        }
    }
}

/// The longest a task may work: a Lambda function's 15 minutes, less a minute for the worker to
/// record how it ended.
pub const MAX_TASK_RUN_SECONDS: u64 = 14 * 60;

/// Default of [`Config::max_tool_result_chars`]: Claude's limit.
pub const DEFAULT_MAX_TOOL_RESULT_CHARS: usize = 150_000;
/// The smallest [`Config::max_tool_result_chars`] accepted: room for a result and its marker.
pub const MIN_TOOL_RESULT_CHARS: usize = 1_000;

/// [`TaskSettings`] from the variables (`get` one, `seconds` one as a positive duration).
fn task_settings<'v>(
    get: &impl Fn(&str) -> Option<&'v str>,
    seconds: &impl Fn(&'static str, Duration) -> Result<Duration, ConfigError>,
) -> Result<TaskSettings, ConfigError> {
    let task_defaults = TaskSettings::default();
    let tasks =
        TaskSettings {
            run_limit: seconds("TASK_RUN_LIMIT_SECONDS", task_defaults.run_limit)?,
            keep: seconds("TASK_KEEP_SECONDS", task_defaults.keep)?,
            per_person: match get("TASKS_PER_PERSON") {
                None => task_defaults.per_person,
                Some(v) => v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    ConfigError::Invalid {
                        name: "TASKS_PER_PERSON",
                        reason: format!("expected a positive whole number, got {v:?}"),
                    }
                })?,
            },
            poll_interval: task_defaults.poll_interval,
        };
    if tasks.run_limit > Duration::from_secs(MAX_TASK_RUN_SECONDS) {
        return Err(ConfigError::Invalid {
            name: "TASK_RUN_LIMIT_SECONDS",
            reason: format!("at most {MAX_TASK_RUN_SECONDS}: a Lambda function runs 15 minutes"),
        });
    }
    if tasks.keep < tasks.run_limit {
        return Err(ConfigError::Invalid {
            name: "TASK_KEEP_SECONDS",
            reason: "at least TASK_RUN_LIMIT_SECONDS: a task is kept while it may work".into(),
        });
    }
    Ok(tasks)
}

/// The names of this machine, as URLs spell them (RFC 8252 §7.3 loopback redirects, the local
/// development origin, `Host` values on it): written once here, read by every check.
pub const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// Whether `host` (as a URL's host string) is this machine.
pub fn is_loopback_host(host: &str) -> bool {
    LOOPBACK_HOSTS.contains(&host)
}

/// Default of [`Config::registrations_per_hour`]: room for a team connecting through Claude's
/// shared egress addresses, none for a script filling the table.
pub const DEFAULT_REGISTRATIONS_PER_HOUR: u32 = 60;

impl Config {
    /// Reads the process environment. See [`Config::from_vars`] for the variables.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Parses configuration from a map of variables (where the AWS resources are is the
    /// deployment's business: [`crate::aws::Deployment`]):
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `PUBLIC_BASE_URL` | issuer / public origin (https, or http on loopback) | required |
    /// | `ALLOWED_ORIGINS` | comma-separated browser origins for `/mcp` | the public origin |
    /// | `RESOURCE_NAME` | display name | `remote-mcp` |
    /// | `ACCESS_TOKEN_TTL_SECONDS` etc. | see [`Lifetimes`] | see [`Lifetimes::default`] |
    /// | `REVOCATION_CHECK_SECONDS` | how stale the MCP function's view of revocation may be (≤ 60) | 30 |
    /// | `REGISTRATIONS_PER_HOUR` | dynamic registrations per source address and hour | 60 |
    /// | `MAX_TOOL_RESULT_CHARS` | longest tool result sent, in characters (≥ 1000) | 150000 |
    /// | `TASK_RUN_LIMIT_SECONDS` | how long a task may work (≤ 840) | 840 |
    /// | `TASK_KEEP_SECONDS` | how long a task and its result are kept | 86400 |
    /// | `TASKS_PER_PERSON` | tasks one person may have working at once | 5 |
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let public_base_url =
            parse_base_url(get("PUBLIC_BASE_URL").ok_or(ConfigError::Missing("PUBLIC_BASE_URL"))?)?;
        let defaults = Lifetimes::default();
        let seconds = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if n > 0 => Ok(Duration::from_secs(n)),
                    _ => Err(ConfigError::Invalid {
                        name,
                        reason: format!("expected a positive number of seconds, got {v:?}"),
                    }),
                },
            }
        };
        let lifetimes = Lifetimes {
            access_token: seconds("ACCESS_TOKEN_TTL_SECONDS", defaults.access_token)?,
            refresh_token: seconds("REFRESH_TOKEN_TTL_SECONDS", defaults.refresh_token)?,
            refresh_grace: seconds("REFRESH_GRACE_SECONDS", defaults.refresh_grace)?,
            authorization_code: seconds(
                "AUTHORIZATION_CODE_TTL_SECONDS",
                defaults.authorization_code,
            )?,
            client_registration: seconds(
                "CLIENT_REGISTRATION_TTL_SECONDS",
                defaults.client_registration,
            )?,
            revocation_check: seconds("REVOCATION_CHECK_SECONDS", defaults.revocation_check)?,
        };
        if lifetimes.revocation_check > Duration::from_secs(60) {
            return Err(ConfigError::Invalid {
                name: "REVOCATION_CHECK_SECONDS",
                reason: "at most 60: revocation must reach the MCP function within a minute".into(),
            });
        }
        let registrations_per_hour =
            match get("REGISTRATIONS_PER_HOUR") {
                None => DEFAULT_REGISTRATIONS_PER_HOUR,
                Some(v) => v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    ConfigError::Invalid {
                        name: "REGISTRATIONS_PER_HOUR",
                        reason: format!("expected a positive whole number, got {v:?}"),
                    }
                })?,
            };
        let max_tool_result_chars = match get("MAX_TOOL_RESULT_CHARS") {
            None => DEFAULT_MAX_TOOL_RESULT_CHARS,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= MIN_TOOL_RESULT_CHARS)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "MAX_TOOL_RESULT_CHARS",
                    reason: format!(
                        "expected a whole number of at least {MIN_TOOL_RESULT_CHARS}, got {v:?}"
                    ),
                })?,
        };
        let tasks = task_settings(&get, &seconds)?;
        let default_origin = origin_of(&public_base_url);
        Ok(Self {
            public_base_url,
            resource_name: get("RESOURCE_NAME").unwrap_or("remote-mcp").to_owned(),
            allowed_origins: match get("ALLOWED_ORIGINS") {
                Some(list) => list
                    .split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect(),
                None => vec![default_origin],
            },
            lifetimes,
            registrations_per_hour,
            max_tool_result_chars,
            tasks,
        })
    }

    /// A configuration for local development and tests: the given origin, in-memory store. On a
    /// loopback origin, browsers may call from any loopback name on the same port.
    pub fn local(public_base_url: &str) -> Result<Self, ConfigError> {
        let mut config = Self::from_vars(&HashMap::from([(
            "PUBLIC_BASE_URL".to_owned(),
            public_base_url.to_owned(),
        )]))?;
        if let Ok(url) = Url::parse(&config.public_base_url)
            && url.host_str().is_some_and(is_loopback_host)
        {
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            config.allowed_origins = LOOPBACK_HOSTS
                .iter()
                .map(|h| format!("{}://{h}{port}", url.scheme()))
                .collect();
        }
        Ok(config)
    }

    /// The OAuth issuer identifier (RFC 8414 §2): the public origin, exactly.
    pub fn issuer(&self) -> &str {
        &self.public_base_url
    }

    /// Whether the public origin is HTTPS (cookies then get `Secure` and the `__Host-` prefix).
    pub fn is_https(&self) -> bool {
        self.public_base_url.starts_with("https://")
    }

    /// An absolute URL on the public origin; `path` starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_base_url, path)
    }

    /// The canonical MCP resource URI (RFC 8707, RFC 9728 `resource`): no trailing slash.
    pub fn mcp_resource(&self) -> String {
        self.url("/mcp")
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| url.to_owned())
}

/// Accepts `https://host[:port][/path]` or `http://` on a loopback host; strips one trailing slash.
fn parse_base_url(raw: &str) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        name: "PUBLIC_BASE_URL",
        reason: format!("{reason} (got {raw:?})"),
    };
    let url = Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
    let host = url.host_str().ok_or_else(|| invalid("no host"))?;
    let loopback = is_loopback_host(host);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(invalid("must be https (http only on a loopback host)")),
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(invalid("must not carry a query, fragment or user info"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests;
