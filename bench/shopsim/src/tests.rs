use crate::{Campaign, Holiday, Outage, Shop, FUNNEL};

/// 2026-01-05 00:00 UTC, a Monday.
const MONDAY: i64 = 1_767_571_200;
const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;

fn week_of_minutes(seed: u64, peak: f64) -> crate::Series {
    Shop::new(seed, peak).generate(MONDAY, 60, 7 * 1440)
}

fn column_sum(series: &crate::Series, event: usize, buckets: std::ops::Range<usize>) -> (f64, f64) {
    buckets.fold((0.0, 0.0), |(c, e), b| {
        (c + series.row(b)[event], e + series.expected_row(b)[event])
    })
}

#[test]
fn the_same_seed_gives_the_same_series() {
    let mut shop = Shop::new(42, 20.0);
    shop.campaigns_per_week = 3.0;
    let a = shop.generate(MONDAY, 60, 2 * 7 * 1440);
    let b = shop.generate(MONDAY, 60, 2 * 7 * 1440);
    assert_eq!(a, b);
    assert!(!a.campaigns.is_empty());
    shop.seed = 43;
    assert_ne!(a, shop.generate(MONDAY, 60, 2 * 7 * 1440));
}

#[test]
fn counts_average_to_the_configured_rate() {
    let series = week_of_minutes(1, 30.0);
    for (e, &(_, share)) in FUNNEL.iter().enumerate() {
        let (counts, expected) = column_sum(&series, e, 0..series.len());
        assert!(
            (counts / expected - 1.0).abs() < 0.01,
            "event {e}: {counts} vs {expected}"
        );
        // Mean over the week of the seasonal curve is about 0.5 of the peak.
        let per_min = expected / series.len() as f64;
        let relative = per_min / (30.0 * share);
        assert!((0.4..0.65).contains(&relative), "event {e}: {relative}");
    }
}

#[test]
fn peak_per_min_is_the_busiest_minute_without_level_noise() {
    let mut shop = Shop::new(3, 12.0);
    (shop.day_sigma, shop.hour_sigma, shop.share_sigma) = (0.0, 0.0, 0.0);
    let series = shop.generate(MONDAY, 60, 7 * 1440);
    let peak = (0..series.len())
        .map(|b| series.expected_row(b)[0])
        .fold(0.0, f64::max);
    assert!((peak / 12.0 - 1.0).abs() < 0.01, "{peak}");
    let row = series.expected_row(5000);
    assert!((row[2] / row[0] - FUNNEL[2].1).abs() < 1e-12);
}

#[test]
fn longer_buckets_hold_the_same_traffic() {
    let shop = Shop::new(5, 10.0);
    let minutes = shop.generate(MONDAY, 60, 7 * 1440);
    let hours = shop.generate(MONDAY, 3600, 7 * 24);
    let (_, per_minute) = column_sum(&minutes, 0, 0..minutes.len());
    let (_, per_hour) = column_sum(&hours, 0, 0..hours.len());
    assert!(
        (per_hour / per_minute - 1.0).abs() < 0.005,
        "{per_hour} vs {per_minute}"
    );
}

#[test]
fn nights_are_quieter_in_local_time() {
    let mut shop = Shop::new(9, 50.0);
    shop.utc_offset_secs = -5 * 3600;
    let series = shop.generate(MONDAY, 3600, 7 * 24);
    // Tuesday 04:00 local is 09:00 UTC; 20:00 local is 01:00 UTC on Wednesday.
    let night = series.expected_row(24 + 9)[0];
    let evening = series.expected_row(48 + 1)[0];
    assert_eq!(series.local_hour(24 + 9), 4);
    assert!(night < 0.15 * evening, "{night} vs {evening}");
}

#[test]
fn an_outage_of_one_event_zeroes_exactly_its_window() {
    let original = week_of_minutes(11, 40.0);
    let mut series = original.clone();
    let onset = MONDAY + 2 * DAY + 14 * 3600 + 7 * 60;
    series.inject(&Outage::events(&["Add to Cart"], onset, 3600, 0.0));
    let first = series.bucket_at(onset).unwrap();
    for b in 0..series.len() {
        let inside = (first..first + 60).contains(&b);
        for e in 0..4 {
            let (now, before) = (series.row(b)[e], original.row(b)[e]);
            if inside && e == 1 {
                assert_eq!(now, 0.0, "bucket {b}");
            } else {
                assert_eq!(now, before, "bucket {b} event {e}");
            }
        }
    }
    assert!(column_sum(&original, 1, first..first + 60).0 > 300.0);
}

#[test]
fn a_window_left_out_is_missing_and_nothing_else() {
    let original = Shop::new(14, 40.0).generate(MONDAY, 60, 1440);
    let mut series = original.clone();
    // 10:00:30 to 11:00: the bucket it starts in is left out whole.
    series.leave_out(MONDAY + 10 * 3600 + 30, MONDAY + 11 * 3600);
    let (from, to) = (10 * 60, 11 * 60);
    for b in 0..series.len() {
        if (from..to).contains(&b) {
            assert!(series.row(b).iter().all(|x| x.is_nan()), "bucket {b}");
        } else {
            assert_eq!(series.row(b), original.row(b), "bucket {b}");
        }
    }
}

#[test]
fn a_window_drawn_afresh_differs_but_not_in_kind() {
    let original = Shop::new(14, 40.0).generate(MONDAY, 60, 2 * 7 * 1440);
    let mut series = original.clone();
    // The second week, drawn again.
    series.redraw(MONDAY + WEEK, MONDAY + 2 * WEEK, 1);
    let second = series.bucket_at(MONDAY + WEEK).unwrap();
    let changed = (second..series.len())
        .filter(|&b| series.row(b) != original.row(b))
        .count();
    assert!(changed > (series.len() - second) * 9 / 10, "{changed}");
    assert_eq!(series.row(second - 1), original.row(second - 1));
    // The same means and the same spread around them, the shared traffic noise included.
    let spread = |s: &crate::Series| -> f64 {
        (second..s.len())
            .map(|b| {
                let (x, e): (f64, f64) = (s.row(b).iter().sum(), s.expected_row(b).iter().sum());
                (x - e).powi(2) / e.max(1.0)
            })
            .sum()
    };
    for e in 0..4 {
        let (now, expected) = column_sum(&series, e, second..series.len());
        assert!(
            (now / expected - 1.0).abs() < 0.02,
            "event {e}: {now} vs {expected}"
        );
    }
    let ratio = spread(&series) / spread(&original);
    assert!((0.85..1.15).contains(&ratio), "{ratio}");
    let mut again = original.clone();
    again.redraw(MONDAY + WEEK, MONDAY + 2 * WEEK, 1);
    assert_eq!(again, series, "the same salt draws the same counts");
}

#[test]
fn a_partial_outage_keeps_its_share_and_partial_buckets_lose_less() {
    let original = Shop::new(12, 200.0).generate(MONDAY, 3600, 7 * 24);
    let mut series = original.clone();
    let onset = MONDAY + DAY + 10 * 3600;
    series.inject(&Outage::all(onset, 4 * 3600 + 1800, 0.3));
    let b = series.bucket_at(onset).unwrap();
    for e in 0..4 {
        let (kept, had) = (
            column_sum(&series, e, b..b + 4).0,
            column_sum(&original, e, b..b + 4).0,
        );
        assert!(
            (kept / had - 0.3).abs() < 0.03,
            "event {e}: {kept} of {had}"
        );
        let half = series.row(b + 4)[e] / original.row(b + 4)[e];
        assert!((half - 0.65).abs() < 0.08, "event {e}: {half}");
    }
    assert_eq!(series.row(b + 5), original.row(b + 5));
    assert_eq!(series.row(b - 1), original.row(b - 1));
}

#[test]
fn injections_are_repeatable() {
    let mut a = week_of_minutes(13, 40.0);
    let mut b = a.clone();
    let outage = Outage::events(&["Complete Payment"], MONDAY + DAY, 4 * 3600, 0.5);
    a.inject(&outage);
    b.inject(&outage);
    assert_eq!(a, b);
}

#[test]
fn a_campaign_multiplies_every_step_on_its_plateau() {
    let original = week_of_minutes(14, 20.0);
    let mut series = original.clone();
    let start = MONDAY + 3 * DAY + 12 * 3600;
    series.add_campaign(Campaign {
        start,
        duration_secs: 4 * 3600,
        multiplier: 3.0,
    });
    // The plateau: after the 10-minute ramp up, before the 30-minute ramp down.
    let b = series.bucket_at(start).unwrap();
    let plateau = b + 10..b + 4 * 60 - 30;
    for e in 0..4 {
        let ratio =
            column_sum(&series, e, plateau.clone()).0 / column_sum(&original, e, plateau.clone()).0;
        assert!((ratio - 3.0).abs() < 0.3, "event {e}: ×{ratio}");
    }
    assert_eq!(series.row(b + 4 * 60), original.row(b + 4 * 60));
    assert_eq!(series.campaigns.len(), 1);
}

#[test]
fn random_campaigns_start_in_the_local_daytime() {
    let mut shop = Shop::new(15, 20.0);
    shop.campaigns_per_week = 5.0;
    shop.utc_offset_secs = 3600;
    let series = shop.generate(MONDAY, 60, 4 * WEEK as usize / 60);
    assert!(series.campaigns.len() >= 10, "{}", series.campaigns.len());
    for c in &series.campaigns {
        let hour = (c.start + 3600).rem_euclid(DAY) / 3600;
        assert!((8..20).contains(&hour), "{c:?}");
        assert!((2.0..=5.0).contains(&c.multiplier));
        assert!((3600..=6 * 3600).contains(&c.duration_secs));
    }
}

#[test]
fn a_holiday_is_a_mild_dip_of_that_day_only() {
    let mut shop = Shop::new(16, 30.0);
    let plain = shop.generate(MONDAY, 3600, 7 * 24);
    shop.holidays.push(Holiday {
        date: chrono::NaiveDate::from_ymd_opt(2026, 1, 7).unwrap(),
        factor: 0.8,
    });
    let dipped = shop.generate(MONDAY, 3600, 7 * 24);
    for b in 0..plain.len() {
        let ratio = dipped.expected_row(b)[0] / plain.expected_row(b)[0];
        let want = if (48..72).contains(&b) { 0.8 } else { 1.0 };
        assert!((ratio - want).abs() < 1e-9, "bucket {b}: {ratio}");
    }
}

#[test]
fn the_csv_has_one_row_per_event_and_bucket() {
    let series = Shop::new(17, 5.0).generate(MONDAY + 150, 300, 3);
    let mut out = Vec::new();
    series.write_csv(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 3 * 4);
    assert_eq!(lines[0], "timestamp,event,count");
    assert!(
        lines[1].starts_with("2026-01-05T00:02:30Z,View Content,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[12].starts_with("2026-01-05T00:12:30Z,Complete Payment,"),
        "{}",
        lines[12]
    );
    let count: f64 = lines[5].rsplit(',').next().unwrap().parse().unwrap();
    assert_eq!(count, series.row(1)[0]);
}

#[test]
fn real_counts_can_be_wrapped_and_injected() {
    let counts = vec![1.5e6 + 0.5, 10.0, f64::NAN, 7.0];
    let mut series =
        crate::Series::from_counts(MONDAY, 3600, vec!["rps".into()], counts, vec![1.0; 4], 1);
    series.inject(&Outage::all(MONDAY, 2 * 3600 + 1800, 0.5));
    assert_eq!(series.row(0), [0.75e6 + 0.25]);
    assert!((0.0..=10.0).contains(&series.row(1)[0]));
    assert!(series.row(2)[0].is_nan());
    assert_eq!(series.row(3), [7.0]);
}
