//! A programmable vendor on 127.0.0.1: set what a path answers (a fixed reply, or one
//! made from the request), change it while the server runs, count the hits and look
//! at the requests. Plays status pages, feeds, probed endpoints and volume APIs, well
//! behaved or not (HTML, huge or cut-off bodies, servers that never answer).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Size of each piece of a streamed body.
const CHUNK_BYTES: usize = 64 * 1024;

/// What the server answers on one path.
#[derive(Clone, Debug)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: ReplyBody,
    delay: Duration,
}

#[derive(Clone, Debug)]
enum ReplyBody {
    Bytes(Vec<u8>),
    /// Accept the request and never answer.
    Hang,
    /// Stream this many bytes, produced lazily, so nothing large is ever allocated.
    Huge(u64),
    /// Send these bytes, then break the connection before the body is complete.
    Truncated(Vec<u8>),
    /// Send these bytes, then keep the connection open without sending more.
    Stall(Vec<u8>),
}

impl Reply {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply::with_type(status, "application/json", ReplyBody::Bytes(body.into()))
    }

    pub fn html(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply::with_type(
            status,
            "text/html; charset=utf-8",
            ReplyBody::Bytes(body.into()),
        )
    }

    pub fn text(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::with_type(status, content_type, ReplyBody::Bytes(body.into()))
    }

    /// A file under `tests/fixtures`, e.g. `statuspage/partial_outage.json`, with 200
    /// and a content type from its extension.
    pub fn fixture(name: &str) -> Reply {
        let body =
            std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"));
        let content_type = match name.rsplit('.').next() {
            Some("json") => "application/json",
            Some("rss") => "application/rss+xml",
            Some("atom") => "application/atom+xml",
            Some("html") => "text/html; charset=utf-8",
            _ => "application/octet-stream",
        };
        Reply::with_type(200, content_type, ReplyBody::Bytes(body))
    }

    pub fn hang() -> Reply {
        Reply::with_type(200, "application/json", ReplyBody::Hang)
    }

    /// A 200 JSON answer of `bytes` bytes, streamed without a `Content-Length`, so
    /// the client can only find out by reading.
    pub fn huge(bytes: u64) -> Reply {
        Reply::with_type(200, "application/json", ReplyBody::Huge(bytes))
    }

    /// A 200 answer that starts with `partial` and then breaks off mid-body.
    pub fn truncated(partial: impl Into<Vec<u8>>) -> Reply {
        Reply::with_type(
            200,
            "application/json",
            ReplyBody::Truncated(partial.into()),
        )
    }

    /// A 200 answer that starts with `partial` and then sends nothing more, ever.
    pub fn stall(partial: impl Into<Vec<u8>>) -> Reply {
        Reply::with_type(200, "application/json", ReplyBody::Stall(partial.into()))
    }

    pub fn with_header(mut self, name: &str, value: impl ToString) -> Reply {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_string()));
        self
    }

    /// Wait this long before answering.
    pub fn delayed(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    fn with_type(status: u16, content_type: &str, body: ReplyBody) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body,
            delay: Duration::ZERO,
        }
    }
}

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Query parameters in order, decoded; a repeated key appears once per value.
    pub query: Vec<(String, String)>,
    headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params(name).into_iter().next()
    }

    /// Every value of a query parameter, in order.
    pub fn params(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Makes a reply from the request.
type Handler = Arc<dyn Fn(&Received) -> Reply + Send + Sync>;

pub fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[derive(Default)]
struct Shared {
    replies: Mutex<HashMap<String, Reply>>,
    handlers: Mutex<HashMap<String, Handler>>,
    hits: Mutex<HashMap<String, usize>>,
    received: Mutex<Vec<Received>>,
    streamed: AtomicU64,
}

/// The running server; it stops when dropped.
pub struct VendorServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl VendorServer {
    pub async fn start() -> VendorServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        VendorServer::serve(listener)
    }

    /// Serve on a port bound before the runtime started, for a test that must know
    /// its URL while no other thread runs (to put it in the environment).
    pub async fn on(listener: std::net::TcpListener) -> VendorServer {
        listener
            .set_nonblocking(true)
            .expect("a non-blocking socket");
        VendorServer::serve(tokio::net::TcpListener::from_std(listener).expect("a Tokio listener"))
    }

    fn serve(listener: tokio::net::TcpListener) -> VendorServer {
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("vendor server on {addr} stopped: {e}");
            }
        });
        VendorServer { addr, shared, task }
    }

    /// `path` on this server; `url("")` is the base URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set(&self, path: &str, reply: Reply) {
        lock(&self.shared.handlers).remove(path);
        lock(&self.shared.replies).insert(path.to_owned(), reply);
    }

    /// Answer `path` with what `handler` makes of each request.
    pub fn handle(&self, path: &str, handler: impl Fn(&Received) -> Reply + Send + Sync + 'static) {
        lock(&self.shared.replies).remove(path);
        lock(&self.shared.handlers).insert(path.to_owned(), Arc::new(handler));
    }

    /// The requests received on `path` so far, oldest first.
    pub fn requests(&self, path: &str) -> Vec<Received> {
        lock(&self.shared.received)
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Requests received on `path`, answered or not.
    pub fn hits(&self, path: &str) -> usize {
        lock(&self.shared.hits).get(path).copied().unwrap_or(0)
    }

    /// Bytes of [`Reply::huge`] bodies produced so far, to show a client stopped early.
    pub fn streamed_bytes(&self) -> u64 {
        self.shared.streamed.load(Ordering::SeqCst)
    }
}

impl Drop for VendorServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A URL on 127.0.0.1 where nothing listens: the port was just bound and released.
pub fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    drop(listener);
    format!("http://{addr}")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A test that panicked while holding the lock must not hide the server from others.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    *lock(&shared.hits).entry(path.clone()).or_default() += 1;
    let received = Received {
        method: method.to_string(),
        path: path.clone(),
        query: url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
        headers,
        body: body.to_vec(),
    };
    lock(&shared.received).push(received.clone());
    let handler = lock(&shared.handlers).get(&path).cloned();
    let reply = match handler {
        Some(handler) => Some(handler(&received)),
        None => lock(&shared.replies).get(&path).cloned(),
    };
    let Some(reply) = reply else {
        return (StatusCode::NOT_FOUND, format!("no reply set for {path}")).into_response();
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let body = match reply.body {
        ReplyBody::Bytes(bytes) => Body::from(bytes),
        ReplyBody::Hang => std::future::pending().await,
        ReplyBody::Huge(total) => huge_body(total, shared.clone()),
        ReplyBody::Truncated(partial) => {
            let first = futures::stream::iter([Ok(Bytes::from(partial))]);
            // The pause lets the head and the first part reach the client before the
            // connection breaks, as when a vendor's server dies mid-answer.
            let failure = futures::stream::once(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(std::io::Error::other("the vendor broke off mid-body"))
            });
            Body::from_stream(futures::StreamExt::chain(first, failure))
        }
        ReplyBody::Stall(partial) => {
            let first = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from(partial))]);
            Body::from_stream(futures::StreamExt::chain(first, futures::stream::pending()))
        }
    };
    let mut response = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    response.body(body).unwrap_or_else(|e| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("bad reply for {path}: {e}"),
        )
            .into_response()
    })
}

fn huge_body(total: u64, shared: Arc<Shared>) -> Body {
    let chunk = Bytes::from(vec![b' '; CHUNK_BYTES]);
    let stream = futures::stream::unfold(total, move |left| {
        let chunk = chunk.clone();
        let shared = shared.clone();
        async move {
            if left == 0 {
                return None;
            }
            let n = left.min(CHUNK_BYTES as u64);
            shared.streamed.fetch_add(n, Ordering::SeqCst);
            Some((Ok::<_, std::io::Error>(chunk.slice(..n as usize)), left - n))
        }
    });
    Body::from_stream(stream)
}
