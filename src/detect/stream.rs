//! One stream (an event type, or all events pooled): its baseline, the tests that
//! watch it, and the episode it is in.

use super::baseline::{Baseline, Position};
use super::evidence::{drop_llr, level_doubt, share_llr, silence_evidence, Cusum};
use super::floor::Floor;
use super::shares::Share;
use super::{AlertKind, Thresholds};
use std::collections::VecDeque;

/// The fall the share and funnel tests look for: half the usual rate against the rest.
pub const RHO: f64 = 0.5;
/// The fall the count test looks for. Below a half, so that the slow wander of real
/// traffic (a day 20% under its usual level) drifts the test down rather than
/// sideways, while a halving still adds evidence every bucket.
const COUNT_RHO: f64 = 0.4;
/// How far, in log terms, the level all event types share may run under what the
/// profile expects without anything being wrong (see [`level_doubt`]). Real shops
/// wander more than this (a slow day is 10% under); a wider spread forgives them
/// better but makes a halving of a stream of 10–30 events a minute take longer than
/// 15 minutes to alarm.
const LEVEL_SIGMA: f64 = 0.03;
/// Bounds on an episode's depth: a silence is judged against a tenth of normal, so
/// one stray event does not end it; a shallow drop against four fifths.
const MIN_DEPTH: f64 = 0.1;
const MAX_DEPTH: f64 = 0.8;
/// "Back to normal" must also beat "still down at the rate that the buckets arguing
/// for recovery show", up to a cap. A silence that turns into a trickle at a third of
/// normal is then judged against a third, not against the tenth it opened at, which
/// the trickle's busier minutes beat by chance: the episode closed, and the drop test
/// opened a second one for the same outage. A drop is capped at a half, so that a
/// halving whose first buckets looked deeper is not called over by its busier minutes.
/// The caps stay well short of normal, since normal traffic must still close an
/// episode in good time: telling normal from half takes about 43 expected events, and
/// from a third about 16: with a silence capped at a half, a stream of one event a
/// minute stayed "down" for most of an hour after it was back (judged against four
/// fifths, it took hours, and the stream was blind to a real drop meanwhile).
const SILENCE_RECOVERY_DEPTH_CAP: f64 = 0.3;
const DROP_RECOVERY_DEPTH_CAP: f64 = 0.5;
/// The rise that marks a campaign (or any surge) and pauses learning.
const SURGE_RHO: f64 = 1.5;
/// A surge this many times what the profile expects, for days, is a stream that the
/// profile does not describe at all.
const NEW_STREAM_RATIO: f64 = 10.0;
/// A surge test that needs more buckets than this to see traffic double holds its
/// buckets back from learning while it is pending (see `Stream::surge_is_slow`).
const SLOW_SURGE_BUCKETS: f64 = 3.0;
/// The longest a pending test holds buckets back from learning; older ones are learnt.
const MAX_DEFERRED_SECS: i64 = 4 * 3600;
/// The longest run of buckets whose share and funnel expectations an episode revises
/// when it opens; slower drops are priced on the profile's before that.
const MAX_REVISED_SECS: i64 = 86_400;
/// What flowed against the expectation is weighed over about a week.
const FLOW_HALF_LIFE_SECS: f64 = 7.0 * 86_400.0;
/// Fewer events expected than this in that week say nothing about the expectation.
const MIN_FLOW_EXPECTED: f64 = 100.0;
/// Beyond these the expectation is wrong, not a little low: learning will mend it.
const FLOW_BOUNDS: (f64, f64) = (0.5, 2.0);

/// Which test opened an episode; it also decides when the episode is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    Silence,
    Count,
    Share,
    Funnel,
}

impl Test {
    pub fn kind(self) -> AlertKind {
        match self {
            Test::Silence => AlertKind::Silence,
            Test::Count | Test::Share => AlertKind::Drop,
            Test::Funnel => AlertKind::FunnelBreak,
        }
    }

    fn recovery_depth_cap(self) -> f64 {
        match self {
            Test::Silence => SILENCE_RECOVERY_DEPTH_CAP,
            Test::Count | Test::Share | Test::Funnel => DROP_RECOVERY_DEPTH_CAP,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Episode {
    pub test: Test,
    pub start: i64,
    pub detected_at: i64,
    pub expected: f64,
    pub observed: f64,
    /// The fall seen when the episode opened (observed / expected, bounded), which
    /// recovery is judged against: "back to normal" must beat "still this low". The
    /// recovery run's own rate replaces it where higher, up to a cap (see
    /// [`SILENCE_RECOVERY_DEPTH_CAP`]).
    pub depth: f64,
    /// Evidence that the stream is back; its run start is the estimated end.
    pub recovery: Cusum,
    /// Opened while the pooled stream was silent: the pooled alert speaks for it.
    pub covered: bool,
}

/// What a stream saw in one bucket, for tests that compare streams.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen {
    /// The stream's own profile slot for the bucket: one too sparse for quarter hours
    /// keeps hourly ones.
    pub at: Position,
    pub x: f64,
    /// The profile's expectation, or the floor where that is higher.
    pub e: f64,
    /// What the last day guarantees (see [`Floor`]); the only expectation trusted while
    /// learning.
    pub floor: f64,
    /// What a silence is judged against: the floor while learning, and for all events
    /// pooled, less what the event types already in an episode were expected to count.
    pub silence_e: f64,
    pub phi: f64,
    pub learning: bool,
    pub in_episode: bool,
    /// During a share or funnel episode, what the others' flow implies the bucket
    /// should have held (see [`owed`]); what an outage is then priced against.
    pub owed: Option<f64>,
}

impl Seen {
    /// The count and the expectation weighed by the noise around them: overdispersed
    /// counts pin a level down less than Poisson ones.
    pub fn weighed(&self) -> (f64, f64) {
        let w = 1.0 / (1.0 + self.phi * self.e);
        (w * self.x, w * self.e)
    }
}

#[derive(Debug, Clone)]
pub struct Stream {
    pub name: String,
    pub baseline: Baseline,
    silence: Cusum,
    count: Cusum,
    share: Cusum,
    funnel: Cusum,
    surge: Cusum,
    /// While a surge lasts, the evidence that traffic is back to what the profile
    /// expects rather than at the surge's level.
    calm: f64,
    /// Observed over expected since the surge the latest bucket was part of began;
    /// 1 outside surges.
    pub surge_ratio: f64,
    floor: Floor,
    /// Over the count test's current run, the events and the expectation of this
    /// stream and the others together, weighed by noise (see [`Seen::weighed`]).
    count_level: (f64, f64),
    /// Buckets held back while a test was pending (see [`Stream::pending`]), oldest
    /// first: learnt once the tests let go without an alarm, dropped if one fires.
    deferred: VecDeque<(Position, f64, f64)>,
    pub episode: Option<Episode>,
    /// The buckets of the share and funnel tests' current runs: start, count and what
    /// each test says the bucket should have held (see [`owed`]), share first.
    owed_run: VecDeque<(i64, f64, [Option<f64>; 2])>,
    /// Set in the bucket where a share or funnel episode opens: its buckets before
    /// this one, with what they should have held in the test's terms rather than the
    /// profile's, so that they are stored and priced as the rest of the episode is.
    pub revised: Vec<(i64, f64, f64)>,
    /// Learning again after its traffic stopped fitting what it had learnt (a stream
    /// coming online, or one too sparse for its buckets); cleared once it has learnt.
    pub relearning: bool,
    /// Learning again with fewer events than buckets while it surged: quarter-hour
    /// slots this sparse are learnt as nothing where a week happened to have none, and
    /// every later event is a surge again. It learns again in hourly slots.
    pub too_sparse: bool,
    /// All events together: decaying sums of the counts and the expectations of the
    /// buckets learnt as normal (see [`Stream::calibration`]).
    flow: (f64, f64),
    flow_decay: f64,
    pub last: Seen,
    pub last_start: Option<i64>,
}

/// How a stream's bucket relates to the others, for the count, share and funnel tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// The other event types' counts and expectations in this bucket, each weighed
    /// by its noise, for the level they confirm (see `Stream::count_reaches`).
    pub others: (f64, f64),
    /// Events of the other event types that this one's share is judged against.
    pub rest: f64,
    /// This event type's usual share of all events, when it is known.
    pub share: Option<Share>,
    /// The funnel step before this one: its count, and this step's usual share of
    /// the two together.
    pub previous: Option<(f64, Share)>,
    /// All event types together are surging: a campaign, which an event type of a few
    /// events an hour would take an hour to see by itself, learning it meanwhile.
    pub shop_surging: bool,
    /// What the event types already in an episode were expected to count. A silence
    /// of all events is judged without them: with the busiest event type dark and
    /// alerted, a few quiet minutes of the rest are not everything going silent.
    pub in_episodes: f64,
}

impl Stream {
    pub fn new(name: &str, step: i64) -> Stream {
        Stream {
            name: name.to_owned(),
            baseline: Baseline::new(step),
            silence: Cusum::default(),
            count: Cusum::default(),
            share: Cusum::default(),
            funnel: Cusum::default(),
            surge: Cusum::default(),
            calm: 0.0,
            surge_ratio: 1.0,
            floor: Floor::new(step),
            count_level: (0.0, 0.0),
            deferred: VecDeque::new(),
            episode: None,
            owed_run: VecDeque::new(),
            revised: Vec::new(),
            relearning: false,
            too_sparse: false,
            flow: (0.0, 0.0),
            flow_decay: (-std::f64::consts::LN_2 * step as f64 / FLOW_HALF_LIFE_SECS).exp(),
            last: Seen::default(),
            last_start: None,
        }
    }

    /// Read the baseline for this bucket before any stream is judged.
    pub fn expect(&mut self, start: i64, x: f64) {
        let at = self.baseline.position(start);
        let floor = self.floor.expected();
        self.last = Seen {
            at,
            x,
            e: self.baseline.expected(at).max(floor),
            floor,
            silence_e: 0.0,
            phi: self.baseline.dispersion(),
            learning: self.baseline.learning(),
            in_episode: self.episode.is_some(),
            owed: None,
        };
        self.relearning &= self.last.learning;
        self.too_sparse &= self.relearning;
        self.last_start = Some(start);
    }

    /// Judge one bucket. Returns the test that opened an episode, if one did, or
    /// `Err(end)` when the open episode ended (the estimated end).
    pub fn judge(
        &mut self,
        start: i64,
        step: i64,
        ctx: &Context,
        h: &Thresholds,
        pooled: bool,
    ) -> Option<Result<Test, i64>> {
        let Seen {
            at,
            x,
            e,
            phi,
            floor,
            learning,
            ..
        } = self.last;
        self.surge_ratio = 1.0;
        self.revised.clear();
        // While learning, only a stream's floor says what a silence is.
        let silence_e = (if learning { floor } else { e } - ctx.in_episodes).max(0.0);
        self.last.silence_e = silence_e;
        if let Some(episode) = &mut self.episode {
            self.last.owed = owed(episode.test, ctx);
            let owed = self.last.owed.unwrap_or(e);
            let run = &episode.recovery;
            let run_depth = (run.observed + x) / (run.expected + owed).max(1e-9);
            let depth = episode
                .depth
                .max(run_depth.min(episode.test.recovery_depth_cap()));
            let back = -self_evidence(episode.test, x, e, phi, depth, ctx);
            episode.expected += owed;
            episode.observed += x;
            if episode.recovery.add(back, start, owed, x, h.recover) {
                let end = episode.recovery.since.unwrap_or(start);
                return Some(Err(end));
            }
            return None;
        }
        self.floor.learn(start, x);
        if learning {
            self.baseline.learn(at, x, e);
        }
        let mut fired = None;
        let silence = if x < 0.5 {
            silence_evidence(silence_e, phi)
        } else {
            f64::NEG_INFINITY
        };
        if self.silence.add(silence, start, silence_e, x, h.silence) {
            fired = Some(Test::Silence);
        }
        if !learning && x < 0.5 && self.silence_alone(silence_e, h) {
            fired = Some(Test::Silence);
        }
        if !pooled && !learning {
            self.count
                .add(drop_llr(x, e, phi, COUNT_RHO), start, e, x, f64::INFINITY);
            if self.count.since.is_none() {
                self.count_level = (0.0, 0.0);
            } else {
                let (wx, we) = self.last.weighed();
                self.count_level.0 += wx + ctx.others.0;
                self.count_level.1 += we + ctx.others.1;
            }
            if self.count_reaches(h.alarm) {
                fired = fired.or(Some(Test::Count));
            }
            if let Some((previous, s)) = ctx.previous {
                let llr = share_llr(x, previous, s.p, RHO) * s.damping(x + previous);
                let owed = owed(Test::Funnel, ctx).unwrap_or(e);
                if self.funnel.add(llr, start, owed, x, h.alarm) {
                    fired = fired.or(Some(Test::Funnel));
                }
            }
            if let Some(s) = ctx.share {
                let llr = share_llr(x, ctx.rest, s.p, RHO) * s.damping(x + ctx.rest);
                let owed = owed(Test::Share, ctx).unwrap_or(e);
                if self.share.add(llr, start, owed, x, h.alarm) {
                    fired = fired.or(Some(Test::Share));
                }
            }
            self.log_owed(start, x, step, ctx);
        }
        if let Some(test) = fired {
            self.last.owed = owed(test, ctx);
            let run = self.run(test).clone();
            self.revise(test, run.since.unwrap_or(start), start);
            self.episode = Some(Episode {
                test,
                start: run.since.unwrap_or(start),
                detected_at: start + step,
                expected: run.expected,
                observed: run.observed,
                depth: (run.observed / run.expected.max(1e-9)).clamp(MIN_DEPTH, MAX_DEPTH),
                recovery: Cusum::default(),
                covered: false,
            });
            self.reset_tests();
            self.deferred.clear();
            return Some(Ok(test));
        }
        if learning {
            return None;
        }
        // A surge ends once traffic reads as the profile's rather than the surge's
        // level. Drained by normal traffic alone, the surge test weighs it only against
        // a rise of a half, and on a few events a minute that took three hours after a
        // campaign, learning nothing meanwhile.
        let rise = self.surge.ratio().min(NEW_STREAM_RATIO);
        if self.surge.sum >= h.surge && rise > SURGE_RHO {
            self.calm = (self.calm - drop_llr(x, e.max(1e-9), phi, rise)).max(0.0);
            if self.calm >= h.surge {
                self.surge.reset();
                self.calm = 0.0;
            }
        } else {
            self.calm = 0.0;
        }
        // A surge (a campaign) is neither learnt nor alarmed on: the baseline stays
        // what a normal hour looks like. Events where none at all were expected are a
        // surge too.
        let surging = self.surge.add(
            drop_llr(x, e.max(1e-9), phi, SURGE_RHO),
            start,
            e,
            x,
            h.surge,
        );
        if surging {
            self.surge_ratio = self.surge.ratio();
        }
        // Capped, so that a surge too slight for the calm test above ends within a few
        // buckets too, instead of draining hours of evidence while normal traffic goes
        // unlearnt.
        self.surge.sum = self.surge.sum.min(4.0 * h.surge);
        if surging && start - self.surge.since.unwrap_or(start) > h.max_surge_secs {
            // After days of surge the test starts over. Where the profile explains
            // almost none of it (a stream coming online), the profile is no use: learn
            // afresh.
            if self.surge.expected * NEW_STREAM_RATIO < self.surge.observed {
                let buckets = ((start - self.surge.since.unwrap_or(start)) / step + 1) as f64;
                self.too_sparse = self.surge.observed < buckets;
                self.baseline = if self.too_sparse {
                    Baseline::hourly(step)
                } else {
                    Baseline::new(step)
                };
                self.deferred.clear();
                self.relearning = true;
            }
            self.surge.reset();
        }
        if surging || ctx.shop_surging {
            // What was held back while a test made up its mind was the surge's start
            // (or a pending drop just before it): none of it is learnt.
            self.deferred.clear();
            return None;
        }
        if pooled {
            let d = self.flow_decay;
            self.flow = (d * self.flow.0 + x, d * self.flow.1 + e);
        }
        if self.pending(h) {
            self.deferred.push_back((at, x, e));
            if self.deferred.len() as i64 * step > MAX_DEFERRED_SECS {
                let (at, x, e) = self.deferred.pop_front().expect("just pushed");
                self.baseline.learn(at, x, e);
            }
        } else {
            for (at, x, e) in self.deferred.drain(..) {
                self.baseline.learn(at, x, e);
            }
            self.baseline.learn(at, x, e);
        }
        None
    }

    /// Whether the latest bucket was part of a surge.
    pub fn surging(&self) -> bool {
        self.surge_ratio > 1.0
    }

    /// Close the episode (after `judge` said it ended) and return it.
    pub fn close(&mut self) -> Option<Episode> {
        let mut episode = self.episode.take()?;
        episode.expected -= episode.recovery.expected;
        episode.observed -= episode.recovery.observed;
        self.reset_tests();
        Some(episode)
    }

    /// A test well on its way to an alarm: its buckets are held back from learning,
    /// so the drop being detected does not pull the baseline down to meet it (nor a
    /// surge that a slow surge test is still weighing lift it). Learnt once the test
    /// lets go, they heal a profile that expected too much (a campaign learnt as
    /// normal), which would otherwise keep the test pending every week.
    fn pending(&self, h: &Thresholds) -> bool {
        let half = h.alarm / 2.0;
        self.silence.sum >= h.silence / 2.0
            || (self.surge.sum >= h.surge / 2.0 && self.surge_is_slow(h))
            || self.count_reaches(half)
            || self.share.sum >= half
            || self.funnel.sum >= half
    }

    /// Let go of a surge that this stream's own test would take long to see the end
    /// of (see [`Stream::surge_is_slow`]), when the shop's has ended and this one rose
    /// no more than `max_rise` times what it expected. Evidence short of a surge is
    /// kept: it may be the start of this stream's own.
    pub fn end_slow_surge(&mut self, max_rise: f64, h: &Thresholds) {
        if self.surging() && self.surge_ratio <= max_rise && self.surge_is_slow(h) {
            self.surge.reset();
        }
    }

    /// Whether the surge test needs more than a few buckets to see traffic double:
    /// a trickle of events. Its buckets are then held back while it is pending, or a
    /// campaign would be learnt for the hour the test takes to see it. A busy stream's
    /// test decides within a bucket or two; holding back its busier minutes as well
    /// biased its profile low and slowed the finding of half drops.
    fn surge_is_slow(&self, h: &Thresholds) -> bool {
        let e = self.last.e;
        drop_llr(2.0 * e, e, self.last.phi, SURGE_RHO) * SLOW_SURGE_BUCKETS < h.surge
    }

    /// Whether the count test's evidence reaches `threshold` once what a slow spell
    /// could explain is taken off: a level that all event types share, so the others
    /// running as usual leave little doubt that this one fell, and all of them
    /// running low leave much. Only worked out for runs that could reach it.
    fn count_reaches(&self, threshold: f64) -> bool {
        let c = &self.count;
        if c.sum < threshold {
            return false;
        }
        let (x, e) = self.count_level;
        c.sum - level_doubt(x, e, LEVEL_SIGMA) >= threshold
    }

    fn run(&self, test: Test) -> &Cusum {
        match test {
            Test::Silence => &self.silence,
            Test::Count => &self.count,
            Test::Share => &self.share,
            Test::Funnel => &self.funnel,
        }
    }

    /// Keep what the share and funnel tests say this bucket should have held, for as
    /// long as either test's run goes on.
    fn log_owed(&mut self, start: i64, x: f64, step: i64, ctx: &Context) {
        let Some(since) = [self.share.since, self.funnel.since]
            .into_iter()
            .flatten()
            .min()
        else {
            self.owed_run.clear();
            return;
        };
        let oldest = since.max(start - MAX_REVISED_SECS + step);
        while self.owed_run.front().is_some_and(|&(t, ..)| t < oldest) {
            self.owed_run.pop_front();
        }
        let owed = [Test::Share, Test::Funnel].map(|test| owed(test, ctx));
        self.owed_run.push_back((start, x, owed));
    }

    /// What an episode that `test` opened in the bucket at `start` revises of its run's
    /// earlier buckets (see [`Stream::revised`]).
    fn revise(&mut self, test: Test, since: i64, start: i64) {
        let which = match test {
            Test::Share => 0,
            Test::Funnel => 1,
            Test::Silence | Test::Count => return,
        };
        self.revised.extend(
            self.owed_run
                .iter()
                .filter(|&&(t, ..)| t >= since && t < start)
                .filter_map(|&(t, x, owed)| owed[which].map(|o| (t, x, o))),
        );
    }

    fn reset_tests(&mut self) {
        for c in [
            &mut self.silence,
            &mut self.count,
            &mut self.share,
            &mut self.funnel,
        ] {
            c.reset();
        }
        self.count_level = (0.0, 0.0);
        self.owed_run.clear();
    }

    /// How long a complete silence starting now would take to be alarmed at the
    /// current expectation: the silent buckets needed, plus the bucket under way. The
    /// honest answer to "how fast would I know?" (a source's own lag comes on top).
    pub fn silence_alert_after(&self, step: i64, h: &Thresholds) -> Option<f64> {
        let per_bucket = silence_evidence(self.last.silence_e, self.last.phi);
        let buckets = if self.silence_alone(self.last.silence_e, h) {
            1.0
        } else {
            (h.silence / per_bucket).ceil().max(1.0)
        };
        (per_bucket > 1e-9).then_some((buckets + 1.0) * step as f64)
    }

    /// Whether one empty bucket where `silence_e` events were due is a silence by
    /// itself: only for all events together, the one stream that keeps a flow.
    fn silence_alone(&self, silence_e: f64, h: &Thresholds) -> bool {
        self.calibration()
            .is_some_and(|c| silence_e * c >= h.one_bucket_silence)
    }

    /// How far the expectation runs under what flows: the counts of the buckets learnt
    /// as normal over about a week against what was expected of them; `None` until
    /// that week expected enough. The profile runs low on purpose (it does not learn
    /// busy spells the surge test takes for campaigns), a margin the drop tests can
    /// afford and a one-bucket silence, judged on the expectation alone, cannot.
    fn calibration(&self) -> Option<f64> {
        let (observed, expected) = self.flow;
        (expected >= MIN_FLOW_EXPECTED)
            .then(|| (observed / expected).clamp(FLOW_BOUNDS.0, FLOW_BOUNDS.1))
    }

    /// While in an episode, how long the stream has flowed again: from the start of
    /// the run arguing that it is back (the episode's end, should it close) to the end
    /// of the latest bucket. Only once that run is half way to closing the episode, so
    /// that a trickle's busy minute does not read as a recovery.
    pub fn back_for(&self, step: i64, h: &Thresholds) -> Option<f64> {
        let run = &self.episode.as_ref()?.recovery;
        let since = run.since.filter(|_| run.sum >= h.recover / 2.0)?;
        Some((self.last_start? + step - since) as f64)
    }
}

/// What the bucket should have held in the sense of `test`, where that is not the
/// profile's expectation: for the share and funnel tests, what the others' flow
/// implies at the usual share (during a campaign, three times the usual count). An
/// episode's depth, its recovery and the expected-against-observed it reports are all
/// in these terms: a step broken in a campaign can count its usual number and still be
/// down. `None` for the count and silence tests, or without the share to judge by.
fn owed(test: Test, ctx: &Context) -> Option<f64> {
    let implied = |against: f64, s: Share| against * s.p / (1.0 - s.p).max(f64::MIN_POSITIVE);
    match (test, ctx.share, ctx.previous) {
        (Test::Share, Some(s), _) => Some(implied(ctx.rest, s)),
        (Test::Funnel, _, Some((previous, s))) => Some(implied(previous, s)),
        _ => None,
    }
}

/// The evidence, in the sense of the test that opened the episode, that the stream
/// is still at `depth` of normal rather than back.
fn self_evidence(test: Test, x: f64, e: f64, phi: f64, depth: f64, ctx: &Context) -> f64 {
    match (test, ctx.share, ctx.previous) {
        (Test::Share, Some(s), _) => share_llr(x, ctx.rest, s.p, depth) * s.damping(x + ctx.rest),
        (Test::Funnel, _, Some((previous, s))) => {
            share_llr(x, previous, s.p, depth) * s.damping(x + previous)
        }
        _ => drop_llr(x, e, phi, depth),
    }
}
