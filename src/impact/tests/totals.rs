use super::*;
use chrono::{FixedOffset, NaiveDate};

fn day(items: &[(Incident, Estimate)]) -> Vec<PeriodTotal> {
    totals(items, &Utc, Period::Day, at("00:00"), at("23:59"))
}

fn priced(i: Incident, s: Option<&VolumeSeries>, model: &Model) -> (Incident, Estimate) {
    let e = estimate(&i, s, model, at("23:00"));
    (i, e)
}

fn usd(t: &PeriodTotal) -> f64 {
    t.amounts.get("USD").copied().unwrap_or(f64::NAN)
}

#[test]
fn overlapping_volume_incidents_on_one_event_count_once() {
    // Payments stop from 10:00 to 13:00: $6,500 an hour lost. A drop covers 10–12, a
    // funnel break 11–13: counted apart they would claim $26,000, not $19,500.
    let s = series(&["Complete Payment"], "09:00", "14:00", |_, start| {
        let out = start >= at("10:00") && start < at("13:00");
        (Some(100.0 / 6.0), if out { 0.0 } else { 100.0 / 6.0 })
    });
    let model = conversion_model(&[("Complete Payment", 65.0)], 1.0);
    let drop = volume("10:00", Some("12:00"), &[("Complete Payment", 200.0, 0.0)]);
    let mut funnel = volume("11:00", Some("13:00"), &[("Complete Payment", 200.0, 0.0)]);
    funnel.id = 3;
    let items = [
        priced(drop, Some(&s), &model),
        priced(funnel, Some(&s), &model),
    ];
    assert_close(items[0].1.amount, 13_000.0);
    let t = day(&items);
    assert_eq!(t.len(), 1);
    assert!(close(usd(&t[0]), 19_500.0), "{}", usd(&t[0]));
    assert_eq!((t[0].incidents, t[0].without_estimate), (2, 0));
}

#[test]
fn a_status_incident_and_the_drop_it_caused_count_once() {
    // Segment is down 10:00–12:00 ($800/h); payments stop 10:30–12:30 ($800/h of the
    // whole funnel). Per hour, the larger of the pair: 800 + 800, then the drop alone
    // after the status incident ended: 400. Apart they would claim $3,200.
    let segment = status(Health::MajorOutage, "10:00", Some("12:00"));
    let s = series(&["Complete Payment"], "09:00", "14:00", |_, start| {
        let out = start >= at("10:30") && start < at("12:30");
        (Some(10.0), if out { 0.0 } else { 10.0 })
    });
    let drop = caused_by(
        volume("10:30", Some("12:30"), &[("Complete Payment", 120.0, 0.0)]),
        &segment,
    );
    let items = [
        priced(segment.clone(), None, &Model::default()),
        priced(drop.clone(), Some(&s), &Model::default()),
    ];
    assert_eq!(items[1].1.amount, Some(1600.0));
    assert!(close(usd(&day(&items)[0]), 2000.0));

    // Without the link, both count.
    let unlinked = Incident {
        cause: None,
        ..drop
    };
    let items = [
        priced(segment, None, &Model::default()),
        priced(unlinked, Some(&s), &Model::default()),
    ];
    assert!(close(usd(&day(&items)[0]), 3200.0));
}

#[test]
fn two_status_incidents_on_one_monitor_count_once_and_other_monitors_add() {
    let a = status(Health::MajorOutage, "10:00", Some("11:00"));
    let b = Incident {
        id: 5,
        ..status(Health::PartialOutage, "10:00", Some("11:00"))
    };
    let other = Incident {
        id: 6,
        monitor_id: "shopify".into(),
        ..status(Health::Degraded, "10:00", Some("11:00"))
    };
    let m = Model::default();
    let items = [
        priced(a, None, &m),
        priced(b, None, &m),
        priced(other, None, &m),
    ];
    assert!(close(usd(&day(&items)[0]), 800.0 + 200.0));
}

#[test]
fn a_total_splits_across_local_days() {
    // At +05:30, local midnight is 18:30 UTC: an outage 18:00–19:00 UTC is half on
    // the 5th, half on the 6th.
    let india = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
    let i = status(Health::MajorOutage, "18:00", Some("19:00"));
    let items = [priced(i, None, &Model::default())];
    let t = totals(&items, &india, Period::Day, at("00:00"), at("23:00"));
    let got: Vec<(NaiveDate, &str, f64, usize)> = t
        .iter()
        .map(|p| (p.start, p.label.as_str(), usd(p), p.incidents))
        .collect();
    let date = |d| NaiveDate::from_ymd_opt(2024, 3, d).unwrap();
    assert_eq!(
        got,
        [
            (date(5), "Tue 5 Mar 2024", 400.0, 1),
            (date(6), "Wed 6 Mar 2024", 400.0, 1),
        ]
    );
    // Only the part inside [from, to) counts.
    let t = totals(&items, &india, Period::Day, at("18:45"), at("23:00"));
    assert_eq!(t.len(), 1);
    assert_eq!(usd(&t[0]), 200.0);
}

#[test]
fn currencies_are_kept_apart_and_missing_figures_counted() {
    let dollars = status(Health::MajorOutage, "10:00", Some("11:00"));
    let euros = Incident {
        id: 7,
        monitor_id: "klaviyo".into(),
        ..status(Health::MajorOutage, "10:00", Some("11:00"))
    };
    let unknown = Incident {
        id: 8,
        monitor_id: "twilio".into(),
        ..status(Health::Unknown, "10:00", Some("11:00"))
    };
    let eur = Model {
        currency: "EUR".into(),
        hourly_rate: 500.0,
        ..Model::default()
    };
    let items = [
        priced(dollars, None, &Model::default()),
        priced(euros, None, &eur),
        priced(unknown, None, &Model::default()),
    ];
    let t = &day(&items)[0];
    let amounts: Vec<(&str, f64)> = t.amounts.iter().map(|(c, a)| (c.as_str(), *a)).collect();
    assert_eq!(amounts, [("EUR", 500.0), ("USD", 800.0)]);
    assert_eq!((t.incidents, t.without_estimate), (3, 1));
}

#[test]
fn weeks_start_on_monday_and_months_on_the_first() {
    let i = status(Health::MajorOutage, "10:00", Some("11:00"));
    let items = [priced(i, None, &Model::default())];
    let from: DateTime<Utc> = "2024-02-20T00:00:00Z".parse().unwrap();
    let to: DateTime<Utc> = "2024-03-12T00:00:00Z".parse().unwrap();
    let weeks = totals(&items, &Utc, Period::Week, from, to);
    let labels: Vec<&str> = weeks.iter().map(|w| w.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Week of 19 Feb 2024",
            "Week of 26 Feb 2024",
            "Week of 4 Mar 2024",
            "Week of 11 Mar 2024"
        ]
    );
    assert!(weeks[2].amounts.contains_key("USD") && weeks[1].amounts.is_empty());
    let months = totals(&items, &Utc, Period::Month, from, to);
    let got: Vec<(&str, usize)> = months
        .iter()
        .map(|m| (m.label.as_str(), m.incidents))
        .collect();
    assert_eq!(got, [("February 2024", 0), ("March 2024", 1)]);
    assert_eq!(usd(&months[1]), 800.0);
}
