//! libjing: the JING Social Open Platform API for C, Python and .NET callers.
//!
//! The core (everything outside `ffi`) is plain Rust: configuration, transport, auth,
//! throttling, retries and errors, each in its own module. `ffi` is the only C boundary.

pub mod answer;
pub mod auth;
pub mod client;
pub mod config;
pub mod connection;
pub mod endpoints;
pub mod error;
pub mod ffi;
pub mod http1;
pub mod registry;
pub mod request;
pub mod retry;
pub mod throttle;
pub mod transport;
pub mod url;

pub use client::Client;
pub use error::{Error, Kind, Result};
