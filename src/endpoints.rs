//! Which calls are safe to repeat. A repeat of a call that may already have been processed
//! must not change anything, or a retry could create a second lead. GET is read-only by
//! definition; for POST we only trust the known queries below. Anything else, an unknown
//! POST above all, counts as not idempotent.

use crate::request::Method;

/// POST interfaces known to only read (queries and metadata). Paths follow jing-api.md and
/// the sandbox; unknown live paths simply stay "not idempotent", which is the safe side.
const READ_ONLY_POSTS: &[&str] = &[
    "/v1/leads/query",
    "/v1/leads/list",
    "/v1/leads/status/list",
    "/v1/leads/layout/list",
    "/v1/accounts/query",
    "/v1/accounts/list",
    "/v1/crm/object/business_types",
    "/v1/crm/object/fields",
    "/v1/crm/object/option_fields",
    "/v1/crm/object/source_options",
];

/// Whether the call may be sent again after it may have reached the server.
pub fn is_idempotent(method: Method, interface: &str) -> bool {
    match method {
        Method::Get => true,
        Method::Post => READ_ONLY_POSTS.contains(&interface),
        Method::Put | Method::Delete => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_are_idempotent() {
        assert!(is_idempotent(Method::Get, "/v1/leads/create"));
        assert!(is_idempotent(Method::Post, "/v1/leads/query"));
        assert!(!is_idempotent(Method::Post, "/v1/leads/create"));
        assert!(!is_idempotent(Method::Post, "/v1/never/heard/of"));
        assert!(!is_idempotent(Method::Delete, "/v1/leads/query"));
        assert!(!is_idempotent(Method::Put, "/v1/leads/update"));
    }
}
