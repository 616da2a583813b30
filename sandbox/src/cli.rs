//! Command-line parsing and the `--help` text.

use crate::app::Config;

/// Everything the command line sets.
#[derive(Debug, Clone)]
pub struct Cli {
    pub port: u16,
    pub config: Config,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
}

pub const HELP: &str = r#"jing-sandbox: an offline fake of the JING Social Open Platform API (v1)

USAGE:
    jing-sandbox [OPTIONS]

Listens on 127.0.0.1 only. The first line on stdout is
    listening on http://127.0.0.1:PORT      (https:// with --tls-cert/--tls-key)
SIGINT and SIGTERM stop the server cleanly (exit status 0).

OPTIONS:
    --port N            TCP port [default: 8080]; 0 picks a free port
    --app-id ID         the one app's id [default: 1000000000000001]
    --app-secret S      the app's secret [default: 0123456789abcdef0123456789abcdef]
    --token-ttl SECS    access token lifetime, reported as expires_in [default: 7200]
    --revoke-previous   issuing a new access token revokes all previous access tokens
    --rate-limit N      requests per interface in any sliding 1-second window [default: 10]
    --daily-quota N     requests per interface per day, day starts 00:00 UTC+8 [default: 10000]
    --no-limits         disable both the rate limit and the daily quota
    --tls-cert FILE     PEM certificate chain; with --tls-key, serve HTTPS (rustls)
    --tls-key FILE      PEM private key (PKCS#8, PKCS#1 or SEC1)
    -h, --help          print this help
    -V, --version       print the version

ENVELOPE (every API answer):
    {"request_id": "<32 lowercase hex>", "code": <int>, "msg": "<text>", "data": <json|null>}
    Business errors are HTTP 200 with a non-zero code.

ERROR CODES:
    0      success
    40001  bad parameter (msg names the field, e.g. "name is required")
    40002  bad credentials (wrong app_id/app_secret; unknown, used or expired refresh token)
    40101  access token invalid (missing, unknown or revoked; app_id header not the token's)
    40102  access token expired
    40401  not found (e.g. unknown lead jing_uuid)
    42901  rate limited (not processed, not counted toward the quota)
    42902  daily quota of that interface exhausted
    50001  internal error

API ENDPOINTS (all but the two token endpoints need headers `app_id` and `access_token`):
    POST /v1/oauth2/token                 {"app_id","app_secret"} -> token pair
    POST /v1/oauth2/token/refresh         {"app_id","app_secret","refresh_token"} -> new pair
                                          (refresh tokens are single-use)
    POST /v1/leads/create                 lead fields -> {"jing_uuid"}
    POST /v1/leads/update                 {"jing_uuid", ...fields} -> {"jing_uuid"}
    GET  /v1/leads/query?jing_uuid=X      -> the stored lead
    POST /v1/leads/query                  {"mobile"?,"email"?,"name"?} -> {"total","list"}
    GET  /v1/crm/object/business_types?object_name=lead   -> {"list":[{jing_uuid,name,is_default}]}
    GET  /v1/crm/object/fields?object_name=lead           -> {"list":[{code,name,type,is_preset}]}
    ANY  any other path                   -> {"echo":{"method","path","query","body"}}
    Limits apply per (app_id, path without query) to every authenticated call.

BUSINESS TYPES (object lead):
    bt000000000000000000000000000001  默认线索 (default)
    bt000000000000000000000000000002  市场活动线索
    bt000000000000000000000000000003  合作伙伴线索

CONTROL API (no auth, never rate limited, not journaled):
    POST   /_sandbox/faults            {"faults":[{fault},...]} appends to the FIFO queue
    GET    /_sandbox/faults            pending faults
    DELETE /_sandbox/faults            clear the queue
    POST   /_sandbox/invalidate_tokens revoke every access token now
    GET    /_sandbox/config            current settings
    POST   /_sandbox/config            {"rate_limit","daily_quota","limits","token_ttl","revoke_previous"}
    GET    /_sandbox/journal[?path=P]  {"requests":[...],"leads":[...]} (secrets masked)
    POST   /_sandbox/reset             clear journal, leads, faults, tokens, counters; restore config

FAULTS ({"kind": K, "path"?: P, "count"?: 1, ...}; the first matching fault fires):
    http_status       {"status": 503, "body"?: "..."}  raw status + text body, not processed
    delay             {"delay_ms": N}   processed, answer delayed N ms
    close_before      connection dropped without an answer, not processed
    close_after       processed, then connection dropped without an answer
    non_json          HTTP 200 "<html>oops</html>", not processed
    api_code          {"code": N, "msg"?: "...", "http_status"?: 200}  envelope, not processed
    invalidate_token  all access tokens revoked, then the request is handled normally
"#;

fn value<'a>(args: &'a [String], i: &mut usize, flag: &str) -> Result<&'a str, String> {
    *i += 1;
    args.get(*i)
        .map(|s| s.as_str())
        .ok_or_else(|| format!("{flag} needs a value"))
}

fn number<T: std::str::FromStr>(s: &str, flag: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("{flag}: not a valid number: {s:?}"))
}

/// What parsing asked for.
pub enum Parsed {
    Run(Cli),
    Help,
    Version,
}

pub fn parse(args: &[String]) -> Result<Parsed, String> {
    let mut cli = Cli {
        port: 8080,
        config: Config::default(),
        tls_cert: None,
        tls_key: None,
    };
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg, None),
        };
        let take = |i: &mut usize| -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => value(args, i, flag).map(str::to_string),
            }
        };
        match flag {
            "-h" | "--help" => return Ok(Parsed::Help),
            "-V" | "--version" => return Ok(Parsed::Version),
            "--port" => cli.port = number(&take(&mut i)?, flag)?,
            "--app-id" => cli.config.app_id = take(&mut i)?,
            "--app-secret" => cli.config.app_secret = take(&mut i)?,
            "--token-ttl" => cli.config.token_ttl = number(&take(&mut i)?, flag)?,
            "--rate-limit" => cli.config.rate_limit = number(&take(&mut i)?, flag)?,
            "--daily-quota" => cli.config.daily_quota = number(&take(&mut i)?, flag)?,
            "--revoke-previous" if inline.is_none() => cli.config.revoke_previous = true,
            "--no-limits" if inline.is_none() => cli.config.limits = false,
            "--tls-cert" => cli.tls_cert = Some(take(&mut i)?),
            "--tls-key" => cli.tls_key = Some(take(&mut i)?),
            _ => return Err(format!("unknown argument: {arg} (see --help)")),
        }
        i += 1;
    }
    if cli.tls_cert.is_some() != cli.tls_key.is_some() {
        return Err("--tls-cert and --tls-key must be given together".into());
    }
    if cli.config.app_id.is_empty() {
        return Err("--app-id must not be empty".into());
    }
    Ok(Parsed::Run(cli))
}
