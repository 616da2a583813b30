//! A JING client: one call reads top to bottom — validate, get a token, take a throttle
//! slot, send, classify the answer, and retry only where that cannot duplicate anything.

use crate::answer::{self, Codes, Verdict};
use crate::auth::{self, Grant, Issued, Token, TokenStore};
use crate::config::Config;
use crate::endpoints;
use crate::error::{Error, Kind, Result};
use crate::registry::{self, AppState};
use crate::request::{self, Method};
use crate::retry;
use crate::throttle::{Limits, Membership};
use crate::transport::{self, Failure, Header, Settings, Transport};
use std::sync::Arc;
use std::time::Instant;

pub const LEAD_CREATE_PATH: &str = "/v1/leads/create";

pub struct Client {
    config: Config,
    codes: Codes,
    settings: Settings,
    transport: Arc<Transport>,
    app: Arc<AppState>,
    tokens: Arc<TokenStore>,
    limits: Limits,
    _membership: Membership,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish()
    }
}

impl Client {
    /// Builds a client from the configuration JSON of abi.md.
    pub fn new(config_json: &str) -> Result<Client> {
        let config = Config::from_json(config_json)?;
        Client::from_config(config)
    }

    pub fn from_config(config: Config) -> Result<Client> {
        let settings = Settings {
            base_url: config.base_url.clone(),
            proxy: config.proxy.clone(),
            ca_file: config.ca_file.clone(),
            timeout: config.timeout,
            connect_timeout: config.connect_timeout,
            user_agent: config.user_agent.clone(),
        };
        let transport = transport::shared(&settings)?;
        let app = registry::app(&config.base_url, &config.app_id);
        let tokens = registry::tokens(&config.base_url, &config.app_id, &config.app_secret);
        let limits = Limits {
            per_second: config.rate_limit_per_second,
            daily_quota: config.daily_quota,
        };
        let membership = app.throttle.join(limits);
        Ok(Client {
            codes: Codes {
                auth: config.auth_error_codes.clone(),
                rate_limit: config.rate_limit_error_codes.clone(),
                quota: config.quota_error_codes.clone(),
            },
            config,
            settings,
            transport,
            app,
            tokens,
            limits,
            _membership: membership,
        })
    }

    /// Creates a lead (`POST /v1/leads/create`) after the local checks of abi.md. The lead
    /// is sent exactly as given and never sent twice.
    pub fn create_lead(&self, lead_json: &str) -> Result<String> {
        request::check_lead(lead_json)?;
        self.call(Method::Post, LEAD_CREATE_PATH, Some(lead_json))
    }

    /// Calls any Open API endpoint with the same auth, throttling, retries and errors.
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> Result<String> {
        let method = Method::parse(method)?;
        request::check_path(path)?;
        request::check_body(body)?;
        self.call(method, path, body)
    }

    fn call(&self, method: Method, path: &str, body: Option<&str>) -> Result<String> {
        self.send_with_retries(method, path, body)
            .map_err(|e| self.scrub(e))
    }

    fn scrub(&self, e: Error) -> Error {
        let mut secrets = self.tokens.secrets();
        secrets.push(self.config.app_secret.clone());
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        e.scrub(&refs)
    }

    /// The shared transport, rebuilt when this process is a fork of the one that built it.
    fn transport(&self) -> Result<Arc<Transport>> {
        if self.transport.is_current_process() {
            Ok(self.transport.clone())
        } else {
            transport::shared(&self.settings)
        }
    }

    fn send_with_retries(&self, method: Method, path: &str, body: Option<&str>) -> Result<String> {
        let deadline = Instant::now() + self.config.max_wait;
        let interface = request::interface(path);
        let idempotent = endpoints::is_idempotent(method, interface);
        let transport = self.transport()?;
        let throttle = &self.app.throttle;
        let (mut failures, mut rate_answers, mut refreshed) = (0u32, 0u32, false);
        loop {
            let token = self.token(&transport)?;
            let slot = throttle.acquire(interface, self.limits, deadline)?;
            let headers = [
                Header {
                    name: "app_id",
                    value: &self.config.app_id,
                },
                Header {
                    name: "access_token",
                    value: token.access.expose(),
                },
            ];
            let result = transport.send(method.as_str(), path, &headers, body);
            if matches!(result, Err(Failure::NotSent(_))) {
                throttle.refund(interface, slot);
            }
            match answer::classify(result, idempotent, &self.codes) {
                Verdict::Success(envelope) => {
                    self.app.retry_budget.earn();
                    return Ok(envelope);
                }
                // The server refused the token, so it did not process the call: renew the
                // token and send once more, never in a loop.
                Verdict::TokenRejected(e) => {
                    self.tokens.reject(&token);
                    if refreshed {
                        return Err(Error {
                            message: format!("{}, again after a token refresh", e.message),
                            ..e
                        });
                    }
                    refreshed = true;
                }
                // Refused, so not processed: wait and try again while max_wait_ms allows.
                Verdict::RateLimited(e) => {
                    rate_answers += 1;
                    let delay = retry::rate_backoff(rate_answers);
                    if Instant::now() + delay > deadline {
                        return Err(e);
                    }
                    std::thread::sleep(delay);
                }
                Verdict::QuotaExhausted(e) => {
                    throttle.mark_spent(interface, self.limits);
                    return Err(e);
                }
                Verdict::Retry(e) => {
                    if failures >= self.config.max_retries || !self.app.retry_budget.try_spend() {
                        return Err(e);
                    }
                    failures += 1;
                    std::thread::sleep(retry::failure_backoff(failures));
                }
                Verdict::Fail(e) => return Err(e),
            }
        }
    }

    fn token(&self, transport: &Transport) -> Result<Arc<Token>> {
        self.tokens
            .token(|grant| self.fetch_token(transport, grant))
    }

    /// One token request (with retries while it could not be delivered). Any failure here
    /// means the API call itself was never sent.
    fn fetch_token(&self, transport: &Transport, grant: Grant) -> Result<Issued> {
        let c = &self.config;
        let (path, body) = match &grant {
            Grant::Credentials => (
                &c.token_path,
                serde_json::json!({"app_id": c.app_id, "app_secret": c.app_secret}),
            ),
            Grant::Refresh(r) => (
                &c.refresh_path,
                serde_json::json!({"app_id": c.app_id, "app_secret": c.app_secret,
                                   "refresh_token": r.expose()}),
            ),
        };
        let body = body.to_string();
        let mut attempts = 0;
        loop {
            // Stamped before sending: the lifetime may have started counting then.
            let sent_at = Instant::now();
            match transport.send("POST", path, &[], Some(&body)) {
                Ok(answer) => return self.read_token_answer(answer, sent_at),
                Err(Failure::NotSent(_))
                    if attempts < c.max_retries && self.app.retry_budget.try_spend() =>
                {
                    attempts += 1;
                    std::thread::sleep(retry::failure_backoff(attempts));
                }
                Err(failure) => {
                    let cause = failure.into_error(true);
                    return Err(Error::new(
                        Kind::Network,
                        format!("no access token could be obtained: {}", cause.message),
                    )
                    .with_http_status(cause.http_status));
                }
            }
        }
    }

    fn read_token_answer(&self, answer: transport::Answer, sent_at: Instant) -> Result<Issued> {
        let status = Some(answer.status);
        let text = std::str::from_utf8(&answer.body).unwrap_or("");
        let Some(api) = answer::parse_envelope(text) else {
            let (kind, what) = match answer.status {
                401 | 403 => (Kind::Auth, "refused the credentials"),
                429 => (Kind::Throttled, "answered rate limited"),
                _ => (Kind::Protocol, "gave no JSON envelope"),
            };
            return Err(Error::new(
                kind,
                format!("the token endpoint {what} (HTTP {})", answer.status),
            )
            .with_http_status(status)
            .with_retryable(kind != Kind::Auth));
        };
        if api.code != 0 {
            let kind = if self.codes.rate_limit.contains(&api.code) {
                Kind::Throttled
            } else {
                Kind::Auth
            };
            return Err(Error::new(
                kind,
                format!(
                    "the token endpoint refused (code {}): check app_id and app_secret",
                    api.code
                ),
            )
            .with_api(&api)
            .with_http_status(status));
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|_| Error::new(Kind::Protocol, "token answer"))?;
        auth::parse_issued(&value["data"], sent_at)
            .map_err(|e| e.with_api(&api).with_http_status(status))
    }
}
