//! A rolling-window request limit, kept on this side so Segment never has to say 429.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// At most `capacity` requests in any `period`. Time is passed in, so tests can walk
/// it forward without waiting.
pub(super) struct RateLimiter {
    capacity: usize,
    period: Duration,
    /// When each request of the last `period` went out, oldest first.
    sent: VecDeque<Instant>,
    /// Set by a 429: nothing goes out before this.
    paused_until: Option<Instant>,
}

impl RateLimiter {
    pub(super) fn new(capacity: usize, period: Duration) -> RateLimiter {
        RateLimiter {
            capacity,
            period,
            sent: VecDeque::with_capacity(capacity),
            paused_until: None,
        }
    }

    /// Take a place for a request at `now`, or say how long until one frees up.
    pub(super) fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        if let Some(until) = self.paused_until {
            if now < until {
                return Err(until - now);
            }
            self.paused_until = None;
        }
        while self
            .sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.period)
        {
            self.sent.pop_front();
        }
        if self.sent.len() >= self.capacity {
            let oldest = self.sent.front().copied().unwrap_or(now);
            return Err(self
                .period
                .saturating_sub(now.saturating_duration_since(oldest)));
        }
        self.sent.push_back(now);
        Ok(())
    }

    /// Send nothing before `until`, as the vendor asked.
    pub(super) fn pause_until(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn sixty_a_minute_then_waits_for_the_oldest_to_age_out() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(60, MINUTE);
        for i in 0..60 {
            assert_eq!(
                limiter.try_acquire(start + Duration::from_millis(i * 100)),
                Ok(())
            );
        }
        let at = start + Duration::from_secs(10);
        assert_eq!(limiter.try_acquire(at), Err(Duration::from_secs(50)));
        // The first request ages out a minute after it went out: one place frees up.
        assert_eq!(limiter.try_acquire(start + MINUTE), Ok(()));
        assert_eq!(
            limiter.try_acquire(start + MINUTE),
            Err(Duration::from_millis(100))
        );
        assert_eq!(
            limiter.try_acquire(start + MINUTE + Duration::from_millis(100)),
            Ok(())
        );
    }

    #[test]
    fn a_rolling_minute_never_holds_more_than_the_capacity() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(60, MINUTE);
        let mut sent = Vec::new();
        // Ask every 250 ms for five minutes.
        for i in 0..1200 {
            let at = start + Duration::from_millis(i * 250);
            if limiter.try_acquire(at).is_ok() {
                sent.push(at);
            }
        }
        for (i, t) in sent.iter().enumerate() {
            let in_window = sent[i..].iter().take_while(|s| **s - *t < MINUTE).count();
            assert!(in_window <= 60, "{in_window} requests within a minute");
        }
        assert_eq!(sent.len(), 300);
    }

    #[test]
    fn a_pause_holds_everything_back_until_it_ends() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(60, MINUTE);
        limiter.pause_until(start + Duration::from_secs(30));
        limiter.pause_until(start + Duration::from_secs(5));
        assert_eq!(
            limiter.try_acquire(start + Duration::from_secs(10)),
            Err(Duration::from_secs(20))
        );
        assert_eq!(limiter.try_acquire(start + Duration::from_secs(30)), Ok(()));
    }
}
