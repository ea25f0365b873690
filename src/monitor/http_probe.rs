//! Our own HTTP check of an endpoint the user depends on, independent of what the
//! vendor says.
//!
//! The answer is the status and the time to the response head; the body is never
//! read, so a large body neither slows the probe nor fails it.
//!
//! A probe exists to notice that an endpoint does not answer, so a failure to get an
//! answer is usually the reading itself, not a monitor problem:
//!
//! - **Down** (`Ok`, major outage, the reason in the summary): the connection is
//!   refused or reset, the request times out, or the TLS handshake fails (an expired
//!   or wrong certificate breaks every client of the endpoint, not just this one).
//! - **Cannot tell** (`Err`, so unknown): the name does not resolve, or the network or
//!   host is unreachable. That is what a laptop without a network looks like, and
//!   reporting those as `Err` is what lets the engine's offline guard (every monitor
//!   failed at the network level) say "offline" instead of opening an incident. A bad
//!   URL, a redirect loop and other failures of the check itself are also `Err`.
//!
//! A status outside `expect_status` (any 2xx when it is empty) is a major outage; an
//! expected status slower than `latency_limit_ms` is degraded.

use super::{CheckError, Monitor, Reading};
use crate::config::HttpProbeConfig;
use crate::health::Health;
use crate::http::{is_local_network_failure, Fetched, HttpClient};
use async_trait::async_trait;
use std::time::Duration;

pub struct HttpProbe {
    id: String,
    cfg: HttpProbeConfig,
    timeout: Duration,
}

impl HttpProbe {
    pub fn new(id: &str, cfg: HttpProbeConfig, timeout: Duration) -> HttpProbe {
        HttpProbe {
            id: id.to_owned(),
            cfg,
            timeout,
        }
    }
}

#[async_trait]
impl Monitor for HttpProbe {
    fn id(&self) -> &str {
        &self.id
    }

    async fn check(&self, http: &HttpClient) -> Result<Reading, CheckError> {
        let method = reqwest::Method::from_bytes(self.cfg.method.as_bytes()).map_err(|_| {
            CheckError::Other {
                detail: format!("`{}` is not an HTTP method", self.cfg.method),
            }
        })?;
        match http.fetch_head(method, &self.cfg.url, self.timeout).await {
            Ok(answer) => Ok(judge(&self.cfg, &answer)),
            Err(failure) => no_answer(failure),
        }
    }
}

/// The reading for an endpoint that answered.
fn judge(cfg: &HttpProbeConfig, answer: &Fetched) -> Reading {
    let expected = if cfg.expect_status.is_empty() {
        (200..300).contains(&answer.status)
    } else {
        cfg.expect_status.contains(&answer.status)
    };
    let took = format_duration(answer.elapsed);
    let (health, summary) = if !expected {
        (
            Health::MajorOutage,
            format!(
                "HTTP {} (expected {})",
                answer.status,
                expected_statuses(&cfg.expect_status)
            ),
        )
    } else {
        match cfg.latency_limit_ms.map(Duration::from_millis) {
            Some(limit) if answer.elapsed > limit => (
                Health::Degraded,
                format!("answered in {took}, limit {}", format_duration(limit)),
            ),
            _ => (
                Health::Operational,
                format!("HTTP {} in {took}", answer.status),
            ),
        }
    };
    Reading {
        health,
        summary,
        components: Vec::new(),
        vendor_incidents: Vec::new(),
        volume: None,
    }
}

/// Whether a failure to get an answer means the endpoint is down; see the module doc.
fn no_answer(failure: CheckError) -> Result<Reading, CheckError> {
    let down = match &failure {
        CheckError::Timeout { .. } | CheckError::Tls { .. } => true,
        CheckError::Connect { .. } => !is_local_network_failure(&failure),
        _ => false,
    };
    if !down {
        return Err(failure);
    }
    Ok(Reading {
        health: Health::MajorOutage,
        summary: format!("no answer: {failure}"),
        components: Vec::new(),
        vendor_incidents: Vec::new(),
        volume: None,
    })
}

fn expected_statuses(expect: &[u16]) -> String {
    match expect {
        [] => "2xx".to_owned(),
        [only] => only.to_string(),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(u16::to_string).collect();
            format!("{} or {last}", init.join(", "))
        }
    }
}

/// "850 ms", "2.4 s", "2 s": what a person reads in a menu.
fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        let tenths = (ms + 50) / 100;
        if tenths.is_multiple_of(10) {
            format!("{} s", tenths / 10)
        } else {
            format!("{}.{} s", tenths / 10, tenths % 10)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn cfg(expect_status: &[u16], latency_limit_ms: Option<u64>) -> HttpProbeConfig {
        HttpProbeConfig {
            url: "http://127.0.0.1:9/".into(),
            method: "GET".into(),
            expect_status: expect_status.to_vec(),
            latency_limit_ms,
        }
    }

    fn answer(status: u16, elapsed_ms: u64) -> Fetched {
        Fetched {
            status,
            headers: HeaderMap::new(),
            body: Vec::new(),
            elapsed: Duration::from_millis(elapsed_ms),
        }
    }

    #[test]
    fn any_2xx_is_up_when_no_status_is_expected() {
        let r = judge(&cfg(&[], None), &answer(204, 120));
        assert_eq!(r.health, Health::Operational);
        assert_eq!(r.summary, "HTTP 204 in 120 ms");
        assert_eq!(
            judge(&cfg(&[], None), &answer(301, 5)).health,
            Health::MajorOutage
        );
    }

    #[test]
    fn an_unexpected_status_is_down() {
        let r = judge(&cfg(&[], None), &answer(503, 40));
        assert_eq!(r.health, Health::MajorOutage);
        assert_eq!(r.summary, "HTTP 503 (expected 2xx)");
        let r = judge(&cfg(&[200], None), &answer(204, 40));
        assert_eq!(r.summary, "HTTP 204 (expected 200)");
        let r = judge(&cfg(&[200, 204, 401], None), &answer(500, 40));
        assert_eq!(r.summary, "HTTP 500 (expected 200, 204 or 401)");
    }

    #[test]
    fn an_expected_non_2xx_is_up() {
        assert_eq!(
            judge(&cfg(&[401], None), &answer(401, 40)).health,
            Health::Operational
        );
    }

    #[test]
    fn slow_answers_are_degraded() {
        let r = judge(&cfg(&[], Some(2000)), &answer(200, 2400));
        assert_eq!(r.health, Health::Degraded);
        assert_eq!(r.summary, "answered in 2.4 s, limit 2 s");
        assert_eq!(
            judge(&cfg(&[], Some(2000)), &answer(200, 2000)).health,
            Health::Operational
        );
        let r = judge(&cfg(&[], Some(2000)), &answer(500, 9000));
        assert_eq!(
            r.health,
            Health::MajorOutage,
            "a wrong status is worse than slowness"
        );
    }

    #[test]
    fn refused_timed_out_and_bad_tls_are_down_with_the_reason() {
        for failure in [
            CheckError::Connect {
                detail: "connection refused".into(),
            },
            CheckError::Timeout { after_ms: 300 },
            CheckError::Tls {
                detail: "invalid peer certificate: Expired".into(),
            },
        ] {
            let reason = failure.to_string();
            let r = no_answer(failure).expect("a reading");
            assert_eq!(r.health, Health::MajorOutage);
            assert_eq!(r.summary, format!("no answer: {reason}"));
        }
    }

    #[test]
    fn an_unreachable_network_or_a_failed_lookup_is_unknown() {
        for failure in [
            CheckError::Dns {
                detail: "failed to lookup address information".into(),
            },
            CheckError::Connect {
                detail: "network unreachable".into(),
            },
            CheckError::Connect {
                detail: "host unreachable".into(),
            },
            CheckError::Other {
                detail: "more than 5 redirects".into(),
            },
        ] {
            assert_eq!(no_answer(failure.clone()), Err(failure));
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(Duration::from_millis(0)), "0 ms");
        assert_eq!(format_duration(Duration::from_millis(999)), "999 ms");
        assert_eq!(format_duration(Duration::from_millis(1000)), "1 s");
        assert_eq!(format_duration(Duration::from_millis(2440)), "2.4 s");
        assert_eq!(format_duration(Duration::from_millis(2960)), "3 s");
    }
}
