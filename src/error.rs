//! One error type for the whole library: what went wrong, how a caller should react, and
//! everything the server told us about it. The C boundary turns it into a status and the
//! error JSON of abi.md; nothing else needs to know about C.

use std::fmt;

/// The failure classes of abi.md. The numbers are the stable C status codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    InvalidArgument = 1,
    Config = 2,
    Auth = 3,
    Throttled = 4,
    QuotaExhausted = 5,
    Network = 6,
    OutcomeUnknown = 7,
    Api = 8,
    Protocol = 9,
    Panic = 99,
}

impl Kind {
    /// The stable status number of this kind.
    pub fn status(self) -> i32 {
        self as i32
    }

    /// The stable lower-case name used in error JSON and `jing_status_name`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::InvalidArgument => "invalid_argument",
            Kind::Config => "config",
            Kind::Auth => "auth",
            Kind::Throttled => "throttled",
            Kind::QuotaExhausted => "quota_exhausted",
            Kind::Network => "network",
            Kind::OutcomeUnknown => "outcome_unknown",
            Kind::Api => "api",
            Kind::Protocol => "protocol",
            Kind::Panic => "panic",
        }
    }

    /// Whether repeating the same call later is safe and may succeed.
    fn default_retryable(self) -> bool {
        matches!(self, Kind::Throttled | Kind::Network)
    }
}

/// A failed call. `message` is an English sentence that never holds a secret.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub api_code: Option<i64>,
    pub api_msg: Option<String>,
    pub http_status: Option<u16>,
    pub request_id: Option<String>,
    pub retryable: bool,
    pub outcome_unknown: bool,
}

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            api_code: None,
            api_msg: None,
            http_status: None,
            request_id: None,
            retryable: kind.default_retryable(),
            outcome_unknown: kind == Kind::OutcomeUnknown,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(Kind::InvalidArgument, message)
    }

    pub fn config(message: impl Into<String>) -> Error {
        Error::new(Kind::Config, message)
    }

    pub fn with_http_status(mut self, status: Option<u16>) -> Error {
        self.http_status = status;
        self
    }

    pub fn with_outcome_unknown(mut self, unknown: bool) -> Error {
        self.outcome_unknown = unknown;
        self
    }

    pub fn with_retryable(mut self, retryable: bool) -> Error {
        self.retryable = retryable;
        self
    }

    /// Copies what the server said (code, msg, request id) from its envelope.
    pub fn with_api(mut self, api: &ApiAnswer) -> Error {
        self.api_code = Some(api.code);
        self.api_msg = api.msg.clone();
        self.request_id = api.request_id.clone();
        self
    }

    /// Replaces every occurrence of the given secrets in the free-text fields. The library
    /// never puts secrets there; this is the second lock on the door, for text that came
    /// from elsewhere (the server's `msg`, an HTTP library's error).
    pub fn scrub(mut self, secrets: &[&str]) -> Error {
        for secret in secrets.iter().filter(|s| s.len() >= 4) {
            if self.message.contains(secret) {
                self.message = self.message.replace(secret, "***");
            }
            if let Some(msg) = &self.api_msg {
                if msg.contains(secret) {
                    self.api_msg = Some(msg.replace(secret, "***"));
                }
            }
        }
        self
    }

    /// The error JSON of abi.md: every key of `ERROR_JSON_KEYS` present, `null` when unknown.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "error": {
                "status": self.kind.status(),
                "kind": self.kind.name(),
                "message": self.message,
                "api_code": self.api_code,
                "api_msg": self.api_msg,
                "http_status": self.http_status,
                "request_id": self.request_id,
                "retryable": self.retryable,
                "outcome_unknown": self.outcome_unknown,
            }
        })
        .to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(id) = &self.request_id {
            write!(f, "[{id}] ")?;
        }
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for Error {}

/// The keys of the error JSON's `error` object, all always present (abi.md).
pub const ERROR_JSON_KEYS: &[&str] = &[
    "status",
    "kind",
    "message",
    "api_code",
    "api_msg",
    "http_status",
    "request_id",
    "retryable",
    "outcome_unknown",
];

/// The parts of a server envelope that errors keep.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiAnswer {
    pub code: i64,
    pub msg: Option<String>,
    pub request_id: Option<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_json_has_every_key() {
        let json = Error::new(Kind::OutcomeUnknown, "lost").to_json();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let e = v["error"].as_object().unwrap();
        let mut keys: Vec<&str> = e.keys().map(String::as_str).collect();
        let mut expected = ERROR_JSON_KEYS.to_vec();
        keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(keys, expected, "exactly the documented keys");
        assert_eq!(e["status"], 7);
        assert_eq!(e["kind"], "outcome_unknown");
        assert_eq!(e["outcome_unknown"], true);
        assert_eq!(e["retryable"], false);
        assert!(e["api_code"].is_null());
    }

    #[test]
    fn scrub_removes_secrets_from_text() {
        let api = ApiAnswer {
            code: 1,
            msg: Some("bad secret abcdef123456".into()),
            request_id: Some("r1".into()),
        };
        let e = Error::new(Kind::Api, "server said abcdef123456")
            .with_api(&api)
            .scrub(&["abcdef123456", ""]);
        assert!(!e.to_json().contains("abcdef123456"));
        assert_eq!(e.api_msg.as_deref(), Some("bad secret ***"));
        assert_eq!(e.to_string(), "[r1] api: server said ***");
    }
}
