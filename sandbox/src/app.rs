//! The sandbox's state and business logic, free of any HTTP plumbing.
//!
//! Everything here is synchronous and runs under one mutex; the HTTP layer
//! (`server.rs`) reads bodies, applies faults and answers.

use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Envelope codes of the sandbox (documented in `--help` and README.md).
pub mod code {
    pub const OK: i64 = 0;
    pub const BAD_PARAMETER: i64 = 40001;
    pub const BAD_CREDENTIALS: i64 = 40002;
    pub const TOKEN_INVALID: i64 = 40101;
    pub const TOKEN_EXPIRED: i64 = 40102;
    pub const NOT_FOUND: i64 = 40401;
    pub const RATE_LIMITED: i64 = 42901;
    pub const QUOTA_EXHAUSTED: i64 = 42902;
    pub const INTERNAL: i64 = 50001;
}

pub const TOKEN_PATH: &str = "/v1/oauth2/token";
pub const REFRESH_PATH: &str = "/v1/oauth2/token/refresh";
const REFRESH_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
const UTC8_OFFSET_SECS: i64 = 8 * 3600;

/// The fixed business types of the object `lead`; the first is the default.
pub const BUSINESS_TYPES: [(&str, &str); 3] = [
    ("bt000000000000000000000000000001", "默认线索"),
    ("bt000000000000000000000000000002", "市场活动线索"),
    ("bt000000000000000000000000000003", "合作伙伴线索"),
];

/// Field types that can be neither created nor updated through the API.
pub const READ_ONLY_TYPES: [&str; 4] = ["department", "multi_departmemt", "image", "look_up"];

/// `(code, name, type, is_preset)` of every field of the object `lead`.
pub const LEAD_FIELDS: &[(&str, &str, &str, u8)] = &[
    ("business_type", "业务类型", "business_type", 1),
    ("name", "姓名", "text", 1),
    ("first_name", "名", "text", 1),
    ("last_name", "姓", "text", 1),
    ("mobile", "手机", "mobile", 1),
    ("email", "邮箱", "email", 1),
    ("lead_status", "线索状态", "select", 1),
    ("account_id", "客户", "text", 1),
    ("company_id", "公司名称", "text", 1),
    ("official_website", "公司网站", "url", 1),
    ("industry", "行业", "select", 1),
    ("title", "职位", "text", 1),
    ("country_region", "国家/地区", "select", 1),
    ("address", "地址", "text", 1),
    ("description", "描述", "textarea", 1),
    ("latest_remark", "最新备注", "textarea", 1),
    ("department", "部门", "text", 1),
    ("param_1", "参数1", "text", 1),
    ("param_2", "参数2", "text", 1),
    ("param_3", "参数3", "text", 1),
    ("param_4", "参数4", "text", 1),
    ("param_5", "参数5", "text", 1),
    ("utm_source", "utm_source", "text", 1),
    ("utm_medium", "utm_medium", "text", 1),
    ("utm_terms", "utm_terms", "text", 1),
    ("utm_campaign", "utm_campaign", "text", 1),
    ("utm_content", "utm_content", "text", 1),
    ("source_type", "来源类型", "text", 1),
    ("source_name", "来源名称", "text", 1),
    ("website_name", "网站名称", "text", 1),
    ("website_page_name", "网页名称", "text", 1),
    ("source_custom_param", "来源自定义参数", "text", 1),
    ("owner", "负责人", "user", 1),
    ("custom_text_1", "自定义文本1", "text", 0),
    ("custom_select_1", "自定义单选1", "select", 0),
    ("custom_dept", "自定义部门", "department", 0),
    ("custom_multi_dept", "自定义多选部门", "multi_departmemt", 0),
    ("custom_image", "自定义图片", "image", 0),
    ("custom_lookup", "自定义查找关联", "look_up", 0),
];

/// Run-time settings (`/_sandbox/config`).
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub app_id: String,
    #[serde(skip)]
    pub app_secret: String,
    pub token_ttl: u64,
    pub revoke_previous: bool,
    pub rate_limit: u64,
    pub daily_quota: u64,
    pub limits: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            app_id: "1000000000000001".into(),
            app_secret: "0123456789abcdef0123456789abcdef".into(),
            token_ttl: 7200,
            revoke_previous: false,
            rate_limit: 10,
            daily_quota: 10000,
            limits: true,
        }
    }
}

/// Result of handling one API request: the envelope's code, msg and data.
#[derive(Debug)]
pub struct Outcome {
    pub code: i64,
    pub msg: String,
    pub data: Value,
}

impl Outcome {
    pub fn ok(data: Value) -> Self {
        Outcome {
            code: code::OK,
            msg: "success".into(),
            data,
        }
    }
    pub fn err(code: i64, msg: impl Into<String>) -> Self {
        Outcome {
            code,
            msg: msg.into(),
            data: Value::Null,
        }
    }
    fn bad(msg: impl Into<String>) -> Self {
        Self::err(code::BAD_PARAMETER, msg)
    }
}

/// The envelope every API answer uses.
pub fn envelope(code: i64, msg: &str, data: Value) -> Value {
    json!({"request_id": hex32(), "code": code, "msg": msg, "data": data})
}

/// One incoming API request, already read.
#[derive(Debug)]
pub struct ApiRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case names; repeated headers joined with ", ".
    pub headers: Vec<(String, String)>,
    pub body_raw: Vec<u8>,
    /// The body parsed as JSON; `None` when empty or not JSON.
    pub body_json: Option<Value>,
    /// Which TCP connection carried it (numbered from 1 in accept order).
    pub connection: u64,
}

impl ApiRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn query_param(&self, name: &str) -> Option<String> {
        let q = self.query.as_deref()?;
        let uri: axum::http::Uri = format!("/?{q}").parse().ok()?;
        let axum::extract::Query(map) =
            axum::extract::Query::<HashMap<String, String>>::try_from_uri(&uri).ok()?;
        map.get(name).cloned()
    }
}

// ---------------------------------------------------------------- faults

#[derive(Debug, Clone)]
pub enum FaultKind {
    HttpStatus {
        status: u16,
        body: String,
    },
    Delay {
        ms: u64,
    },
    CloseBefore,
    CloseAfter,
    NonJson,
    ApiCode {
        code: i64,
        msg: String,
        http_status: u16,
    },
    InvalidateToken,
}

impl FaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::HttpStatus { .. } => "http_status",
            FaultKind::Delay { .. } => "delay",
            FaultKind::CloseBefore => "close_before",
            FaultKind::CloseAfter => "close_after",
            FaultKind::NonJson => "non_json",
            FaultKind::ApiCode { .. } => "api_code",
            FaultKind::InvalidateToken => "invalidate_token",
        }
    }
}

#[derive(Debug, Clone)]
struct Fault {
    kind: FaultKind,
    path: Option<String>,
    remaining: u64,
    spec: Map<String, Value>,
}

fn strip_query(p: &str) -> &str {
    p.split_once('?').map_or(p, |(a, _)| a)
}

fn get_u64(m: &Map<String, Value>, key: &str) -> Result<Option<u64>, String> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{key} must be a non-negative integer")),
    }
}

fn get_status(m: &Map<String, Value>, key: &str) -> Result<Option<u16>, String> {
    match get_u64(m, key)? {
        None => Ok(None),
        Some(s) if (100..=599).contains(&s) => Ok(Some(s as u16)),
        Some(_) => Err(format!("{key} must be an HTTP status between 100 and 599")),
    }
}

fn parse_fault(v: &Value) -> Result<Fault, String> {
    let m = v.as_object().ok_or("a fault must be a JSON object")?;
    let kind_name = m
        .get("kind")
        .and_then(Value::as_str)
        .ok_or("a fault needs a string \"kind\"")?;
    let kind = match kind_name {
        "http_status" => {
            let status = get_status(m, "status")?.ok_or("http_status needs \"status\"")?;
            let body = match m.get("body") {
                None | Some(Value::Null) => axum::http::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Error")
                    .to_string(),
                Some(Value::String(s)) => s.clone(),
                Some(_) => return Err("body must be a string".into()),
            };
            FaultKind::HttpStatus { status, body }
        }
        "delay" => FaultKind::Delay {
            ms: get_u64(m, "delay_ms")?.ok_or("delay needs \"delay_ms\"")?,
        },
        "close_before" => FaultKind::CloseBefore,
        "close_after" => FaultKind::CloseAfter,
        "non_json" => FaultKind::NonJson,
        "api_code" => FaultKind::ApiCode {
            code: m
                .get("code")
                .and_then(Value::as_i64)
                .ok_or("api_code needs an integer \"code\"")?,
            msg: match m.get("msg") {
                None | Some(Value::Null) => "injected error".into(),
                Some(Value::String(s)) => s.clone(),
                Some(_) => return Err("msg must be a string".into()),
            },
            http_status: get_status(m, "http_status")?.unwrap_or(200),
        },
        "invalidate_token" => FaultKind::InvalidateToken,
        other => return Err(format!("unknown fault kind: {other:?}")),
    };
    let path = match m.get("path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.starts_with('/') => Some(strip_query(p).to_string()),
        Some(_) => return Err("path must be a string starting with /".into()),
    };
    let remaining = get_u64(m, "count")?.unwrap_or(1);
    if remaining == 0 {
        return Err("count must be at least 1".into());
    }
    Ok(Fault {
        kind,
        path,
        remaining,
        spec: m.clone(),
    })
}

// ---------------------------------------------------------------- state

struct AccessToken {
    app_id: String,
    expires: Instant,
    revoked: bool,
}

struct RefreshToken {
    app_id: String,
    expires: Instant,
    used: bool,
}

#[derive(Default)]
struct Limiter {
    window: VecDeque<Instant>,
    day: i64,
    used: u64,
}

struct Inner {
    config: Config,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    leads: Vec<Map<String, Value>>,
    faults: VecDeque<Fault>,
    journal: Vec<Value>,
    seq: u64,
    limiters: HashMap<(String, String), Limiter>,
}

impl Inner {
    fn new(config: Config) -> Self {
        Inner {
            config,
            access: HashMap::new(),
            refresh: HashMap::new(),
            leads: Vec::new(),
            faults: VecDeque::new(),
            journal: Vec::new(),
            seq: 0,
            limiters: HashMap::new(),
        }
    }
}

pub struct App {
    start_config: Config,
    inner: Mutex<Inner>,
}

/// A journal entry being built while a request is handled.
pub struct Pending {
    entry: Map<String, Value>,
}

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

fn random_bytes() -> [u8; 16] {
    let mut b = [0u8; 16];
    if getrandom::getrandom(&mut b).is_err() {
        // Not secret material; a time-derived fallback is good enough for a sandbox.
        let t = now_us().to_le_bytes();
        b.copy_from_slice(&t);
    }
    b
}

/// 32 lowercase hex characters.
pub fn hex32() -> String {
    random_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// A random (version 4) UUID in its usual text form.
pub fn uuid4() -> String {
    let mut b = random_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

const SECRET_KEYS: [&str; 3] = ["app_secret", "refresh_token", "access_token"];
const SECRET_HEADERS: [&str; 3] = ["access_token", "authorization", "app_secret"];

/// Replace the values of secret keys, at any depth, by `"***"`.
pub fn mask(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    if SECRET_KEYS.contains(&k.as_str()) {
                        (k.clone(), Value::String("***".into()))
                    } else {
                        (k.clone(), mask(v))
                    }
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(mask).collect()),
        other => other.clone(),
    }
}

fn day_utc8() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    (secs + UTC8_OFFSET_SECS).div_euclid(86400)
}

impl App {
    pub fn new(config: Config) -> Self {
        App {
            start_config: config.clone(),
            inner: Mutex::new(Inner::new(config)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic in one handler must not take the whole sandbox down.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ------------------------------------------------------------ journal

    pub fn journal_begin(&self, req: &ApiRequest) -> Pending {
        let us = now_us();
        let seq = {
            let mut inner = self.lock();
            inner.seq += 1;
            inner.seq
        };
        let mut headers = Map::new();
        for (n, v) in &req.headers {
            let v = if SECRET_HEADERS.contains(&n.as_str()) {
                "***".to_string()
            } else {
                v.clone()
            };
            headers.insert(n.clone(), Value::String(v));
        }
        let body = match &req.body_json {
            Some(v) => mask(v),
            None if req.body_raw.is_empty() => Value::Null,
            None => Value::String(String::from_utf8_lossy(&req.body_raw).into_owned()),
        };
        let mut entry = Map::new();
        entry.insert("seq".into(), json!(seq));
        entry.insert("time_ms".into(), json!(us as f64 / 1000.0));
        entry.insert("time_us".into(), json!(us as u64));
        entry.insert("method".into(), json!(req.method));
        entry.insert("path".into(), json!(req.path));
        entry.insert("query".into(), json!(req.query));
        entry.insert("headers".into(), Value::Object(headers));
        entry.insert("body".into(), body);
        entry.insert("connection".into(), json!(req.connection));
        Pending { entry }
    }

    pub fn journal_finish(
        &self,
        mut p: Pending,
        http_status: Option<u16>,
        code: Option<i64>,
        fault: Option<&str>,
    ) {
        p.entry.insert("http_status".into(), json!(http_status));
        p.entry.insert("code".into(), json!(code));
        p.entry.insert("fault".into(), json!(fault));
        self.lock().journal.push(Value::Object(p.entry));
    }

    pub fn journal(&self, path: Option<&str>) -> Value {
        let inner = self.lock();
        let mut requests: Vec<Value> = inner
            .journal
            .iter()
            .filter(|e| path.is_none_or(|p| e["path"] == p))
            .cloned()
            .collect();
        requests.sort_by_key(|e| e["seq"].as_u64().unwrap_or(0));
        let leads: Vec<Value> = inner.leads.iter().cloned().map(Value::Object).collect();
        json!({"requests": requests, "leads": leads})
    }

    // ------------------------------------------------------------ faults

    pub fn add_faults(&self, body: &Value) -> Result<Value, String> {
        let list: Vec<Value> = match body {
            Value::Object(m) if m.contains_key("faults") => match &m["faults"] {
                Value::Array(a) => a.clone(),
                _ => return Err("faults must be an array".into()),
            },
            Value::Object(_) => vec![body.clone()],
            Value::Array(a) => a.clone(),
            _ => return Err("body must be {\"faults\": [...]}".into()),
        };
        let parsed = list
            .iter()
            .enumerate()
            .map(|(i, v)| parse_fault(v).map_err(|e| format!("faults[{i}]: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        self.lock().faults.extend(parsed);
        Ok(self.faults())
    }

    pub fn faults(&self) -> Value {
        let inner = self.lock();
        let list: Vec<Value> = inner
            .faults
            .iter()
            .map(|f| {
                let mut m = f.spec.clone();
                m.insert("count".into(), json!(f.remaining));
                Value::Object(m)
            })
            .collect();
        json!({ "faults": list })
    }

    pub fn clear_faults(&self) -> Value {
        self.lock().faults.clear();
        json!({ "faults": [] })
    }

    /// Consume one firing of the first fault matching `path`.
    pub fn take_fault(&self, path: &str) -> Option<FaultKind> {
        let mut inner = self.lock();
        let idx = inner
            .faults
            .iter()
            .position(|f| f.path.as_deref().is_none_or(|p| p == path))?;
        let f = &mut inner.faults[idx];
        let kind = f.kind.clone();
        f.remaining -= 1;
        if f.remaining == 0 {
            inner.faults.remove(idx);
        }
        Some(kind)
    }

    // ------------------------------------------------------------ config, reset

    pub fn config(&self) -> Value {
        let inner = self.lock();
        let mut v = serde_json::to_value(&inner.config).unwrap_or(Value::Null);
        v["app_secret"] = json!("***");
        v
    }

    pub fn set_config(&self, body: &Value) -> Result<Value, String> {
        let m = body.as_object().ok_or("body must be a JSON object")?;
        let mut cfg = self.lock().config.clone();
        for (k, v) in m {
            let as_u64 = || {
                v.as_u64()
                    .ok_or_else(|| format!("{k} must be a non-negative integer"))
            };
            let as_bool = || {
                v.as_bool()
                    .ok_or_else(|| format!("{k} must be true or false"))
            };
            match k.as_str() {
                "rate_limit" => cfg.rate_limit = as_u64()?,
                "daily_quota" => cfg.daily_quota = as_u64()?,
                "token_ttl" => cfg.token_ttl = as_u64()?,
                "limits" => cfg.limits = as_bool()?,
                "revoke_previous" => cfg.revoke_previous = as_bool()?,
                _ => return Err(format!("unknown config key: {k}")),
            }
        }
        self.lock().config = cfg;
        Ok(self.config())
    }

    pub fn reset(&self) {
        *self.lock() = Inner::new(self.start_config.clone());
    }

    /// Revoke every access token; answers how many were still valid.
    pub fn invalidate_tokens(&self) -> usize {
        let mut inner = self.lock();
        let mut n = 0;
        for t in inner.access.values_mut() {
            if !t.revoked {
                t.revoked = true;
                n += 1;
            }
        }
        n
    }

    // ------------------------------------------------------------ the API

    pub fn process(&self, req: &ApiRequest) -> Outcome {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let now = Instant::now();
        let post = req.method == "POST";
        if post && req.path == TOKEN_PATH {
            return token(inner, req, now, false);
        }
        if post && req.path == REFRESH_PATH {
            return token(inner, req, now, true);
        }
        let app_id = match authenticate(inner, req, now) {
            Ok(a) => a,
            Err(o) => return o,
        };
        if let Err(o) = limit(inner, &app_id, &req.path, now) {
            return o;
        }
        let get = req.method == "GET";
        match req.path.as_str() {
            "/v1/leads/create" if post => lead_create(inner, req),
            "/v1/leads/update" if post => lead_update(inner, req),
            "/v1/leads/query" if get => lead_get(inner, req),
            "/v1/leads/query" if post => lead_search(inner, req),
            "/v1/crm/object/business_types" if get => business_types(req),
            "/v1/crm/object/fields" if get => fields(req),
            _ => Outcome::ok(json!({"echo": {
                "method": req.method,
                "path": req.path,
                "query": req.query,
                "body": match &req.body_json {
                    Some(v) => v.clone(),
                    None if req.body_raw.is_empty() => Value::Null,
                    None => Value::String(String::from_utf8_lossy(&req.body_raw).into_owned()),
                },
            }})),
        }
    }
}

fn body_object(req: &ApiRequest) -> Result<&Map<String, Value>, Outcome> {
    match &req.body_json {
        Some(Value::Object(m)) => Ok(m),
        _ => Err(Outcome::bad("body must be a JSON object")),
    }
}

/// A required, non-empty string field.
fn required_str<'a>(m: &'a Map<String, Value>, key: &str) -> Result<&'a str, Outcome> {
    match m.get(key) {
        None | Some(Value::Null) => Err(Outcome::bad(format!("{key} is required"))),
        Some(Value::String(s)) if s.is_empty() => Err(Outcome::bad(format!(
            "{key} is required (must not be empty)"
        ))),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Outcome::bad(format!("{key} must be a string"))),
    }
}

/// A credential field: a string, or a number taken as its text.
fn credential(m: &Map<String, Value>, key: &str) -> Result<String, Outcome> {
    match m.get(key) {
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => required_str(m, key).map(str::to_string),
    }
}

fn token(inner: &mut Inner, req: &ApiRequest, now: Instant, refresh: bool) -> Outcome {
    let m = match body_object(req) {
        Ok(m) => m,
        Err(o) => return o,
    };
    let (app_id, secret) = match (credential(m, "app_id"), credential(m, "app_secret")) {
        (Ok(a), Ok(s)) => (a, s),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    if app_id != inner.config.app_id || secret != inner.config.app_secret {
        return Outcome::err(code::BAD_CREDENTIALS, "invalid app_id or app_secret");
    }
    if refresh {
        let rt = match required_str(m, "refresh_token") {
            Ok(r) => r,
            Err(o) => return o,
        };
        match inner.refresh.get_mut(rt) {
            None => return Outcome::err(code::BAD_CREDENTIALS, "refresh_token is unknown"),
            Some(t) if t.app_id != app_id => {
                return Outcome::err(code::BAD_CREDENTIALS, "refresh_token is unknown")
            }
            Some(t) if t.used => {
                return Outcome::err(code::BAD_CREDENTIALS, "refresh_token has already been used")
            }
            Some(t) if now >= t.expires => {
                return Outcome::err(code::BAD_CREDENTIALS, "refresh_token has expired")
            }
            Some(t) => t.used = true,
        }
    }
    if inner.config.revoke_previous {
        for t in inner.access.values_mut() {
            if t.app_id == app_id {
                t.revoked = true;
            }
        }
    }
    let ttl = inner.config.token_ttl;
    let access = uuid4();
    let refresh_token = uuid4();
    inner.access.insert(
        access.clone(),
        AccessToken {
            app_id: app_id.clone(),
            expires: now + Duration::from_secs(ttl),
            revoked: false,
        },
    );
    inner.refresh.insert(
        refresh_token.clone(),
        RefreshToken {
            app_id,
            expires: now + REFRESH_TTL,
            used: false,
        },
    );
    Outcome::ok(json!({
        "access_token": access,
        "refresh_token": refresh_token,
        "scope": "all",
        "token_type": "bearer",
        "expires_in": ttl,
    }))
}

fn authenticate(inner: &Inner, req: &ApiRequest, now: Instant) -> Result<String, Outcome> {
    let invalid = |msg: &str| Outcome::err(code::TOKEN_INVALID, msg);
    let app_id = req
        .header("app_id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("app_id header is required"))?;
    let token = req
        .header("access_token")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("access_token header is required"))?;
    let t = inner
        .access
        .get(token)
        .ok_or_else(|| invalid("access token is invalid"))?;
    if t.revoked {
        return Err(invalid("access token has been revoked"));
    }
    if t.app_id != app_id {
        return Err(invalid("app_id header does not match the access token"));
    }
    if now >= t.expires {
        return Err(Outcome::err(
            code::TOKEN_EXPIRED,
            "access token has expired",
        ));
    }
    Ok(app_id.to_string())
}

fn limit(inner: &mut Inner, app_id: &str, path: &str, now: Instant) -> Result<(), Outcome> {
    let cfg = &inner.config;
    if !cfg.limits {
        return Ok(());
    }
    let (rate, quota) = (cfg.rate_limit, cfg.daily_quota);
    let l = inner
        .limiters
        .entry((app_id.to_string(), path.to_string()))
        .or_default();
    while let Some(&t) = l.window.front() {
        if now.duration_since(t) >= Duration::from_secs(1) {
            l.window.pop_front();
        } else {
            break;
        }
    }
    if l.window.len() as u64 >= rate {
        return Err(Outcome::err(
            code::RATE_LIMITED,
            format!("rate limited: more than {rate} requests to {path} within 1 second"),
        ));
    }
    l.window.push_back(now);
    let day = day_utc8();
    if l.day != day {
        l.day = day;
        l.used = 0;
    }
    if l.used >= quota {
        return Err(Outcome::err(
            code::QUOTA_EXHAUSTED,
            format!("daily quota of {quota} requests to {path} is exhausted"),
        ));
    }
    l.used += 1;
    Ok(())
}

fn read_only_type(key: &str) -> Option<&'static str> {
    LEAD_FIELDS
        .iter()
        .find(|f| f.0 == key && READ_ONLY_TYPES.contains(&f.2))
        .map(|f| f.2)
}

fn known_business_type(bt: &str) -> bool {
    BUSINESS_TYPES.iter().any(|b| b.0 == bt)
}

/// Checks shared by create and update, once the required fields are known good:
/// every value a string, no read-only custom field, a known business type.
fn check_fields(m: &Map<String, Value>) -> Result<(), Outcome> {
    for (k, v) in m {
        if !v.is_string() {
            return Err(Outcome::bad(format!("{k} must be a string")));
        }
    }
    for k in m.keys() {
        if let Some(t) = read_only_type(k) {
            return Err(Outcome::bad(format!(
                "{k} is a {t} field and cannot be created or updated"
            )));
        }
    }
    if let Some(Value::String(bt)) = m.get("business_type") {
        if bt.is_empty() {
            return Err(Outcome::bad(
                "business_type is required (must not be empty)",
            ));
        }
        if !known_business_type(bt) {
            return Err(Outcome::bad(format!(
                "business_type {bt:?} is not a business type jing_uuid of lead"
            )));
        }
    }
    if let Some(Value::String(n)) = m.get("name") {
        if n.is_empty() {
            return Err(Outcome::bad("name is required (must not be empty)"));
        }
    }
    Ok(())
}

fn lead_create(inner: &mut Inner, req: &ApiRequest) -> Outcome {
    let m = match body_object(req) {
        Ok(m) => m,
        Err(o) => return o,
    };
    if let Err(o) = required_str(m, "business_type").and_then(|_| required_str(m, "name")) {
        return o;
    }
    for key in ["mobile", "email"] {
        if let Some(v) = m.get(key) {
            if !v.is_string() {
                return Outcome::bad(format!("{key} must be a string"));
            }
        }
    }
    let has = |k: &str| {
        m.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if !has("mobile") && !has("email") {
        return Outcome::bad("mobile or email is required");
    }
    if let Err(o) = check_fields(m) {
        return o;
    }
    let id = hex32();
    let mut lead = m.clone();
    lead.insert("jing_uuid".into(), json!(id));
    inner.leads.push(lead);
    Outcome::ok(json!({ "jing_uuid": id }))
}

fn lead_update(inner: &mut Inner, req: &ApiRequest) -> Outcome {
    let m = match body_object(req) {
        Ok(m) => m,
        Err(o) => return o,
    };
    let id = match required_str(m, "jing_uuid") {
        Ok(id) => id.to_string(),
        Err(o) => return o,
    };
    if let Err(o) = check_fields(m) {
        return o;
    }
    let Some(lead) = inner
        .leads
        .iter_mut()
        .find(|l| l.get("jing_uuid").and_then(Value::as_str) == Some(&id))
    else {
        return Outcome::err(code::NOT_FOUND, format!("lead not found: jing_uuid {id}"));
    };
    for (k, v) in m {
        lead.insert(k.clone(), v.clone());
    }
    Outcome::ok(json!({ "jing_uuid": id }))
}

fn lead_get(inner: &Inner, req: &ApiRequest) -> Outcome {
    let Some(id) = req.query_param("jing_uuid").filter(|s| !s.is_empty()) else {
        return Outcome::bad("jing_uuid is required");
    };
    match inner
        .leads
        .iter()
        .find(|l| l.get("jing_uuid").and_then(Value::as_str) == Some(&id))
    {
        Some(l) => Outcome::ok(Value::Object(l.clone())),
        None => Outcome::err(code::NOT_FOUND, format!("lead not found: jing_uuid {id}")),
    }
}

fn lead_search(inner: &Inner, req: &ApiRequest) -> Outcome {
    let m = match &req.body_json {
        None if req.body_raw.iter().all(u8::is_ascii_whitespace) => &Map::new(),
        _ => match body_object(req) {
            Ok(m) => m,
            Err(o) => return o,
        },
    };
    let mut criteria = Vec::new();
    for key in ["mobile", "email", "name"] {
        match m.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => criteria.push((key, s.as_str())),
            Some(_) => return Outcome::bad(format!("{key} must be a string")),
        }
    }
    let list: Vec<Value> = inner
        .leads
        .iter()
        .filter(|l| {
            criteria
                .iter()
                .all(|(k, v)| l.get(*k).and_then(Value::as_str) == Some(*v))
        })
        .cloned()
        .map(Value::Object)
        .collect();
    Outcome::ok(json!({"total": list.len(), "list": list}))
}

fn check_object_name(req: &ApiRequest) -> Result<(), Outcome> {
    match req.query_param("object_name").as_deref() {
        None | Some("") => Err(Outcome::bad("object_name is required")),
        Some("lead") => Ok(()),
        Some(other) => Err(Outcome::bad(format!(
            "object_name {other:?} is not supported by the sandbox (only lead)"
        ))),
    }
}

fn business_types(req: &ApiRequest) -> Outcome {
    if let Err(o) = check_object_name(req) {
        return o;
    }
    let list: Vec<Value> = BUSINESS_TYPES
        .iter()
        .enumerate()
        .map(|(i, (id, name))| {
            json!({"jing_uuid": id, "name": name, "is_default": if i == 0 { 1 } else { 0 }})
        })
        .collect();
    Outcome::ok(json!({ "list": list }))
}

fn fields(req: &ApiRequest) -> Outcome {
    if let Err(o) = check_object_name(req) {
        return o;
    }
    let list: Vec<Value> = LEAD_FIELDS
        .iter()
        .map(|(c, n, t, p)| json!({"code": c, "name": n, "type": t, "is_preset": p}))
        .collect();
    Outcome::ok(json!({ "list": list }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_replaces_secret_keys_at_any_depth() {
        let v = json!({"app_id": "1", "app_secret": "s", "a": [{"refresh_token": "r"}],
                       "b": {"access_token": "t", "keep": "k"}});
        assert_eq!(
            mask(&v),
            json!({"app_id": "1", "app_secret": "***", "a": [{"refresh_token": "***"}],
                   "b": {"access_token": "***", "keep": "k"}})
        );
    }

    #[test]
    fn ids_have_the_documented_shapes() {
        let h = hex32();
        assert_eq!(h.len(), 32);
        assert!(h
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        let u = uuid4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(hex32(), hex32());
        for (id, _) in BUSINESS_TYPES {
            assert_eq!(id.len(), 32);
        }
    }

    #[test]
    fn fault_parsing_defaults_and_errors() {
        let f = parse_fault(&json!({"kind": "http_status", "status": 500})).unwrap();
        assert!(
            matches!(f.kind, FaultKind::HttpStatus { status: 500, ref body } if body == "Internal Server Error")
        );
        assert_eq!(f.remaining, 1);
        assert_eq!(f.path, None);
        let f =
            parse_fault(&json!({"kind": "api_code", "code": 7, "path": "/v1/x?q=1", "count": 3}))
                .unwrap();
        assert!(matches!(
            f.kind,
            FaultKind::ApiCode {
                code: 7,
                http_status: 200,
                ..
            }
        ));
        assert_eq!(f.path.as_deref(), Some("/v1/x"));
        assert_eq!(f.remaining, 3);
        assert!(parse_fault(&json!({"kind": "http_status", "status": 99})).is_err());
        assert!(parse_fault(&json!({"kind": "delay", "delay_ms": -1})).is_err());
        assert!(parse_fault(&json!({"kind": "close_before", "path": "v1"})).is_err());
        assert!(parse_fault(&json!({"status": 500})).is_err());
    }

    #[test]
    fn limiter_counts_quota_only_for_rate_accepted_requests() {
        let mut inner = Inner::new(Config {
            rate_limit: 2,
            daily_quota: 3,
            ..Config::default()
        });
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let code = |r: Result<(), Outcome>| r.map_or_else(|o| o.code, |_| 0);
        assert_eq!(code(limit(&mut inner, "a", "/p", at(0))), 0);
        assert_eq!(code(limit(&mut inner, "a", "/p", at(10))), 0);
        assert_eq!(
            code(limit(&mut inner, "a", "/p", at(20))),
            code::RATE_LIMITED
        );
        assert_eq!(code(limit(&mut inner, "a", "/q", at(20))), 0);
        assert_eq!(code(limit(&mut inner, "a", "/p", at(1000))), 0);
        assert_eq!(
            code(limit(&mut inner, "a", "/p", at(1005))),
            code::RATE_LIMITED
        );
        assert_eq!(
            code(limit(&mut inner, "a", "/p", at(2100))),
            code::QUOTA_EXHAUSTED
        );
        assert_eq!(code(limit(&mut inner, "b", "/p", at(2100))), 0);
    }
}
