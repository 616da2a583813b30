//! HTTP(S) plumbing: the listener, per-connection serving (so that a fault can
//! drop a connection without any response bytes), the axum router and handlers.

use crate::app::{code, envelope, ApiRequest, App, FaultKind, Outcome};
use crate::cli::Cli;
use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

const MAX_BODY: usize = 16 * 1024 * 1024;

/// Handed to every request through its extensions: notifying it makes the
/// connection task drop the connection (no response bytes are written). Also carries the
/// connection's number (1, 2, …) for the journal, so tests can see keep-alive at work.
#[derive(Clone)]
struct Closer(Arc<Notify>, u64);

static CONNECTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub async fn run(cli: Cli, app: Arc<App>) -> Result<(), String> {
    let tls = match (&cli.tls_cert, &cli.tls_key) {
        (Some(c), Some(k)) => Some(load_tls(c, k)?),
        _ => None,
    };
    let listener = TcpListener::bind(("127.0.0.1", cli.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", cli.port))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("cannot read the local address: {e}"))?
        .port();
    let shutdown = shutdown_signal()?;
    tokio::pin!(shutdown);
    {
        let mut out = std::io::stdout().lock();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let _ = writeln!(out, "listening on {scheme}://127.0.0.1:{port}");
        let _ = out.flush();
    }
    let router = router(app);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let router = router.clone();
                    let tls = tls.clone();
                    tokio::spawn(async move {
                        match tls {
                            None => serve_io(stream, router).await,
                            Some(acceptor) => {
                                if let Ok(s) = acceptor.accept(stream).await {
                                    serve_io(s, router).await;
                                }
                            }
                        }
                    });
                }
                Err(e) => {
                    // E.g. too many open files: back off instead of spinning.
                    eprintln!("jing-sandbox: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = &mut shutdown => break,
        }
    }
    eprintln!("jing-sandbox: shutting down");
    Ok(())
}

#[cfg(unix)]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

fn load_tls(cert: &str, key: &str) -> Result<TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let cert_pem = std::fs::read(cert).map_err(|e| format!("cannot read {cert}: {e}"))?;
    let key_pem = std::fs::read(key).map_err(|e| format!("cannot read {key}: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{cert}: bad PEM certificate: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{cert}: no certificate found"));
    }
    let key =
        PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| format!("{key}: bad PEM key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate/key rejected: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

async fn serve_io<I>(io: I, router: Router)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let notify = Arc::new(Notify::new());
    let number = CONNECTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    let closer = Closer(notify.clone(), number);
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(closer.clone());
        let mut router = router.clone();
        async move { tower_service::Service::call(&mut router, req).await }
    });
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(io), svc);
    tokio::select! {
        _ = conn => {}
        // Dropping `conn` drops the socket: the peer sees EOF, no response.
        _ = notify.notified() => {}
    }
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(
            "/_sandbox/faults",
            get(faults_get).post(faults_post).delete(faults_delete),
        )
        .route("/_sandbox/invalidate_tokens", post(invalidate_tokens))
        .route("/_sandbox/config", get(config_get).post(config_post))
        .route("/_sandbox/journal", get(journal))
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox", any(control_not_found))
        .route("/_sandbox/{*rest}", any(control_not_found))
        .fallback(api)
        .with_state(app)
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

fn control_ok(v: Value) -> Response {
    json_response(StatusCode::OK, &v)
}

fn control_err(msg: impl Into<String>) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({"error": msg.into()}))
}

fn parse_control_body(b: &Bytes) -> Result<Value, String> {
    if b.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(b).map_err(|e| format!("body is not valid JSON: {e}"))
}

async fn faults_get(State(app): State<Arc<App>>) -> Response {
    control_ok(app.faults())
}

async fn faults_post(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let v = match parse_control_body(&body) {
        Ok(v) => v,
        Err(e) => return control_err(e),
    };
    match app.add_faults(&v) {
        Ok(v) => control_ok(v),
        Err(e) => control_err(e),
    }
}

async fn faults_delete(State(app): State<Arc<App>>) -> Response {
    control_ok(app.clear_faults())
}

async fn invalidate_tokens(State(app): State<Arc<App>>) -> Response {
    let n = app.invalidate_tokens();
    control_ok(json!({"ok": true, "revoked": n}))
}

async fn config_get(State(app): State<Arc<App>>) -> Response {
    control_ok(app.config())
}

async fn config_post(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let v = match parse_control_body(&body) {
        Ok(v) => v,
        Err(e) => return control_err(e),
    };
    match app.set_config(&v) {
        Ok(v) => control_ok(v),
        Err(e) => control_err(e),
    }
}

async fn journal(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    control_ok(app.journal(q.get("path").map(String::as_str)))
}

async fn reset(State(app): State<Arc<App>>) -> Response {
    app.reset();
    control_ok(json!({"ok": true}))
}

async fn control_not_found(req: Request) -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"error": format!("no control endpoint {} {}", req.method(), req.uri().path())}),
    )
}

fn envelope_response(status: StatusCode, code: i64, msg: &str, data: Value) -> Response {
    json_response(status, &envelope(code, msg, data))
}

/// Drop the connection this request came on; never answers.
async fn drop_connection(closer: Option<Closer>) -> Response {
    match closer {
        Some(Closer(n, _)) => {
            n.notify_one();
            std::future::pending::<Response>().await
        }
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot drop the connection",
        )
            .into_response(),
    }
}

/// Every path outside `/_sandbox`: the fake Open API.
async fn api(State(app): State<Arc<App>>, req: Request) -> Response {
    let closer = req.extensions().get::<Closer>().cloned();
    let (parts, body) = req.into_parts();
    let body_raw = match axum::body::to_bytes(Body::new(body), MAX_BODY).await {
        Ok(b) => b.to_vec(),
        Err(_) => {
            return envelope_response(
                StatusCode::OK,
                code::BAD_PARAMETER,
                "body could not be read or is larger than 16 MiB",
                Value::Null,
            )
        }
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in &parts.headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match headers.iter_mut().find(|(n, _)| n == name.as_str()) {
            Some((_, existing)) => {
                existing.push_str(", ");
                existing.push_str(&v);
            }
            None => headers.push((name.as_str().to_string(), v)),
        }
    }
    let body_json = if body_raw.is_empty() {
        None
    } else {
        serde_json::from_slice::<Value>(&body_raw).ok()
    };
    let req = ApiRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers,
        body_raw,
        body_json,
        connection: closer.as_ref().map_or(0, |c| c.1),
    };
    let pending = app.journal_begin(&req);
    let fault = app.take_fault(&req.path);
    let fault_name = fault.as_ref().map(FaultKind::name);

    // Faults that answer (or not) without processing the request.
    match &fault {
        Some(FaultKind::HttpStatus { status, body }) => {
            app.journal_finish(pending, Some(*status), None, fault_name);
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                body.clone(),
            )
                .into_response();
        }
        Some(FaultKind::CloseBefore) => {
            app.journal_finish(pending, None, None, fault_name);
            return drop_connection(closer).await;
        }
        Some(FaultKind::NonJson) => {
            app.journal_finish(pending, Some(200), None, fault_name);
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                "<html>oops</html>",
            )
                .into_response();
        }
        Some(FaultKind::ApiCode {
            code,
            msg,
            http_status,
        }) => {
            app.journal_finish(pending, Some(*http_status), Some(*code), fault_name);
            let status = StatusCode::from_u16(*http_status).unwrap_or(StatusCode::OK);
            return envelope_response(status, *code, msg, Value::Null);
        }
        Some(FaultKind::InvalidateToken) => {
            app.invalidate_tokens();
        }
        _ => {}
    }

    // A bug in the fake must answer 50001, not kill the connection task.
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| app.process(&req)))
        .unwrap_or_else(|_| Outcome::err(code::INTERNAL, "internal error"));
    if let Some(FaultKind::CloseAfter) = fault {
        // Processed (e.g. the lead is stored), but the client never hears of it.
        app.journal_finish(pending, None, Some(out.code), fault_name);
        return drop_connection(closer).await;
    }
    app.journal_finish(pending, Some(200), Some(out.code), fault_name);
    if let Some(FaultKind::Delay { ms }) = fault {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    envelope_response(StatusCode::OK, out.code, &out.msg, out.data)
}
