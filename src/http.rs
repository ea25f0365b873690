//! The one HTTP client every monitor shares.
//!
//! Vendors are untrusted: a status page can answer with a captive portal, a 20 MB
//! body, or not at all. So every request has a deadline that covers the body too,
//! bodies are read chunk by chunk up to a cap, and every transport failure becomes a
//! [`CheckError`] that says in plain words what went wrong.

use crate::monitor::CheckError;
use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use std::error::Error as StdError;
use std::io;
use std::time::{Duration, Instant};

/// Redirects beyond this are a misconfiguration or a loop, not a status page.
const MAX_REDIRECTS: usize = 5;

/// A shared, cheaply clonable client with a body cap.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    max_body_bytes: u64,
}

/// Credentials for a request. Both forms mark the header sensitive, so it never
/// shows up in debug output.
#[derive(Clone)]
pub enum Auth {
    Bearer(String),
    /// A user name and password; Segment's Tracking API takes the write key as the
    /// user name and an empty password.
    Basic {
        user: String,
        password: String,
    },
}

/// What a request carries beyond its method and URL.
#[derive(Clone, Default)]
pub struct RequestParts {
    pub auth: Option<Auth>,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
}

/// A response read in full (up to the cap).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    pub headers: HeaderMap,
    /// Empty when only the head was asked for ([`HttpClient::fetch_head`]).
    pub body: Vec<u8>,
    /// From sending the request to the last byte read, or to the head for
    /// [`HttpClient::fetch_head`].
    pub elapsed: Duration,
}

impl Fetched {
    /// The `Content-Type` header, when it is readable text.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }
}

impl HttpClient {
    pub fn new(max_body_bytes: u64) -> Result<HttpClient, CheckError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("Flatline/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .build()
            .map_err(|e| CheckError::Other {
                detail: format!("cannot set up the HTTP client: {}", error_chain(&e)),
            })?;
        Ok(HttpClient {
            client,
            max_body_bytes,
        })
    }

    /// Send a request and read the whole body, all within `timeout`.
    pub async fn fetch(
        &self,
        method: Method,
        url: &str,
        timeout: Duration,
    ) -> Result<Fetched, CheckError> {
        self.fetch_with(method, url, RequestParts::default(), timeout)
            .await
    }

    /// Like [`HttpClient::fetch`], with credentials, headers or a body.
    pub async fn fetch_with(
        &self,
        method: Method,
        url: &str,
        parts: RequestParts,
        timeout: Duration,
    ) -> Result<Fetched, CheckError> {
        with_deadline(timeout, self.exchange(method, url, parts, true)).await
    }

    /// Send a request and stop at the response head: for probes, whose answer is the
    /// status and the time to first byte, and which must not care how big a body is.
    pub async fn fetch_head(
        &self,
        method: Method,
        url: &str,
        timeout: Duration,
    ) -> Result<Fetched, CheckError> {
        with_deadline(
            timeout,
            self.exchange(method, url, RequestParts::default(), false),
        )
        .await
    }

    async fn exchange(
        &self,
        method: Method,
        url: &str,
        parts: RequestParts,
        read_body: bool,
    ) -> Result<Fetched, CheckError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| CheckError::Other {
            detail: format!("`{url}` is not a usable URL: {e}"),
        })?;
        let mut request = self.client.request(method, parsed).headers(parts.headers);
        request = match parts.auth {
            Some(Auth::Bearer(token)) => request.bearer_auth(token),
            Some(Auth::Basic { user, password }) => request.basic_auth(user, Some(password)),
            None => request,
        };
        if let Some(body) = parts.body {
            request = request.body(body);
        }
        let started = Instant::now();
        let mut response = request.send().await.map_err(|e| classify(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        if read_body {
            if response
                .content_length()
                .is_some_and(|len| len > self.max_body_bytes)
            {
                return Err(self.too_large());
            }
            while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
                if body.len() as u64 + chunk.len() as u64 > self.max_body_bytes {
                    return Err(self.too_large());
                }
                body.extend_from_slice(&chunk);
            }
        }
        Ok(Fetched {
            status,
            headers,
            body,
            elapsed: started.elapsed(),
        })
    }

    fn too_large(&self) -> CheckError {
        CheckError::TooLarge {
            limit_bytes: self.max_body_bytes,
        }
    }
}

async fn with_deadline(
    timeout: Duration,
    exchange: impl std::future::Future<Output = Result<Fetched, CheckError>>,
) -> Result<Fetched, CheckError> {
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| {
            Err(CheckError::Timeout {
                after_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            })
        })
}

/// Any 2xx passes; 429 says when to come back; anything else is an HTTP error.
pub fn require_success(fetched: &Fetched) -> Result<(), CheckError> {
    let status = fetched.status;
    if (200..300).contains(&status) {
        return Ok(());
    }
    if status == 429 {
        return Err(CheckError::RateLimited {
            retry_after_secs: fetched
                .headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok()),
        });
    }
    Err(CheckError::HttpStatus {
        status,
        reason: reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map(str::to_owned),
    })
}

/// Turn a reqwest failure into a reason a person can act on, by looking at what the
/// innermost layers (resolver, socket, TLS) actually said.
fn classify(err: &reqwest::Error) -> CheckError {
    if err.is_redirect() {
        return CheckError::Other {
            detail: format!("more than {MAX_REDIRECTS} redirects"),
        };
    }
    // hyper-util labels the resolver's and the socket's failures with these words.
    let labelled = |label: &str| layers(err).any(|e| e.to_string() == label);
    if labelled("dns error") {
        return CheckError::Dns {
            detail: innermost_message(err),
        };
    }
    let io_kind = layers(err).find_map(|e| e.downcast_ref::<io::Error>().map(io::Error::kind));
    let reason = io_kind.and_then(socket_reason);
    // Past the TCP connect, an https connect failure that is not a socket failure is
    // the TLS handshake: a bad certificate, a protocol mismatch, a handshake cut short.
    // The error's URL is the one that failed, after any redirect.
    let https = err.url().is_some_and(|u| u.scheme() == "https");
    let in_handshake =
        err.is_connect() && https && !labelled("tcp connect error") && !labelled("tcp open error");
    if in_handshake && (reason.is_none() || io_kind == Some(io::ErrorKind::UnexpectedEof)) {
        return CheckError::Tls {
            detail: innermost_message(err),
        };
    }
    let reason = reason.map_or_else(|| innermost_message(err), str::to_owned);
    let detail = if err.is_body() || err.is_decode() {
        format!("{reason}, before the whole response arrived")
    } else {
        reason
    };
    CheckError::Connect { detail }
}

/// An error and its sources, outermost first.
fn layers<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |e: &&'a (dyn StdError + 'static)| (*e).source())
}

/// Socket failures that describe this machine's side of the network (no route, no
/// interface) rather than the far end refusing.
const LOCAL_NETWORK_REASONS: [&str; 4] = [
    "network unreachable",
    "host unreachable",
    "network down",
    "address not available",
];

fn socket_reason(kind: io::ErrorKind) -> Option<&'static str> {
    Some(match kind {
        io::ErrorKind::NetworkUnreachable => LOCAL_NETWORK_REASONS[0],
        io::ErrorKind::HostUnreachable => LOCAL_NETWORK_REASONS[1],
        io::ErrorKind::NetworkDown => LOCAL_NETWORK_REASONS[2],
        io::ErrorKind::AddrNotAvailable => LOCAL_NETWORK_REASONS[3],
        io::ErrorKind::ConnectionRefused => "connection refused",
        io::ErrorKind::ConnectionReset => "connection reset by the server",
        io::ErrorKind::ConnectionAborted => "connection aborted",
        io::ErrorKind::TimedOut => "connection timed out",
        io::ErrorKind::BrokenPipe | io::ErrorKind::UnexpectedEof => {
            "connection closed by the server"
        }
        _ => return None,
    })
}

/// A connect failure that says this machine has no usable network, as opposed to an
/// endpoint that refused or vanished.
pub fn is_local_network_failure(err: &CheckError) -> bool {
    match err {
        CheckError::Dns { .. } => true,
        CheckError::Connect { detail } => LOCAL_NETWORK_REASONS.iter().any(|r| detail.contains(r)),
        _ => false,
    }
}

/// The message of the deepest error: the resolver's or the TLS library's own words.
fn innermost_message(err: &(dyn StdError + 'static)) -> String {
    layers(err)
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Every layer's message, outermost first, for failures no rule above recognises.
fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for message in layers(err).map(ToString::to_string) {
        // Layers often repeat their source's message in their own.
        if !parts.iter().any(|p| p.contains(&message)) {
            parts.push(message);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn fetched(status: u16, headers: &[(&'static str, &'static str)]) -> Fetched {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_static(v));
        }
        Fetched {
            status,
            headers: map,
            body: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn success_is_any_2xx() {
        assert_eq!(require_success(&fetched(200, &[])), Ok(()));
        assert_eq!(require_success(&fetched(204, &[])), Ok(()));
    }

    #[test]
    fn rate_limit_reads_retry_after_seconds() {
        let err = require_success(&fetched(429, &[("retry-after", " 120 ")])).unwrap_err();
        assert_eq!(
            err,
            CheckError::RateLimited {
                retry_after_secs: Some(120)
            }
        );
        assert_eq!(
            err.to_string(),
            "rate limited (HTTP 429), retry after 120 s"
        );
    }

    #[test]
    fn rate_limit_with_an_http_date_has_no_seconds() {
        let err = require_success(&fetched(
            429,
            &[("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT")],
        ))
        .unwrap_err();
        assert_eq!(
            err,
            CheckError::RateLimited {
                retry_after_secs: None
            }
        );
    }

    #[test]
    fn other_statuses_carry_their_reason() {
        let err = require_success(&fetched(503, &[])).unwrap_err();
        assert_eq!(err.to_string(), "HTTP 503 Service Unavailable");
        let err = require_success(&fetched(302, &[])).unwrap_err();
        assert_eq!(err.to_string(), "HTTP 302 Found");
        let err = require_success(&fetched(599, &[])).unwrap_err();
        assert_eq!(
            err,
            CheckError::HttpStatus {
                status: 599,
                reason: None
            }
        );
    }

    #[derive(Debug, thiserror::Error)]
    #[error("request failed: {0}")]
    struct Outer(#[source] Middle);
    #[derive(Debug, thiserror::Error)]
    #[error("tcp connect error")]
    struct Middle(#[source] io::Error);

    #[test]
    fn chains_read_outermost_first_without_repeats() {
        let err = Outer(Middle(io::Error::other("boom")));
        assert_eq!(error_chain(&err), "request failed: tcp connect error: boom");
        assert_eq!(innermost_message(&err), "boom");
    }

    #[tokio::test]
    async fn a_bad_url_is_a_clear_error() {
        let client = HttpClient::new(1024).unwrap();
        let err = client
            .fetch(Method::GET, "not a url", Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("`not a url` is not a usable URL"),
            "{err}"
        );
    }
}
