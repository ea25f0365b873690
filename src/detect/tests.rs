//! The detector on small seasonal shops with Poisson noise. The benchmark
//! (`scripts/bench-detector`) measures it at scale; these pin down behaviour.

use super::*;

mod learning;

const MINUTE: i64 = 60;
/// 2026-01-05, a Monday, 00:00 UTC.
const MONDAY: i64 = 1_767_571_200;
const EVENTS: [&str; 4] = [
    "View Content",
    "Add to Cart",
    "Initiate Checkout",
    "Complete Payment",
];
/// Daytime rates per minute; nights are a tenth of this.
const RATES: [f64; 4] = [60.0, 20.0, 12.0, 8.0];

struct Shop {
    rng: fastrand::Rng,
    detector: Detector,
    t: i64,
}

impl Shop {
    fn new(funnel: bool) -> Shop {
        let mut options = DetectorOptions::new(MINUTE);
        if funnel {
            options.funnel = EVENTS[1..].iter().map(|s| s.to_string()).collect();
        }
        let mut detector = Detector::new(options);
        for e in EVENTS {
            detector.event(e);
        }
        Shop {
            rng: fastrand::Rng::with_seed(seed()),
            detector,
            t: MONDAY,
        }
    }

    /// The shop's seasonal rate of event `i` at `t`: quiet nights, a slower weekend.
    fn rate(i: usize, t: i64) -> f64 {
        let hour = (t / 3600) % 24;
        let day = ((t - MONDAY) / 86_400) % 7;
        let daily = if (8..22).contains(&hour) { 1.0 } else { 0.1 };
        let weekly = if day >= 5 { 0.7 } else { 1.0 };
        RATES[i] * daily * weekly
    }

    /// Run `minutes` of traffic, `scale` giving each event's multiplier at a time.
    fn run(&mut self, minutes: i64, scale: impl Fn(usize, i64) -> f64) -> Vec<Alert> {
        self.drive(minutes, scale, true)
    }

    /// Like [`Shop::run`], but every count is exactly its mean: for behaviour that
    /// must not hang on a lucky draw.
    fn run_exact(&mut self, minutes: i64, scale: impl Fn(usize, i64) -> f64) -> Vec<Alert> {
        self.drive(minutes, scale, false)
    }

    fn drive(
        &mut self,
        minutes: i64,
        scale: impl Fn(usize, i64) -> f64,
        noisy: bool,
    ) -> Vec<Alert> {
        let mut alerts = Vec::new();
        for _ in 0..minutes {
            let counts: Vec<f64> = (0..EVENTS.len())
                .map(|i| {
                    let mean = Self::rate(i, self.t) * scale(i, self.t);
                    if noisy {
                        poisson(&mut self.rng, mean)
                    } else {
                        mean
                    }
                })
                .collect();
            alerts.extend_from_slice(self.detector.push(self.t, &counts));
            self.t += MINUTE;
        }
        alerts
    }

    /// Exactly the usual counts: the warm-ups and aftermaths of tests of one
    /// behaviour, which must not fail on a chance silence somewhere in weeks of
    /// traffic (the benchmark measures how often those happen).
    fn usual(&mut self, minutes: i64) -> Vec<Alert> {
        self.run_exact(minutes, |_, _| 1.0)
    }

    fn normal(&mut self, minutes: i64) -> Vec<Alert> {
        self.run(minutes, |_, _| 1.0)
    }

    /// Payments go dark for `minutes` while the rest flows: that silence alone must be
    /// alerted. Returns how long after the onset it was.
    fn payments_go_dark(&mut self, minutes: i64) -> i64 {
        let onset = self.t;
        let alerts = self.run(minutes, |i, _| if i == 3 { 0.0 } else { 1.0 });
        assert_eq!(
            opened(&alerts),
            [("Complete Payment".to_owned(), AlertKind::Silence)],
            "{alerts:?}"
        );
        alerts[0].detected_at - onset
    }
}

/// The test shop's random seed: 7, or `FLATLINE_TEST_SEED`, to check that a test
/// does not pass on one lucky draw (`FLATLINE_TEST_SEED=19 cargo nextest run -p
/// flatline detect::tests`).
fn seed() -> u64 {
    std::env::var("FLATLINE_TEST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7)
}

fn poisson(rng: &mut fastrand::Rng, lambda: f64) -> f64 {
    if lambda > 30.0 {
        // Normal approximation; plenty for rates this size.
        let (u, v) = (rng.f64().max(1e-12), rng.f64());
        let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        return (lambda + lambda.sqrt() * z).round().max(0.0);
    }
    let limit = (-lambda).exp();
    let (mut k, mut p) = (0.0, rng.f64());
    while p > limit {
        k += 1.0;
        p *= rng.f64();
    }
    k
}

/// What event type `i` is expected to count over the first quarter hour of a week
/// after a campaign, with the campaign and without: `usual` counts per minute until
/// Monday 10:00 of the fourth week, then three hours at three times them in one
/// detector and as usual in a copy, then as usual for a week in both.
fn expected_a_week_after_a_campaign<const N: usize>(
    events: &[&str; N],
    usual: impl Fn(i64) -> [f64; N],
    i: usize,
) -> (f64, f64) {
    let run = |detector: &mut Detector, from: i64, to: i64, scale: f64| {
        (from..to)
            .step_by(MINUTE as usize)
            .flat_map(|t| detector.push(t, &usual(t).map(|x| x * scale)).to_vec())
            .collect::<Vec<Alert>>()
    };
    let mut with = Detector::new(DetectorOptions::new(MINUTE));
    for event in events {
        with.event(event);
    }
    let campaign = MONDAY + 3 * 7 * 86_400 + 10 * 3600;
    assert!(run(&mut with, MONDAY, campaign, 1.0).is_empty());
    let mut without = with.clone();
    let three_hours = campaign + 3 * 3600;
    assert!(run(&mut with, campaign, three_hours, 3.0).is_empty());
    run(&mut without, campaign, three_hours, 1.0);
    let week_later = campaign + 7 * 86_400;
    let expected = |detector: &mut Detector| -> f64 {
        run(detector, three_hours, week_later, 1.0);
        (week_later..week_later + 15 * MINUTE)
            .step_by(MINUTE as usize)
            .map(|t| {
                detector.push(t, &usual(t));
                detector.expectations().nth(i).flatten().unwrap().expected
            })
            .sum()
    };
    (expected(&mut with), expected(&mut without))
}

fn opened(alerts: &[Alert]) -> Vec<(String, AlertKind)> {
    alerts
        .iter()
        .filter(|a| a.phase == AlertPhase::Opened)
        .map(|a| (a.event.clone(), a.kind))
        .collect()
}

#[test]
fn a_full_outage_is_one_pooled_alert_in_the_first_bucket() {
    let mut shop = Shop::new(true);
    assert!(shop.usual(3 * 7 * 1440 + 11 * 60).is_empty());
    let onset = shop.t;
    let alerts = shop.run(30, |_, _| 0.0);
    assert_eq!(opened(&alerts), [(POOLED.to_owned(), AlertKind::Silence)]);
    assert_eq!(alerts[0].start, onset);
    assert_eq!(alerts[0].detected_at, onset + MINUTE);
    assert_eq!(alerts[0].observed, 0.0);
    assert!(alerts[0].expected > 50.0);

    let back = shop.t;
    let alerts = shop.normal(30);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].phase, AlertPhase::Closed);
    assert_eq!(alerts[0].end, Some(back));
    // Nothing lingers: three days at exactly the usual counts raise nothing.
    let after = shop.usual(3 * 1440);
    assert!(after.is_empty(), "{after:?}");
}

/// At night the shop carries ten events a minute: one empty minute is 10 nats of
/// evidence, short of the silence test's threshold for a month of minutes (11.7). An
/// empty minute of all events where eight or more were due is a silence at once, and
/// the monitor says so.
#[test]
fn a_full_outage_at_ten_events_a_minute_is_alerted_in_the_first_bucket() {
    let mut shop = Shop::new(true);
    assert!(shop.usual(3 * 7 * 1440 + 2 * 60).is_empty());
    let all = &shop.detector.status()[4];
    assert_eq!(all.event, POOLED);
    assert!((8.0..11.0).contains(&all.expected), "{all:?}");
    assert_eq!(all.silence_alert_after_secs, Some(2.0 * MINUTE as f64));
    let onset = shop.t;
    let alerts = shop.run_exact(5, |_, _| 0.0);
    assert_eq!(opened(&alerts), [(POOLED.to_owned(), AlertKind::Silence)]);
    assert_eq!(alerts[0].detected_at, onset + MINUTE);
}

#[test]
fn two_event_types_going_dark_raise_exactly_those_two() {
    let mut shop = Shop::new(true);
    assert!(shop.usual(3 * 7 * 1440 + 11 * 60).is_empty());
    let onset = shop.t;
    let alerts = shop.run(180, |i, _| if i == 1 || i == 2 { 0.0 } else { 1.0 });
    let mut raised: Vec<String> = opened(&alerts).into_iter().map(|(e, _)| e).collect();
    raised.sort();
    assert_eq!(raised, ["Add to Cart", "Initiate Checkout"]);
    for alert in &alerts {
        assert!(alert.detected_at - onset <= 5 * MINUTE, "{alert:?}");
    }
    let alerts = shop.usual(2 * 1440);
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert!(alerts.iter().all(|a| a.phase == AlertPhase::Closed));
}

#[test]
fn payments_stopping_while_checkouts_go_on_is_caught() {
    let mut shop = Shop::new(true);
    assert!(shop.usual(3 * 7 * 1440 + 13 * 60).is_empty());
    let alerts = shop.run(60, |i, _| if i == 3 { 0.0 } else { 1.0 });
    assert_eq!(opened(&alerts).len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].event, "Complete Payment");
}

#[test]
fn half_of_one_event_type_is_found_within_a_quarter_hour() {
    let mut shop = Shop::new(false);
    assert!(shop.usual(3 * 7 * 1440 + 10 * 60).is_empty());
    let onset = shop.t;
    let alerts = shop.run(60, |i, _| if i == 1 { 0.5 } else { 1.0 });
    assert_eq!(
        opened(&alerts),
        [("Add to Cart".to_owned(), AlertKind::Drop)]
    );
    assert!(alerts[0].detected_at - onset <= 15 * MINUTE, "{alerts:?}");
}

#[test]
fn payments_going_dark_and_then_trickling_at_a_third_are_one_episode() {
    let mut shop = Shop::new(false);
    assert!(shop.usual(3 * 7 * 1440 + 10 * 60).is_empty());
    let onset = shop.t;
    // Judged against the tenth of normal the silence opened at, the trickle's busier
    // minutes looked like payments coming back, and the drop test then opened a
    // second episode.
    let alerts = shop.run(4 * 60, |i, t| match i {
        3 if t < onset + 5 * MINUTE => 0.0,
        3 => 0.3,
        _ => 1.0,
    });
    assert_eq!(
        opened(&alerts),
        [("Complete Payment".to_owned(), AlertKind::Silence)],
        "{alerts:?}"
    );
    assert_eq!(alerts.len(), 1, "{alerts:?}");
}

#[test]
fn payments_back_after_a_silence_at_night_are_called_over_within_half_an_hour() {
    let mut shop = Shop::new(false);
    assert!(shop.usual(3 * 7 * 1440 + 2 * 60).is_empty());
    // Payments, 0.8 a minute at night, go dark for an hour and come back as usual.
    let alerts = shop.run_exact(60, |i, _| if i == 3 { 0.0 } else { 1.0 });
    assert_eq!(
        opened(&alerts),
        [("Complete Payment".to_owned(), AlertKind::Silence)],
        "{alerts:?}"
    );
    let back = shop.t;
    let back_for = |shop: &Shop| shop.detector.status()[3].back_for_secs;
    assert_eq!(back_for(&shop), None);
    // Judged against half of normal, the return took 43 expected events (54 minutes)
    // to tell apart; against a third, it takes 16. Half way there, the status says
    // that payments flow again, and for how long.
    let mut said_back = None;
    let closed = (0..120)
        .find_map(|_| {
            let alerts = shop.usual(1);
            if said_back.is_none() {
                said_back = back_for(&shop).map(|secs| (secs, shop.t));
            }
            alerts
                .into_iter()
                .find(|a| a.phase == AlertPhase::Closed)
                .map(|a| (a, shop.t))
        })
        .expect("called over within two hours");
    assert_eq!(closed.0.end, Some(back), "{closed:?}");
    assert!(
        closed.1 - back <= 30 * MINUTE,
        "{} min",
        (closed.1 - back) / MINUTE
    );
    let (secs, at) = said_back.expect("said to flow again before it was over");
    assert!(at < closed.1, "{at} {closed:?}");
    assert_eq!(secs, (at - back) as f64);
}

#[test]
fn with_the_busiest_event_type_dark_a_quiet_moment_of_the_rest_is_not_everything_silent() {
    let mut shop = Shop::new(false);
    assert!(shop.usual(3 * 7 * 1440 + 23 * 60).is_empty());
    // Page views go dark late in the evening. Past midnight the rest bring four
    // events a minute, and two minutes without any of them come every few nights.
    let midnight = shop.t + 60 * MINUTE;
    let scale = |i, t| {
        let quiet = (midnight..midnight + 2 * MINUTE).contains(&t);
        if i == 0 || quiet {
            0.0
        } else {
            1.0
        }
    };
    let mut alerts = shop.run_exact(60, scale);
    // What the status promises for a silence of everything agrees: the two quiet
    // minutes ahead, and the bucket under way, are too few.
    let promised = shop.detector.status()[4].silence_alert_after_secs.unwrap();
    assert!(promised > 3.0 * 60.0, "{promised} s");
    alerts.extend(shop.run_exact(2 * 60, scale));
    assert_eq!(
        opened(&alerts),
        [("View Content".to_owned(), AlertKind::Silence)],
        "{alerts:?}"
    );
}

#[test]
fn a_campaign_while_learning_does_not_blunt_the_tests_afterwards() {
    let mut shop = Shop::new(false);
    // A ×4 campaign on the first Sunday afternoon, then the shop as usual until the
    // Monday morning after learning ends.
    let campaign = MONDAY + 6 * 86_400 + 12 * 3600;
    shop.run(14 * 1440 + 10 * 60, |_, t| {
        if (campaign..campaign + 6 * 3600).contains(&t) {
            4.0
        } else {
            1.0
        }
    });
    // Payments (8 a minute) going dark are alerted as soon as two empty minutes say
    // so, as they would be had the campaign never run.
    assert!(shop.payments_go_dark(5) <= 2 * MINUTE);
}

#[test]
fn a_quiet_night_hour_with_nothing_in_it_is_not_an_outage() {
    let mut shop = Shop::new(false);
    assert!(shop.usual(3 * 7 * 1440 + 2 * 60).is_empty());
    // Payments at 0.8 a minute at 02:00: ten silent minutes happen.
    let alerts = shop.run(10, |i, _| if i == 3 { 0.0 } else { 1.0 });
    assert!(alerts.is_empty(), "{alerts:?}");
    let payments = &shop.detector.status()[3];
    assert!(payments.silence_alert_after_secs.unwrap() > 10.0 * 60.0);
    // The same ten minutes at 14:00, with eight expected a minute, are an outage.
    shop.usual(12 * 60 - 10);
    shop.payments_go_dark(10);
}

#[test]
fn payments_falling_to_a_third_in_the_middle_of_a_campaign_are_caught() {
    let mut shop = Shop::new(true);
    assert!(shop.usual(3 * 7 * 1440 + 10 * 60).is_empty());
    // A campaign at three times the traffic; an hour in, payments reach a third of
    // what the campaign brings: about the usual number, far short of three times it.
    let from = shop.t;
    let broken = from + 3600;
    let campaign = |i: usize, t: i64| match (i, t >= broken) {
        (3, true) => 1.0,
        _ => 3.0,
    };
    assert!(shop.run(60, campaign).is_empty());
    let alerts = shop.run(60, campaign);
    let payments: Vec<_> = opened(&alerts)
        .into_iter()
        .filter(|(event, _)| event == "Complete Payment")
        .collect();
    assert_eq!(opened(&alerts).len(), 1, "{alerts:?}");
    assert_eq!(payments.len(), 1, "{alerts:?}");
    assert!(alerts[0].detected_at - broken <= 15 * MINUTE, "{alerts:?}");
    // What is missing is measured against what the others' flow implies, not the usual
    // count that payments still reach.
    assert!(alerts[0].expected > 2.0 * alerts[0].observed, "{alerts:?}");
    // And what each of its buckets is stored against, for the chart and the price.
    let owed = shop.detector.expectations().nth(3).flatten().unwrap();
    assert!(owed.implied && owed.expected > 2.0 * RATES[3], "{owed:?}");
    // The profile still expects the usual count: a benchmark reads the campaign's
    // mark on the profile from this, and the amount owed is not such a mark.
    let profile = shop
        .detector
        .profile_expectations()
        .nth(3)
        .flatten()
        .unwrap();
    assert!((profile - RATES[3]).abs() < 0.2 * RATES[3], "{profile}");
    let usual = shop.detector.expectations().nth(2).flatten().unwrap();
    assert!(!usual.implied, "{usual:?}");
    // Its count is back to the usual number, but its share is not: the drop stays
    // open while the campaign runs, and closes once payments join it again.
    let rest = shop.run(60, campaign);
    assert!(rest.is_empty(), "{rest:?}");
    let back = shop.run(60, |_, _| 3.0);
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(back[0].phase, AlertPhase::Closed, "{back:?}");
}

#[test]
fn a_campaign_raises_nothing_and_does_not_poison_the_baseline() {
    let mut shop = Shop::new(true);
    assert!(shop.usual(3 * 7 * 1440 + 10 * 60).is_empty());
    let from = shop.t;
    let alerts = shop.run(5 * 60, |_, t| if t < from + 4 * 3600 { 4.0 } else { 1.0 });
    assert!(alerts.is_empty(), "{alerts:?}");
    // A week later, the same hours at exactly the usual volume are still normal.
    let later = shop.usual(7 * 1440);
    assert!(later.is_empty(), "{later:?}");
}

#[test]
fn a_campaign_starting_as_learning_ends_raises_nothing_when_it_ends() {
    let mut shop = Shop::new(true);
    // A busy shop (twenty times the test shop) whose learning ends at 10:00 on a
    // Monday, as a ×5 campaign starts. An earlier one, in the first learning week,
    // once left the noise estimate wide enough for the new one's ramp to pass as
    // ordinary traffic and lift the level (the level alone: see the baseline's
    // `the_first_buckets_after_learning_move_the_level_no_more_than_later_ones`).
    let busy = 20.0;
    shop.t = MONDAY + 10 * 3600;
    let first = MONDAY + 6 * 86_400 + 12 * 3600;
    let campaign = |from: i64, t: i64| {
        // Up over ten minutes, six hours in all.
        let ramp = ((t - from) as f64 / 600.0).clamp(0.0, 1.0);
        if t < from + 6 * 3600 {
            1.0 + 4.0 * ramp
        } else {
            1.0
        }
    };
    let learning = shop.run_exact(14 * 1440, |_, t| busy * campaign(first, t));
    assert!(learning.is_empty(), "{learning:?}");
    let from = shop.t;
    let alerts = shop.run_exact(2 * 1440, |_, t| busy * campaign(from, t));
    assert!(alerts.is_empty(), "{alerts:?}");
}

#[test]
fn event_types_of_a_few_events_an_hour_learn_again_once_the_shop_s_campaign_is_over() {
    // A shop of under an event a minute in all; its payments are four an hour by day.
    // After a three-hour campaign, their own surge test would take two days of
    // normal traffic to drain, learning nothing meanwhile; all events together tell
    // the campaign is over within hours. Events at regular minutes, so that no
    // chance surge follows it: one every 2, 6, 10 and 14 minutes by day, a tenth of
    // that by night.
    let usual = |t: i64| {
        let night = if (8..22).contains(&((t / 3600) % 24)) {
            1
        } else {
            10
        };
        [2, 6, 10, 14].map(|every| f64::from(u8::from((t / MINUTE) % (every * night) == 0)))
    };
    let mut detector = Detector::new(DetectorOptions::new(MINUTE));
    for event in EVENTS {
        detector.event(event);
    }
    let campaign = MONDAY + 23 * 86_400 + 13 * 3600..MONDAY + 23 * 86_400 + 16 * 3600;
    let surging = |d: &Detector| -> Vec<String> {
        d.streams
            .iter()
            .filter(|s| s.surging())
            .map(|s| s.name.clone())
            .collect()
    };
    let mut surged = Vec::new();
    for t in (MONDAY..campaign.end + 6 * 3600).step_by(MINUTE as usize) {
        let scale = if campaign.contains(&t) { 3.0 } else { 1.0 };
        let alerts = detector.push(t, &usual(t).map(|x| x * scale));
        assert!(
            alerts.is_empty(),
            "day {}: {alerts:?}",
            (t - MONDAY) / 86_400
        );
        if t == campaign.end - MINUTE {
            surged = surging(&detector);
        }
    }
    assert_eq!(surged, EVENTS, "all event types surged with the campaign");
    assert!(surging(&detector).is_empty(), "{:?}", surging(&detector));
}

#[test]
fn a_campaign_on_a_trickle_of_events_is_not_learnt_while_the_surge_test_decides() {
    // Two purchases a minute by day, 0.6 at night: the surge test needs a dozen
    // buckets to see a campaign triple them.
    let usual = |t: i64| {
        [if (8..22).contains(&((t / 3600) % 24)) {
            2.0
        } else {
            0.6
        }]
    };
    // A week later, the campaign's first quarter hour is expected as it was before.
    let (raised, plain) = expected_a_week_after_a_campaign(&["Purchase"], usual, 0);
    assert!(raised < 1.05 * plain, "{raised} against {plain}");
}

#[test]
fn a_campaign_the_whole_shop_shows_is_not_learnt_by_an_event_type_too_sparse_to_see_it() {
    // Page views by the minute, a purchase every five minutes by day and every
    // twenty at night: on purchases alone the surge test needs over half an hour to
    // see a campaign triple them, and would learn the campaign's first quarter hour
    // as normal.
    let usual = |t: i64| {
        let (views, every) = if (8..22).contains(&((t / 3600) % 24)) {
            (60.0, 5)
        } else {
            (20.0, 20)
        };
        [views, f64::from(u8::from((t / MINUTE) % every == 0))]
    };
    let (raised, plain) = expected_a_week_after_a_campaign(&["Page View", "Purchase"], usual, 1);
    assert!(raised < 1.05 * plain, "{raised} against {plain}");
}

#[test]
fn a_slow_afternoon_raises_nothing_while_one_event_type_falling_is_caught() {
    let mut shop = Shop::new(true);
    assert!(shop.usual(3 * 7 * 1440 + 12 * 60).is_empty());
    // Every event type 40% under its usual for three hours: past the count test's
    // break-even, but the others running as low say it is the day, not the tag.
    let alerts = shop.run_exact(3 * 60, |_, _| 0.6);
    assert!(alerts.is_empty(), "{alerts:?}");
    // The same afternoon with checkouts alone at half is caught, on them alone.
    let alerts = shop.run_exact(60, |i, _| if i == 2 { 0.3 } else { 0.6 });
    let raised: Vec<String> = opened(&alerts).into_iter().map(|(e, _)| e).collect();
    assert_eq!(raised, ["Initiate Checkout"]);
}

#[test]
fn an_event_type_in_a_drop_still_vouches_for_a_slow_day() {
    let mut shop = Shop::new(true);
    assert!(shop.usual(3 * 7 * 1440 + 12 * 60).is_empty());
    // A holiday at 45% of the usual, every event type alike, on which views alone
    // fall to a quarter for half an hour and then come back to the day's 45%: caught,
    // on views alone. Their episode stays open for hours, since 45% is still short of
    // the usual, but their counts still say the whole shop is slow. Left out of the
    // level the others confirm, they left the others' own 45% to read as a drop, and
    // add to cart was raised too.
    let day = 0.45;
    let mut alerts = shop.run_exact(30, |i, _| if i == 0 { 0.25 } else { day });
    alerts.extend(shop.run_exact(4 * 60, |_, _| day));
    let raised: Vec<String> = opened(&alerts).into_iter().map(|(e, _)| e).collect();
    assert_eq!(raised, ["View Content"]);
}
