//! Client configuration: the JSON of `jing_client_new`, checked strictly so that a typo or a
//! wrong type is a clear `JING_E_CONFIG` at start-up rather than a surprise in production.

use crate::error::{Error, Result};
use crate::url::{redacted, HttpUrl, Scheme};
use serde_json::{Map, Value};
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://jingopenapi.jingsocial.com";
/// Codes the sandbox uses for "token invalid" and "token expired" (jing-api.md: the live
/// platform's codes are unknown, so these lists are configurable).
pub const DEFAULT_AUTH_ERROR_CODES: &[i64] = &[40101, 40102];
pub const DEFAULT_RATE_LIMIT_ERROR_CODES: &[i64] = &[42901];
pub const DEFAULT_QUOTA_ERROR_CODES: &[i64] = &[42902];

/// A configuration is a few hundred bytes; refusing megabytes keeps a runaway caller from
/// putting them in headers (app_id, user_agent) or keys of the process-wide registry.
pub const MAX_CONFIG_BYTES: usize = 64 * 1024;

const KEYS: &[&str] = &[
    "app_id",
    "app_secret",
    "base_url",
    "token_path",
    "refresh_path",
    "timeout_ms",
    "connect_timeout_ms",
    "max_retries",
    "rate_limit_per_second",
    "daily_quota",
    "max_wait_ms",
    "auth_error_codes",
    "rate_limit_error_codes",
    "quota_error_codes",
    "proxy",
    "ca_file",
    "user_agent",
];

#[derive(Clone, PartialEq)]
pub struct Config {
    pub app_id: String,
    pub app_secret: String,
    /// Without a trailing `/`.
    pub base_url: String,
    pub token_path: String,
    pub refresh_path: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_retries: u32,
    pub rate_limit_per_second: u32,
    pub daily_quota: u32,
    pub max_wait: Duration,
    pub auth_error_codes: Vec<i64>,
    pub rate_limit_error_codes: Vec<i64>,
    pub quota_error_codes: Vec<i64>,
    pub proxy: Option<String>,
    pub ca_file: Option<String>,
    pub user_agent: Option<String>,
}

// Hand-written so that `{:?}` can never print the secret.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("app_id", &self.app_id)
            .field("app_secret", &"***")
            .field("base_url", &self.base_url)
            .field("proxy", &self.proxy.as_deref().map(redacted))
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Parses the configuration JSON, taking `JING_APP_ID`, `JING_APP_SECRET` and
    /// `JING_BASE_URL` from the environment where the JSON leaves them out.
    pub fn from_json(text: &str) -> Result<Config> {
        Config::from_json_with_env(text, |name| std::env::var(name).ok())
    }

    pub fn from_json_with_env(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Config> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(Error::config(format!(
                "configuration is larger than {MAX_CONFIG_BYTES} bytes"
            )));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::config(format!(
                "configuration is not valid JSON: {} at line {} column {}",
                json_problem(&e),
                e.line(),
                e.column()
            ))
        })?;
        let Value::Object(map) = value else {
            return Err(Error::config("configuration must be a JSON object"));
        };
        let mut unknown: Vec<&str> = map
            .keys()
            .map(String::as_str)
            .filter(|k| !KEYS.contains(k))
            .collect();
        if !unknown.is_empty() {
            unknown.sort_unstable();
            return Err(Error::config(format!(
                "unknown configuration key(s): {} (known keys: {})",
                unknown.join(", "),
                KEYS.join(", ")
            )));
        }
        let fields = Fields(&map);

        let app_id = fields
            .string("app_id")?
            .or_else(|| env("JING_APP_ID"))
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::config("app_id is missing (set it or JING_APP_ID)"))?;
        check_header_safe("app_id", &app_id)?;
        let app_secret = fields
            .string("app_secret")?
            .or_else(|| env("JING_APP_SECRET"))
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::config("app_secret is missing (set it or JING_APP_SECRET)"))?;
        if app_secret.chars().any(char::is_control) {
            return Err(Error::config("app_secret contains control characters"));
        }
        let base_url = fields
            .string("base_url")?
            .or_else(|| env("JING_BASE_URL").filter(|s| !s.is_empty()))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let base_url = check_base_url(&base_url)?;
        let proxy = fields
            .string("proxy")?
            .map(|p| check_proxy(p, &base_url))
            .transpose()?;

        let config = Config {
            app_id,
            app_secret,
            base_url,
            token_path: fields.path("token_path", "/v1/oauth2/token")?,
            refresh_path: fields.path("refresh_path", "/v1/oauth2/token/refresh")?,
            timeout: Duration::from_millis(fields.int("timeout_ms", 30_000, 1, 3_600_000)?),
            connect_timeout: Duration::from_millis(fields.int(
                "connect_timeout_ms",
                10_000,
                1,
                600_000,
            )?),
            max_retries: fields.int("max_retries", 3, 0, 10)? as u32,
            rate_limit_per_second: fields.int("rate_limit_per_second", 10, 1, 100_000)? as u32,
            daily_quota: fields.int("daily_quota", 10_000, 1, 1_000_000_000)? as u32,
            max_wait: Duration::from_millis(fields.int("max_wait_ms", 30_000, 0, 86_400_000)?),
            auth_error_codes: fields.codes("auth_error_codes", DEFAULT_AUTH_ERROR_CODES)?,
            rate_limit_error_codes: fields
                .codes("rate_limit_error_codes", DEFAULT_RATE_LIMIT_ERROR_CODES)?,
            quota_error_codes: fields.codes("quota_error_codes", DEFAULT_QUOTA_ERROR_CODES)?,
            proxy,
            ca_file: fields.string("ca_file")?.filter(|s| !s.is_empty()),
            user_agent: fields.string("user_agent")?,
        };
        if let Some(ua) = &config.user_agent {
            check_header_safe("user_agent", ua)?;
        }
        Ok(config)
    }
}

/// Typed access to the configuration object, each failure naming its key.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn string(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::config(format!("{key} must be a string"))),
        }
    }

    fn int(&self, key: &str, default: u64, min: u64, max: u64) -> Result<u64> {
        let Some(value) = self.get(key) else {
            return Ok(default);
        };
        match value.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(Error::config(format!(
                "{key} must be a whole number from {min} to {max}"
            ))),
        }
    }

    fn codes(&self, key: &str, default: &[i64]) -> Result<Vec<i64>> {
        let Some(value) = self.get(key) else {
            return Ok(default.to_vec());
        };
        let bad = || Error::config(format!("{key} must be an array of whole numbers"));
        let items = value.as_array().ok_or_else(bad)?;
        items.iter().map(|v| v.as_i64().ok_or_else(bad)).collect()
    }

    fn path(&self, key: &str, default: &str) -> Result<String> {
        let path = self.string(key)?.unwrap_or_else(|| default.to_string());
        crate::request::check_path(&path)
            .map_err(|e| Error::config(format!("{key}: {}", e.message)))?;
        Ok(path)
    }
}

/// serde_json's message without its trailing position (we add our own).
fn json_problem(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn check_header_safe(key: &str, value: &str) -> Result<()> {
    if value.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(Error::config(format!(
            "{key} must be printable ASCII (it is sent in an HTTP header)"
        )));
    }
    Ok(())
}

/// `https://` anywhere; `http://` only to this machine, so credentials never cross a
/// network in clear text. Returns the URL normalized, without a trailing `/`.
fn check_base_url(raw: &str) -> Result<String> {
    let url = HttpUrl::parse(raw)
        .map_err(|e| Error::config(format!("base_url is not usable ({e}): {}", redacted(raw))))?;
    if url.userinfo.is_some() {
        return Err(Error::config(
            "base_url must not carry a user name or password",
        ));
    }
    if url.scheme == Scheme::Http && !url.is_loopback() {
        return Err(Error::config(format!(
            "base_url {} uses http:// to a host that is not loopback; use https://",
            redacted(raw)
        )));
    }
    Ok(format!("{}{}", url.origin(), url.path))
}

/// An `http://` or `https://` proxy, optionally with `user:password@`. Plain `http://`
/// (loopback only) must not leave the machine through it either: the proxy would see the
/// credentials in clear text, and reach its own loopback, not ours.
fn check_proxy(raw: String, base_url: &str) -> Result<String> {
    let url =
        HttpUrl::parse(&raw).map_err(|e| Error::config(format!("proxy is not usable ({e})")))?;
    if !url.path.is_empty() {
        return Err(Error::config(
            "proxy must be scheme://host:port, without a path",
        ));
    }
    // `check_base_url` has normalized the scheme to lower case.
    if base_url.starts_with("http://") && !url.is_loopback() {
        return Err(Error::config(
            "a proxy that is not on this machine cannot carry an http:// base_url \
             (credentials would travel in clear text); use https:// or no proxy",
        ));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::from_json_with_env(text, |_| None)
    }

    const MINIMAL: &str = r#"{"app_id":"1","app_secret":"s3cr3t-value"}"#;

    #[test]
    fn defaults_apply() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        assert_eq!(c.token_path, "/v1/oauth2/token");
        assert_eq!(c.refresh_path, "/v1/oauth2/token/refresh");
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!(c.connect_timeout, Duration::from_secs(10));
        assert_eq!(c.max_retries, 3);
        assert_eq!(c.rate_limit_per_second, 10);
        assert_eq!(c.daily_quota, 10_000);
        assert_eq!(c.max_wait, Duration::from_secs(30));
        assert_eq!(c.auth_error_codes, vec![40101, 40102]);
        assert!(c.proxy.is_none());
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = parse(r#"{"app_id":"1","app_secret":"x","timeout":5,"retries":1}"#).unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Config);
        assert!(e.message.contains("retries, timeout"), "{}", e.message);
    }

    #[test]
    fn missing_credentials_fail_and_env_fills_them() {
        assert!(parse("{}").unwrap_err().message.contains("app_id"));
        assert!(parse(r#"{"app_id":"1"}"#)
            .unwrap_err()
            .message
            .contains("app_secret"));
        let c = Config::from_json_with_env("{}", |k| match k {
            "JING_APP_ID" => Some("42".into()),
            "JING_APP_SECRET" => Some("sec".into()),
            "JING_BASE_URL" => Some("http://127.0.0.1:9/".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            (c.app_id.as_str(), c.base_url.as_str()),
            ("42", "http://127.0.0.1:9")
        );
    }

    #[test]
    fn http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost",
            "http://[::1]:1/",
            "https://example.com/",
        ] {
            let text = format!(r#"{{"app_id":"1","app_secret":"x","base_url":"{ok}"}}"#);
            assert!(parse(&text).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "https://u:p@x.com",
            "nonsense",
        ] {
            let text = format!(r#"{{"app_id":"1","app_secret":"x","base_url":"{bad}"}}"#);
            assert_eq!(
                parse(&text).unwrap_err().kind,
                crate::error::Kind::Config,
                "{bad}"
            );
        }
    }

    #[test]
    fn http_base_url_never_leaves_the_machine_through_a_proxy() {
        let with = |base: &str, proxy: &str| {
            parse(&format!(
                r#"{{"app_id":"1","app_secret":"x","base_url":"{base}","proxy":"{proxy}"}}"#
            ))
        };
        let e = with("http://127.0.0.1:8080", "http://proxy.corp:3128").unwrap_err();
        assert!(e.message.contains("clear text"), "{}", e.message);
        assert!(with("http://127.0.0.1:8080", "http://127.0.0.1:3128").is_ok());
        assert!(with("https://a.example", "http://proxy.corp:3128").is_ok());
    }

    #[test]
    fn proxy_passwords_never_reach_messages_or_debug() {
        let e = parse(r#"{"app_id":"1","app_secret":"x","proxy":"http://u:Top/Secret9@p:31x"}"#)
            .unwrap_err();
        assert!(!e.message.contains("Secret9"), "{}", e.message);
        let c = parse(r#"{"app_id":"1","app_secret":"x","proxy":"http://u:Top/Secret9@p:3128"}"#)
            .unwrap();
        assert!(!format!("{c:?}").contains("Secret9"), "{c:?}");
        let e = parse(r#"{"app_id":"1","app_secret":"x","base_url":"https://u:Secret9@h:x"}"#)
            .unwrap_err();
        assert!(!e.message.contains("Secret9"), "{}", e.message);
    }

    #[test]
    fn trailing_slash_is_dropped() {
        let c = parse(r#"{"app_id":"1","app_secret":"x","base_url":"https://a.example/api/"}"#)
            .unwrap();
        assert_eq!(c.base_url, "https://a.example/api");
    }

    #[test]
    fn wrong_types_and_ranges_are_named() {
        for (text, key) in [
            (r#"{"app_id":1,"app_secret":"x"}"#, "app_id"),
            (
                r#"{"app_id":"1","app_secret":"x","timeout_ms":0}"#,
                "timeout_ms",
            ),
            (
                r#"{"app_id":"1","app_secret":"x","max_retries":-1}"#,
                "max_retries",
            ),
            (
                r#"{"app_id":"1","app_secret":"x","rate_limit_per_second":"10"}"#,
                "rate_limit_per_second",
            ),
            (
                r#"{"app_id":"1","app_secret":"x","auth_error_codes":[1,"2"]}"#,
                "auth_error_codes",
            ),
            (
                r#"{"app_id":"1","app_secret":"x","proxy":"socks5://h:1"}"#,
                "proxy",
            ),
            (
                r#"{"app_id":"1","app_secret":"x","token_path":"v1/x"}"#,
                "token_path",
            ),
            (r#"{"app_id":"1\n","app_secret":"x"}"#, "app_id"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.message.contains(key), "{text}: {}", e.message);
        }
        assert!(parse("[1]").unwrap_err().message.contains("object"));
        assert!(parse("{").unwrap_err().message.contains("not valid JSON"));
    }

    #[test]
    fn huge_configurations_are_refused() {
        let huge = "a".repeat(MAX_CONFIG_BYTES);
        let e = parse(&format!(r#"{{"app_id":"1","app_secret":"{huge}"}}"#)).unwrap_err();
        assert!(e.message.contains("larger than"), "{}", e.message);
        assert!(e.message.len() < 200);
        let padded = format!("{MINIMAL}{}", " ".repeat(MAX_CONFIG_BYTES - MINIMAL.len()));
        assert!(parse(&padded).is_ok(), "exactly the limit is fine");
    }

    #[test]
    fn debug_hides_the_secret() {
        let c = parse(MINIMAL).unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t-value"));
    }
}
