//! The volume detector: from event counts per bucket to alerts, one per episode.
//!
//! Each event type, and all of them pooled, is a stream with a seasonal baseline
//! (hour-of-week profile × slowly adapting level, negative-binomial noise). One-sided
//! tests accumulate evidence of a drop: silence (per event type and pooled), a count
//! CUSUM for a fall to 40% (less what an ordinary slow spell could explain), each
//! event type's rate against the others', and each funnel step's against the step
//! before it. Thresholds come from a false-alarm budget, so a tiny expectation at
//! night needs a long silence before anyone is woken, and a busy hour needs one
//! bucket. Surges (campaigns) pause learning instead of raising the baseline (a surge
//! of all events together pauses every event type's), and a stream's baseline is
//! frozen while it is in an episode. A stream that had no empty bucket for a day is
//! watched for silence even while its profile is still learning (see `floor`).
//!
//! Pure and synchronous: the engine, `flatline replay` and the benchmark all run
//! this same code. Times are Unix seconds of bucket starts.

mod baseline;
mod evidence;
mod floor;
mod shares;
mod stream;
#[cfg(test)]
mod tests;

pub(crate) use baseline::median;
use baseline::median_of;
use serde::{Deserialize, Serialize};
use shares::Shares;
use stream::{Context, Seen, Stream, Test};

/// The name of the stream of all event types together.
pub const POOLED: &str = "*";

/// An event stream's name for people: as written, the pooled one in words.
pub fn event_name(event: &str) -> &str {
    if event == POOLED {
        "all events"
    } else {
        event
    }
}
/// An event type surging to this many times another's rise is not the same campaign.
const SURGE_APART: f64 = 2.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// No events at all where some were expected.
    Silence,
    /// Fewer events than expected, or a smaller share of all events.
    Drop,
    /// A funnel step fell against the step before it (checkouts go on, payments stop).
    FunnelBreak,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Silence => "silence",
            AlertKind::Drop => "drop",
            AlertKind::FunnelBreak => "funnel_break",
        }
    }
    /// For sentences: "Add to Cart went silent".
    pub fn verb(self) -> &'static str {
        match self {
            AlertKind::Silence => "went silent",
            AlertKind::Drop => "dropped",
            AlertKind::FunnelBreak => "fell against the funnel step before it",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertPhase {
    Opened,
    Closed,
}

/// An episode opening or closing. Each episode gives exactly one `Opened` and, if it
/// ends, one `Closed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The event type, or [`POOLED`].
    pub event: String,
    pub kind: AlertKind,
    pub phase: AlertPhase,
    /// Estimated onset: the start of the first bucket of the drop.
    pub start: i64,
    /// The end of the bucket whose data raised the alert.
    pub detected_at: i64,
    /// Estimated end (the start of the first bucket back to normal), when closed.
    pub end: Option<i64>,
    /// Events expected and seen from `start` to `end`, or so far.
    pub expected: f64,
    pub observed: f64,
}

/// One stream's latest bucket, for people: expected against observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamStatus {
    pub event: String,
    pub state: StreamState,
    /// Expected and observed count in the latest bucket.
    pub expected: f64,
    pub observed: f64,
    /// While learning, how much of the two learning weeks has been seen (0 to 1).
    pub learned: f64,
    /// Learning again: the stream had learnt its volume, then ran for days at many
    /// times what it had learnt (a stream coming online, a tracking change, or one
    /// too sparse for its buckets to learn from), and started over.
    #[serde(default)]
    pub relearning: bool,
    /// Learning again because its events are fewer than its buckets: too sparse for
    /// quarter-hour slots, it learns hourly ones. Hourly buckets suit it better still.
    #[serde(default)]
    pub too_sparse: bool,
    /// How long a complete silence would take to be alarmed at the current
    /// expectation; `None` when nothing is expected, and while learning unless the
    /// stream had no empty bucket for a day.
    pub silence_alert_after_secs: Option<f64>,
    /// While the stream is in an episode, how long it has flowed again, once the
    /// evidence that it is back is half way to closing the episode; `None` otherwise.
    pub back_for_secs: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamState {
    Learning,
    Ok,
    Silence,
    Drop,
    FunnelBreak,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DetectorOptions {
    pub step_secs: i64,
    /// Funnel steps in order; each is also judged as a share of the one before it.
    pub funnel: Vec<String>,
    /// The false-alarm budget: about one per stream in this many days.
    pub false_alarm_days: f64,
}

impl DetectorOptions {
    pub fn new(step_secs: i64) -> DetectorOptions {
        DetectorOptions {
            step_secs,
            funnel: Vec::new(),
            false_alarm_days: 30.0,
        }
    }
}

/// A bucket of all events together holding none where this many were due is a
/// silence at once. Chance empties such a bucket about once in e⁸ ≈ 3,000; the silence
/// test's own threshold (11.7 nats for a month of minutes) left a full outage at 7–12
/// events a minute unalarmed for a second minute. Over seeds 1–30 of the benchmark it
/// costs a medium shop's pooled stream about one false alarm in 60 days and adds no
/// alert after campaigns (docs/BENCHMARKS.md). Buckets of an hour or more, where the
/// silence test needs less than this, keep the test alone.
const ONE_BUCKET_SILENCE: f64 = 8.0;

/// Evidence thresholds, in nats.
#[derive(Debug, Clone)]
pub struct Thresholds {
    pub alarm: f64,
    pub silence: f64,
    /// The expected count (calibrated, see `Stream::calibration`) at which one empty
    /// bucket of all events together is a silence at once.
    pub one_bucket_silence: f64,
    pub recover: f64,
    pub surge: f64,
    pub max_surge_secs: i64,
}

impl Thresholds {
    /// A CUSUM with threshold h crosses it by chance about once in e^h buckets, and
    /// each stream runs three drop tests (count, share, funnel step; silence has its
    /// own threshold): h = ln(buckets in the budget × 3) plus a margin for the
    /// baseline's own error. Recovery gets the same reasoning with a budget of
    /// one premature "back to normal" per day of a lasting outage.
    fn new(options: &DetectorOptions) -> Thresholds {
        let step = options.step_secs as f64;
        let buckets = (options.false_alarm_days * 86_400.0 / step).max(2.0);
        let silence = buckets.ln() + 1.0;
        Thresholds {
            alarm: buckets.ln() + 3f64.ln() + 1.0,
            silence,
            // Where the silence test decides within one bucket at less, it is left
            // to it: the rule is for buckets too short for one to say enough.
            one_bucket_silence: if silence > ONE_BUCKET_SILENCE {
                ONE_BUCKET_SILENCE
            } else {
                f64::INFINITY
            },
            recover: (86_400.0 / step).max(1.0).ln() + 1.0,
            surge: 5.0,
            max_surge_secs: 2 * 86_400,
        }
    }
}

#[derive(Clone)]
pub struct Detector {
    step: i64,
    thresholds: Thresholds,
    events: Vec<String>,
    streams: Vec<Stream>,
    pooled: Stream,
    /// For each event stream, the index of the funnel step before it.
    previous_step: Vec<Option<usize>>,
    funnel: Vec<String>,
    shares: Shares,
    alerts: Vec<Alert>,
    counts: Vec<f64>,
    /// Scratch for the event types' surge ratios, sorted for their median.
    ratios: Vec<f64>,
}

impl Detector {
    pub fn new(options: DetectorOptions) -> Detector {
        assert!(options.step_secs > 0, "a bucket lasts at least a second");
        Detector {
            step: options.step_secs,
            thresholds: Thresholds::new(&options),
            events: Vec::new(),
            streams: Vec::new(),
            pooled: Stream::new(POOLED, options.step_secs),
            previous_step: Vec::new(),
            funnel: options.funnel,
            shares: Shares::new(options.step_secs),
            alerts: Vec::new(),
            counts: Vec::new(),
            ratios: Vec::new(),
        }
    }

    pub fn step_secs(&self) -> i64 {
        self.step
    }

    /// The index of an event type, registering it (it starts learning) on first sight.
    pub fn event(&mut self, name: &str) -> usize {
        if let Some(i) = self.events.iter().position(|e| e == name) {
            return i;
        }
        self.events.push(name.to_owned());
        self.streams.push(Stream::new(name, self.step));
        self.previous_step.push(None);
        self.shares.add_event();
        for (i, event) in self.events.iter().enumerate() {
            self.previous_step[i] = self
                .funnel
                .iter()
                .position(|f| f == event)
                .filter(|&p| p > 0)
                .and_then(|p| self.events.iter().position(|e| *e == self.funnel[p - 1]));
        }
        self.events.len() - 1
    }

    pub fn events(&self) -> &[String] {
        &self.events
    }

    /// Judge one complete bucket: `counts[i]` is event `i`'s count (missing trailing
    /// entries count zero). Buckets must come in increasing time; a skipped bucket is
    /// simply not judged.
    pub fn push(&mut self, start: i64, counts: &[f64]) -> &[Alert] {
        self.alerts.clear();
        self.counts.clear();
        self.counts.extend(
            (0..self.streams.len())
                .map(|i| counts.get(i).copied().filter(|c| *c > 0.0).unwrap_or(0.0)),
        );
        let total_x: f64 = self.counts.iter().sum();
        self.pooled.expect(start, total_x);
        for (stream, &x) in self.streams.iter_mut().zip(&self.counts) {
            stream.expect(start, x);
        }
        let ctx = Context {
            in_episodes: self
                .streams
                .iter()
                .filter(|s| s.last.in_episode)
                .map(|s| s.last.e)
                .sum(),
            ..Context::default()
        };
        let readable = |s: &Seen| !s.learning && !s.in_episode;
        // An event type's share is judged against the others, so they must all be read
        // as they are; its own episode does not stop it, for the share is also what
        // tells when it is back (a campaign lifts the count of an event type that
        // broke back to its usual number while its share stays down).
        let mut unreadable = self
            .streams
            .iter()
            .enumerate()
            .filter(|(_, s)| !readable(&s.last));
        let (first_unreadable, more_unreadable) = (unreadable.next(), unreadable.next());
        let only_unreadable = first_unreadable.map(|(i, _)| i);
        let shares_known =
            self.streams.len() >= 2 && self.shares.known() && more_unreadable.is_none();
        let pooled_learning = self.pooled.last.learning;
        // The rise of all events together while they surged, up to the last bucket.
        let shop_rise = self.pooled.surging().then_some(self.pooled.surge_ratio);
        let pooled_verdict = self
            .pooled
            .judge(start, self.step, &ctx, &self.thresholds, true);
        if pooled_learning && !self.pooled.baseline.learning() {
            for stream in &mut self.streams {
                stream.baseline.adopt_campaign_weeks(&self.pooled.baseline);
            }
        }
        match pooled_verdict {
            Some(Ok(_)) => {
                let episode = self.pooled.episode.as_ref().expect("just opened");
                self.alerts.push(opened(POOLED, episode));
            }
            Some(Err(end)) => {
                let episode = self.pooled.close().expect("was open");
                self.alerts.push(closed(POOLED, &episode, end));
                // The pooled alert spoke for the event types' episodes. Those still
                // down start afresh and raise their own alert once evidence says so;
                // carrying them over would alert on every type as traffic returns.
                for stream in &mut self.streams {
                    if stream.episode.as_ref().is_some_and(|e| e.covered) {
                        stream.close();
                    }
                }
            }
            None => {}
        }
        let pooled_silent = self.pooled.episode.is_some();
        let shop_surging = self.pooled.surging();
        if let Some(rise) = shop_rise.filter(|_| !shop_surging) {
            // An event type of a few events an hour takes an hour or more to tell
            // normal traffic from the campaign's, learning nothing meanwhile; the flow
            // of all events tells within minutes that the campaign is over. Not one
            // rising far beyond the shop's, though: that is its own (an event going
            // live).
            for stream in &mut self.streams {
                stream.end_slow_surge(SURGE_APART * rise, &self.thresholds);
            }
        }
        // Campaigns lift every event type alike and leave shares alone; one event type
        // surging far beyond the others' rise (double tracking, a new event going live)
        // would make them look like drops, so it is left out of what they are judged
        // against. Held against each event type's own rise instead, a campaign during
        // which one event type broke left that one judged against nothing.
        self.ratios.clear();
        self.ratios.extend(
            self.streams
                .iter()
                .map(|s| s.surge_ratio)
                .filter(|r| r.is_finite()),
        );
        let typical = typical_rise(&mut self.ratios);
        let apart = |s: &Stream| s.surge_ratio > SURGE_APART * typical;
        let all_in_line = !self.streams.iter().any(apart);
        // Each event type's count and expectation weighed by its noise, for the level
        // the event types confirm together. None from one learning, nor from one gone
        // silent or broken away from the rest (share, funnel): its counts say nothing
        // of the shop's day. One in a count drop still vouches for it: on a slow day,
        // the first event type to cross the line took its counts out of the level the
        // others were judged by, and they crossed it one after another.
        let weighed = |s: &Stream| {
            let vouches = s.episode.as_ref().is_none_or(|e| e.test == Test::Count);
            if !s.last.learning && vouches {
                s.last.weighed()
            } else {
                (0.0, 0.0)
            }
        };
        let level_totals = self.streams.iter().map(weighed).fold((0.0, 0.0), add_pairs);
        for i in 0..self.streams.len() {
            let share_readable = shares_known
                && !self.streams[i].last.learning
                && only_unreadable.is_none_or(|j| j == i);
            let out_of_line = |j: usize| j != i && apart(&self.streams[j]);
            let left_out: f64 = if all_in_line {
                0.0
            } else {
                (0..self.streams.len())
                    .filter(|&j| out_of_line(j))
                    .map(|j| self.counts[j])
                    .sum()
            };
            let rest = total_x - self.counts[i] - left_out;
            let previous = self.previous_step[i]
                .filter(|&p| {
                    readable(&self.streams[p].last) && !out_of_line(p) && self.shares.known()
                })
                .map(|p| (self.counts[p], self.shares.of_pair(i, p)));
            // The level the other event types confirm: a slow afternoon lowers them
            // all, a broken tag only one.
            let others = if all_in_line {
                let own = weighed(&self.streams[i]);
                (level_totals.0 - own.0, level_totals.1 - own.1)
            } else {
                (0..self.streams.len())
                    .filter(|&j| j != i && !out_of_line(j))
                    .map(|j| weighed(&self.streams[j]))
                    .fold((0.0, 0.0), add_pairs)
            };
            let ctx = Context {
                others,
                rest,
                share: share_readable.then(|| {
                    if all_in_line {
                        self.shares.of_all(i)
                    } else {
                        self.shares.of_all_but(i, out_of_line)
                    }
                }),
                previous,
                shop_surging,
                in_episodes: 0.0,
            };
            let verdict = self.streams[i].judge(start, self.step, &ctx, &self.thresholds, false);
            let stream = &mut self.streams[i];
            match verdict {
                Some(Ok(_)) => {
                    let episode = stream.episode.as_mut().expect("just opened");
                    episode.covered = pooled_silent;
                    if !pooled_silent {
                        self.alerts.push(opened(&stream.name, episode));
                    }
                }
                Some(Err(end)) => {
                    let episode = stream.close().expect("was open");
                    if !episode.covered {
                        self.alerts.push(closed(&stream.name, &episode, end));
                    }
                }
                None => {}
            }
        }
        // Shares are learnt from normal buckets only: a drop being detected must not
        // teach the test that judges it. A campaign's buckets teach the shares (they
        // follow the day's funnel) but not the noise around them (see `Shares::learn`).
        if self.pooled.episode.is_none() && self.streams.iter().all(|s| s.episode.is_none()) {
            let noise_too = !shop_surging;
            self.shares
                .learn(&self.counts, &self.previous_step, noise_too);
        }
        &self.alerts
    }

    /// Episodes open now (their `Opened` alerts with the sums so far), pooled last.
    pub fn open_episodes(&self) -> Vec<Alert> {
        self.streams
            .iter()
            .chain(std::iter::once(&self.pooled))
            .filter_map(|s| {
                s.episode
                    .as_ref()
                    .filter(|e| !e.covered)
                    .map(|e| opened(&s.name, e))
            })
            .collect()
    }

    /// Every stream's latest bucket, event types in registration order, pooled last.
    pub fn status(&self) -> Vec<StreamStatus> {
        self.streams
            .iter()
            .chain(std::iter::once(&self.pooled))
            .map(|s| StreamStatus {
                event: s.name.clone(),
                state: match &s.episode {
                    Some(e) => match e.test.kind() {
                        AlertKind::Silence => StreamState::Silence,
                        AlertKind::Drop => StreamState::Drop,
                        AlertKind::FunnelBreak => StreamState::FunnelBreak,
                    },
                    None if s.last.learning => StreamState::Learning,
                    None => StreamState::Ok,
                },
                expected: s.last.e,
                observed: s.last.x,
                learned: s.baseline.learned_fraction(),
                relearning: s.relearning,
                too_sparse: s.too_sparse,
                silence_alert_after_secs: s.silence_alert_after(self.step, &self.thresholds),
                back_for_secs: s.back_for(self.step, &self.thresholds),
            })
            .collect()
    }

    /// The start of the latest bucket judged.
    pub fn last_bucket(&self) -> Option<i64> {
        self.pooled.last_start
    }

    /// What each event type (in registration order) was expected to count in the
    /// latest bucket, or `None` while its baseline is still learning.
    pub fn expectations(&self) -> impl Iterator<Item = Option<Expectation>> + '_ {
        self.streams.iter().map(|s| {
            let Seen {
                e,
                phi,
                learning,
                owed,
                ..
            } = s.last;
            (!learning).then(|| Expectation::new(owed.unwrap_or(e), phi, owed.is_some()))
        })
    }

    /// Buckets before the latest whose expectation a share or funnel drop opened in the
    /// latest revises: the event type's index, the bucket's start and count, and what
    /// the others' flow implied it should have held. Stored over what
    /// [`Detector::expectations`] said then, they price the drop from its estimated
    /// start in the same terms as the rest of it.
    pub fn revisions(&self) -> impl Iterator<Item = (usize, i64, f64, Expectation)> + '_ {
        self.streams.iter().enumerate().flat_map(|(i, s)| {
            let phi = s.last.phi;
            s.revised
                .iter()
                .map(move |&(start, x, owed)| (i, start, x, Expectation::new(owed, phi, true)))
        })
    }

    /// What each stream's profile and level expect of the latest bucket, also while
    /// an open share or funnel drop owes what the other event types' flow implies
    /// instead; `None` while learning. A benchmark reads how far campaigns moved the
    /// profile from this: the amount owed moves with the drop being judged.
    pub fn profile_expectations(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        self.streams
            .iter()
            .map(|s| (!s.last.learning).then_some(s.last.e))
    }
}

/// An expected count and the standard deviation of the noise around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expectation {
    pub expected: f64,
    pub sd: f64,
    /// What the other event types' flow implied at the usual share, during a share or
    /// funnel drop, rather than the profile's expectation: already what would have
    /// arrived, so it is priced as it is.
    pub implied: bool,
}

impl Expectation {
    /// An expected count with negative-binomial noise of overdispersion `phi`.
    fn new(expected: f64, phi: f64, implied: bool) -> Expectation {
        Expectation {
            expected,
            sd: (expected + phi * expected * expected).sqrt(),
            implied,
        }
    }
}

/// The rise the event types share, from their finite surge ratios (events where none
/// were expected rise without bound): the median, or with two the lower, since two
/// cannot say which of them is the odd one.
fn typical_rise(ratios: &mut [f64]) -> f64 {
    if ratios.len() <= 2 {
        ratios.iter().copied().fold(f64::INFINITY, f64::min)
    } else {
        median_of(ratios)
    }
}

/// Counts and expectations summed side by side.
fn add_pairs(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 + b.0, a.1 + b.1)
}

fn opened(event: &str, e: &stream::Episode) -> Alert {
    Alert {
        event: event.to_owned(),
        kind: e.test.kind(),
        phase: AlertPhase::Opened,
        start: e.start,
        detected_at: e.detected_at,
        end: None,
        expected: e.expected,
        observed: e.observed,
    }
}

fn closed(event: &str, e: &stream::Episode, end: i64) -> Alert {
    Alert {
        end: Some(end),
        phase: AlertPhase::Closed,
        ..opened(event, e)
    }
}
