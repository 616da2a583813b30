//! What a caller may ask for, checked before anything is sent: the method, the path (which
//! must stay on the configured host), and the body.

use crate::error::{Error, Result};

/// Larger request bodies are refused locally: no JING endpoint takes megabytes of JSON.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
const MAX_PATH_BYTES: usize = 8 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn parse(text: &str) -> Result<Method> {
        match text.to_ascii_uppercase().as_str() {
            "GET" => Ok(Method::Get),
            "POST" => Ok(Method::Post),
            "PUT" => Ok(Method::Put),
            "DELETE" => Ok(Method::Delete),
            _ => Err(Error::invalid(format!(
                "method must be GET, POST, PUT or DELETE, not {:?}",
                truncate(text, 16)
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// A path is appended to `base_url` as text. Anything that could make it name another host
/// (`//host`, `scheme://`), or that an HTTP library might reinterpret, is refused.
pub fn check_path(path: &str) -> Result<()> {
    if !path.starts_with('/') {
        return Err(Error::invalid("path must start with '/'"));
    }
    if path.starts_with("//") || path.contains("://") {
        return Err(Error::invalid(
            "path must not name a host ('//' at its start or '://' inside)",
        ));
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(Error::invalid(format!(
            "path is longer than {MAX_PATH_BYTES} bytes"
        )));
    }
    if let Some(c) = path.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(format!(
            "path must not contain whitespace or control characters (found U+{:04X})",
            c as u32
        )));
    }
    if path.contains(['#', '\\']) {
        return Err(Error::invalid("path must not contain '#' or '\\'"));
    }
    // URL parsers (WHATWG, the `url` crate) also treat '.%2e', '%2e.' and '%2e%2e' as '..',
    // which would climb out of a base_url with a path prefix.
    if path.split(['/', '?']).any(is_double_dot) {
        return Err(Error::invalid(
            "path must not contain '..' segments (percent-encoded or not)",
        ));
    }
    Ok(())
}

fn is_double_dot(segment: &str) -> bool {
    segment.len() <= 6
        && matches!(
            segment.to_ascii_lowercase().as_str(),
            ".." | ".%2e" | "%2e." | "%2e%2e"
        )
}

/// The interface a path belongs to, for throttling: the path without its query.
pub fn interface(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// Checks an optional JSON body; it is sent exactly as given.
pub fn check_body(body: Option<&str>) -> Result<()> {
    let Some(body) = body else { return Ok(()) };
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::invalid(format!(
            "body is larger than {MAX_BODY_BYTES} bytes"
        )));
    }
    // Checked for syntax only: nothing is built, whatever the body's size.
    parse_json::<serde::de::IgnoredAny>("body", body).map(|_| ())
}

/// Deeper JSON is refused: no JING payload nests like that, and a parser on the other side
/// might not survive it. (serde_json enforces this limit only where it builds values.)
pub const MAX_JSON_DEPTH: usize = 128;

/// Parses JSON text, naming the argument and the position of the first problem.
pub fn parse_json<'a, T: serde::Deserialize<'a>>(what: &str, text: &'a str) -> Result<T> {
    check_depth(what, text)?;
    serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let reason = full.split(" at line ").next().unwrap_or(&full);
        Error::invalid(format!(
            "{what} is not valid JSON: {reason} at line {} column {}",
            e.line(),
            e.column()
        ))
    })
}

/// The local checks of abi.md for a lead: a JSON object with non-empty string
/// `business_type` and `name`, and a non-empty `mobile` or `email`. Other keys pass
/// through untouched (the lead is sent as the caller wrote it).
pub fn check_lead(lead: &str) -> Result<()> {
    if lead.len() > MAX_BODY_BYTES {
        return Err(Error::invalid(format!(
            "lead is larger than {MAX_BODY_BYTES} bytes"
        )));
    }
    // Only the four checked fields are materialized; the rest is syntax-checked and
    // skipped (a lead is sent as the caller wrote it, so nothing else is needed).
    #[derive(serde::Deserialize)]
    struct Checked {
        business_type: Option<serde_json::Value>,
        name: Option<serde_json::Value>,
        mobile: Option<serde_json::Value>,
        email: Option<serde_json::Value>,
    }
    if !lead.trim_start().starts_with('{') {
        parse_json::<serde::de::IgnoredAny>("lead", lead)?;
        return Err(Error::invalid("lead must be a JSON object"));
    }
    let lead: Checked = parse_json("lead", lead)?;
    let text = |key: &str, value: &Option<serde_json::Value>| -> Result<bool> {
        match value {
            None => Ok(false),
            Some(serde_json::Value::String(s)) => Ok(!s.trim().is_empty()),
            Some(_) => Err(Error::invalid(format!("lead field {key} must be a string"))),
        }
    };
    for (key, value) in [("business_type", &lead.business_type), ("name", &lead.name)] {
        if !text(key, value)? {
            return Err(Error::invalid(format!(
                "lead field {key} is required and must be a non-empty string"
            )));
        }
    }
    let (mobile, email) = (text("mobile", &lead.mobile)?, text("email", &lead.email)?);
    if !mobile && !email {
        return Err(Error::invalid(
            "lead needs a non-empty mobile or email (field mobile / email)",
        ));
    }
    Ok(())
}

/// One pass over the bytes, counting brackets outside strings.
fn check_depth(what: &str, text: &str) -> Result<()> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text.as_bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(Error::invalid(format!(
                        "{what} is nested deeper than {MAX_JSON_DEPTH} levels"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_leave_the_host_are_refused() {
        for bad in [
            "v1/x",
            "//evil.com/x",
            "/x?u=http://evil",
            "/a b",
            "/a\tb",
            "/a\r\nHost: x",
            "/a#f",
            "/a\\b",
            "/a/../b",
            "",
            "/x\u{7f}",
            "/%2e%2e/x",
            "/a/.%2E/x",
            "/a/%2E./x",
            "/a/%2e%2E",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
        for ok in [
            "/v1/leads/create",
            "/v1/leads/query?jing_uuid=abc&x=%20",
            "/",
            "/a/%2e/b",
            "/a/...",
            "/a/%2e%2e%2e",
        ] {
            assert!(check_path(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn interface_drops_the_query() {
        assert_eq!(interface("/v1/a?b=c?d"), "/v1/a");
        assert_eq!(interface("/v1/a"), "/v1/a");
    }

    #[test]
    fn methods() {
        assert_eq!(Method::parse("get").unwrap(), Method::Get);
        assert_eq!(Method::parse("DELETE").unwrap().as_str(), "DELETE");
        assert!(Method::parse("PATCH").is_err());
        assert!(Method::parse("").is_err());
    }

    #[test]
    fn lead_validation_names_the_field() {
        let cases = [
            ("[]", "object"),
            ("{", "not valid JSON"),
            (r#"{"name":"n","mobile":"1"}"#, "business_type"),
            (r#"{"business_type":"b","mobile":"1"}"#, "name"),
            (r#"{"business_type":"b","name":"  ","mobile":"1"}"#, "name"),
            (r#"{"business_type":"b","name":"n"}"#, "mobile"),
            (r#"{"business_type":"b","name":"n","mobile":""}"#, "mobile"),
            (r#"{"business_type":"b","name":"n","mobile":13}"#, "mobile"),
            (
                r#"{"business_type":1,"name":"n","mobile":"1"}"#,
                "business_type",
            ),
        ];
        for (lead, field) in cases {
            let e = check_lead(lead).unwrap_err();
            assert_eq!(e.kind, crate::error::Kind::InvalidArgument);
            assert!(e.message.contains(field), "{lead}: {}", e.message);
        }
        assert!(
            check_lead(r#"{"business_type":"b","name":"张伟","email":"a@b.c","x":[1]}"#).is_ok()
        );
    }

    #[test]
    fn bodies() {
        assert!(check_body(None).is_ok());
        assert!(check_body(Some("[1,2]")).is_ok());
        assert!(check_body(Some("{\"a\":")).is_err());
        let deep = "[".repeat(100_000);
        assert!(check_body(Some(&deep)).is_err());
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(check_body(Some(&nested(MAX_JSON_DEPTH))).is_ok());
        let e = check_body(Some(&nested(MAX_JSON_DEPTH + 1))).unwrap_err();
        assert!(e.message.contains("nested deeper"), "{}", e.message);
        // Brackets inside strings, escaped quotes included, do not count.
        let in_string = format!(r#"["\"{}"]"#, "[".repeat(1000));
        assert!(check_body(Some(&in_string)).is_ok());
    }
}
