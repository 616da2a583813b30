//! Classifying what came back from the server (abi.md, "Classifying an answer"): success,
//! token rejected, rate limited, quota spent, a business error, or no usable answer, and
//! for the last, whether a retry is allowed.

use crate::error::{ApiAnswer, Error, Kind};
use crate::transport::{Answer, Failure};

/// The API codes that get special treatment. Everything else non-zero is `JING_E_API`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Codes {
    pub auth: Vec<i64>,
    pub rate_limit: Vec<i64>,
    pub quota: Vec<i64>,
}

#[derive(Debug)]
pub enum Verdict {
    /// `code == 0`: the envelope text exactly as received.
    Success(String),
    /// The token was refused (an auth code or HTTP 401).
    TokenRejected(Error),
    /// The server said "too many requests" (a rate code or HTTP 429).
    RateLimited(Error),
    /// The server said the interface's daily quota is spent.
    QuotaExhausted(Error),
    /// May be repeated: not delivered, or delivered but idempotent.
    Retry(Error),
    /// Final.
    Fail(Error),
}

/// Reads a JSON envelope: an object with an integer `code`. Only `code`, `msg` and
/// `request_id` are materialized; `data` is syntax-checked and skipped (the caller gets the
/// envelope text as received).
pub fn parse_envelope(text: &str) -> Option<ApiAnswer> {
    #[derive(serde::Deserialize)]
    struct Head {
        code: Option<serde_json::Value>,
        msg: Option<serde_json::Value>,
        request_id: Option<serde_json::Value>,
    }
    // serde would also read a struct from an array; an envelope is an object.
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let head: Head = serde_json::from_str(text).ok()?;
    let string = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    };
    let api = ApiAnswer {
        code: head.code?.as_i64()?,
        msg: string(head.msg),
        request_id: string(head.request_id),
    };
    Some(api)
}

pub fn classify(result: Result<Answer, Failure>, idempotent: bool, codes: &Codes) -> Verdict {
    let answer = match result {
        Ok(answer) => answer,
        Err(failure @ Failure::NotSent(_)) => {
            return Verdict::Retry(failure.into_error(idempotent))
        }
        Err(failure @ Failure::MaybeSent(_)) if idempotent => {
            return Verdict::Retry(failure.into_error(idempotent))
        }
        Err(failure) => return Verdict::Fail(failure.into_error(idempotent)),
    };
    let status = answer.status;
    // The envelope text is handed on as received, so it is taken over, not copied.
    let envelope = String::from_utf8(answer.body)
        .ok()
        .and_then(|text| parse_envelope(&text).map(|api| (text, api)));
    if let Some((text, api)) = envelope {
        let with_api = |kind, message: String| {
            Error::new(kind, message)
                .with_api(&api)
                .with_http_status(Some(status))
        };
        let code = api.code;
        return if code == 0 {
            Verdict::Success(text)
        } else if codes.auth.contains(&code) {
            Verdict::TokenRejected(with_api(
                Kind::Auth,
                format!("the server rejected the access token (code {code})"),
            ))
        } else if codes.rate_limit.contains(&code) {
            Verdict::RateLimited(with_api(
                Kind::Throttled,
                format!("the server kept answering rate limited (code {code})"),
            ))
        } else if codes.quota.contains(&code) {
            Verdict::QuotaExhausted(with_api(
                Kind::QuotaExhausted,
                format!(
                    "the server says the daily quota of this interface is used up (code {code})"
                ),
            ))
        } else {
            Verdict::Fail(with_api(
                Kind::Api,
                format!(
                    "the server answered code {code}: {}",
                    api.msg.as_deref().unwrap_or("(no msg)")
                ),
            ))
        };
    }
    let error = |kind, message: String| Error::new(kind, message).with_http_status(Some(status));
    match status {
        401 => Verdict::TokenRejected(error(
            Kind::Auth,
            "the server rejected the access token (HTTP 401)".into(),
        )),
        429 => Verdict::RateLimited(error(
            Kind::Throttled,
            "the server kept answering rate limited (HTTP 429)".into(),
        )),
        500..=599 if idempotent => Verdict::Retry(error(
            Kind::Protocol,
            format!("the server failed with HTTP {status} and no JSON envelope"),
        )),
        500..=599 => Verdict::Fail(error(
            Kind::OutcomeUnknown,
            format!(
                "the server failed with HTTP {status} after receiving the request; it may have \
                 been processed and was not retried: check before sending it again"
            ),
        )),
        200..=299 => Verdict::Fail(
            error(
                Kind::Protocol,
                format!("the answer (HTTP {status}) is not a JSON envelope with a code"),
            )
            .with_outcome_unknown(!idempotent),
        ),
        _ => Verdict::Fail(error(
            Kind::Protocol,
            format!("the server answered HTTP {status} without a JSON envelope"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> Codes {
        Codes {
            auth: vec![40101],
            rate_limit: vec![42901],
            quota: vec![42902],
        }
    }

    fn answer(status: u16, body: &str) -> Result<Answer, Failure> {
        Ok(Answer {
            status,
            body: body.as_bytes().to_vec(),
        })
    }

    fn kind_of(v: &Verdict) -> (&'static str, Option<&Error>) {
        match v {
            Verdict::Success(_) => ("success", None),
            Verdict::TokenRejected(e) => ("token", Some(e)),
            Verdict::RateLimited(e) => ("rate", Some(e)),
            Verdict::QuotaExhausted(e) => ("quota", Some(e)),
            Verdict::Retry(e) => ("retry", Some(e)),
            Verdict::Fail(e) => ("fail", Some(e)),
        }
    }

    #[test]
    fn envelope_code_decides_whatever_the_http_status() {
        let c = codes();
        let env =
            |code: i64| format!(r#"{{"request_id":"r9","code":{code},"msg":"m","data":{{}}}}"#);
        let ok = classify(answer(200, &env(0)), false, &c);
        assert!(matches!(&ok, Verdict::Success(t) if t == &env(0)));
        assert_eq!(
            kind_of(&classify(answer(200, &env(40101)), false, &c)).0,
            "token"
        );
        assert_eq!(
            kind_of(&classify(answer(503, &env(42901)), false, &c)).0,
            "rate"
        );
        assert_eq!(
            kind_of(&classify(answer(200, &env(42902)), false, &c)).0,
            "quota"
        );
        let v = classify(answer(500, &env(12345)), false, &c);
        let (name, e) = kind_of(&v);
        let e = e.unwrap();
        assert_eq!(
            (name, e.kind, e.api_code, e.http_status),
            ("fail", Kind::Api, Some(12345), Some(500))
        );
        assert_eq!(e.request_id.as_deref(), Some("r9"));
        assert_eq!(e.api_msg.as_deref(), Some("m"));
    }

    #[test]
    fn answers_without_an_envelope() {
        let c = codes();
        assert_eq!(kind_of(&classify(answer(401, "no"), false, &c)).0, "token");
        assert_eq!(kind_of(&classify(answer(429, ""), false, &c)).0, "rate");
        let v = classify(answer(502, "<html>"), false, &c);
        assert_eq!(kind_of(&v).1.unwrap().kind, Kind::OutcomeUnknown);
        assert!(kind_of(&v).1.unwrap().outcome_unknown);
        let v = classify(answer(502, "<html>"), true, &c);
        assert_eq!(kind_of(&v).0, "retry");
        assert_eq!(kind_of(&v).1.unwrap().kind, Kind::Protocol);
        let v = classify(answer(200, "<html>"), false, &c);
        let e = kind_of(&v).1.unwrap();
        assert_eq!((e.kind, e.outcome_unknown), (Kind::Protocol, true));
        let v = classify(answer(200, r#"{"code":"0"}"#), true, &c);
        let e = kind_of(&v).1.unwrap();
        assert_eq!((e.kind, e.outcome_unknown), (Kind::Protocol, false));
        let v = classify(answer(404, "nope"), false, &c);
        assert_eq!(kind_of(&v).1.unwrap().kind, Kind::Protocol);
        assert_eq!(kind_of(&v).1.unwrap().http_status, Some(404));
    }

    #[test]
    fn envelope_parsing() {
        let api = parse_envelope(r#" {"code":7,"msg":1,"data":{"x":[1,{"y":null}]}}"#).unwrap();
        assert_eq!((api.code, api.msg, api.request_id), (7, None, None));
        let api = parse_envelope(r#"{"request_id":"r","code":0,"msg":"ok"}"#).unwrap();
        assert_eq!(
            (api.msg.as_deref(), api.request_id.as_deref()),
            (Some("ok"), Some("r"))
        );
        for bad in [
            r#"[0,"m","r"]"#,
            r#"{"msg":"no code"}"#,
            r#"{"code":1.5}"#,
            r#"{"code":0"#,
        ] {
            assert!(parse_envelope(bad).is_none(), "{bad}");
        }
        let not_utf8 = Ok(Answer {
            status: 200,
            body: vec![b'{', 0xff, b'}'],
        });
        let v = classify(not_utf8, true, &codes());
        assert!(matches!(v, Verdict::Fail(e) if e.kind == Kind::Protocol));
    }

    #[test]
    fn transport_failures() {
        let c = codes();
        let v = classify(Err(Failure::NotSent("refused".into())), false, &c);
        assert_eq!(kind_of(&v).0, "retry");
        assert_eq!(kind_of(&v).1.unwrap().kind, Kind::Network);
        let v = classify(Err(Failure::MaybeSent("timeout".into())), false, &c);
        let e = kind_of(&v).1.unwrap();
        assert_eq!(
            (kind_of(&v).0, e.kind, e.outcome_unknown, e.retryable),
            ("fail", Kind::OutcomeUnknown, true, false)
        );
        let v = classify(Err(Failure::MaybeSent("timeout".into())), true, &c);
        assert_eq!(
            (kind_of(&v).0, kind_of(&v).1.unwrap().kind),
            ("retry", Kind::Network)
        );
        let v = classify(Err(Failure::TooLarge { status: 200 }), false, &c);
        assert_eq!(kind_of(&v).1.unwrap().kind, Kind::Protocol);
    }
}
