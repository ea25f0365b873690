use super::*;

#[test]
fn status_partial_outage_for_1h36_costs_640() {
    let i = status(Health::PartialOutage, "10:00", Some("11:36"));
    let e = estimate(&i, None, &Model::default(), at("15:00"));
    assert_eq!(e.amount, Some(640.0));
    assert_eq!(e.summary, "est. $640 · 1.6 h × $800/h × 50% of funnel");
    assert_eq!((e.hours, e.funnel_share), (1.6, Some(0.5)));
    assert_eq!((e.currency.as_str(), e.is_final), ("USD", true));
    assert!(e.missing_inputs.is_empty());
    assert_eq!(e.computed_at, at("15:00"));
}

#[test]
fn partial_hours_across_clock_hours_add_up_to_the_total() {
    let i = status(Health::MajorOutage, "10:45", Some("12:15"));
    let e = estimate(&i, None, &Model::default(), at("15:00"));
    let hours: Vec<(DateTime<Utc>, f64, Option<f64>)> = e
        .by_hour
        .iter()
        .map(|h| (h.start, h.hours, h.amount))
        .collect();
    assert_eq!(
        hours,
        [
            (at("10:00"), 0.25, Some(200.0)),
            (at("11:00"), 1.0, Some(800.0)),
            (at("12:00"), 0.25, Some(200.0)),
        ]
    );
    assert_eq!(e.by_hour.iter().map(|h| h.hours).sum::<f64>(), e.hours);
    assert_eq!(e.amount, Some(1200.0));
    assert_eq!(e.summary, "est. $1,200 · 1.5 h × $800/h × 100% of funnel");
}

#[test]
fn a_status_incident_is_priced_by_its_severity_over_time() {
    // Degraded from 10:00, major from 11:00, the page unreadable at 11:30 (major
    // holds), operational from 11:45 while the recovery is confirmed, over at 12:00.
    let i = status(Health::MajorOutage, "10:00", Some("12:00"));
    let checks = [
        // The vendor dated its incident 10:00; its page said so only at 10:05.
        (at("10:01"), Health::Operational),
        (at("10:05"), Health::Degraded),
        (at("11:00"), Health::MajorOutage),
        (at("11:30"), Health::Unknown),
        (at("11:45"), Health::Operational),
    ];
    let e = estimate_status(&i, &checks, &Model::default(), at("15:00"));
    // 1 h × 25% + 0.75 h × 100% + 0.25 h × 0% = 1 h of the whole funnel.
    assert_eq!(e.amount, Some(800.0));
    assert_eq!(e.funnel_share, Some(0.5));
    let hours: Vec<Option<f64>> = e.by_hour.iter().map(|h| h.amount).collect();
    assert_eq!(hours, [Some(200.0), Some(600.0)]);
    assert!(
        e.summary.starts_with("est. $800 · ")
            && e.summary
                .ends_with("× 50% of funnel (by severity over time)"),
        "{}",
        e.summary
    );
    // Without checks it is its worst severity throughout, as `estimate` has it.
    let worst = estimate_status(&i, &[], &Model::default(), at("15:00"));
    assert_eq!(worst.amount, Some(1600.0));
    assert_eq!(worst, estimate(&i, None, &Model::default(), at("15:00")));
}

#[test]
fn unknown_severity_gives_no_figure_and_maintenance_a_real_zero() {
    let unknown = status(Health::Unknown, "10:00", Some("11:00"));
    let e = estimate(&unknown, None, &Model::default(), at("15:00"));
    assert_eq!(e.amount, None);
    assert_eq!(e.missing_inputs, ["severity unknown"]);
    assert_eq!(e.summary, "no estimate: severity unknown");
    assert!(e.by_hour.iter().all(|h| h.amount.is_none()));

    let planned = status(Health::Maintenance, "10:00", Some("11:00"));
    let e = estimate(&planned, None, &Model::default(), at("15:00"));
    assert_eq!(e.amount, Some(0.0), "maintenance weighs nothing by design");
}

/// Four event types; "Add to Cart" and "Initiate Checkout" flow as expected, the other
/// two go to zero from 10:00 to 13:00. Per ten-minute bucket, expected: 100, 50, 10, 5.
fn silent_pair() -> (Incident, VolumeSeries) {
    let events = [
        "Add to Cart",
        "Initiate Checkout",
        "Complete Payment",
        "Subscribe",
    ];
    let s = series(&events, "09:00", "14:00", |event, start| {
        let expected = match event {
            "Add to Cart" => 100.0,
            "Initiate Checkout" => 50.0,
            "Complete Payment" => 10.0,
            _ => 5.0,
        };
        let silent = events[2..].contains(&event) && start >= at("10:00") && start < at("13:00");
        (Some(expected), if silent { 0.0 } else { expected })
    });
    let i = volume(
        "10:00",
        Some("13:00"),
        &[("Complete Payment", 180.0, 0.0), ("Subscribe", 90.0, 0.0)],
    );
    (i, s)
}

#[test]
fn two_of_four_event_types_silent_for_3h_is_half_the_funnel() {
    let (i, s) = silent_pair();
    let e = estimate(&i, Some(&s), &Model::default(), at("15:00"));
    assert_eq!(e.amount, Some(1200.0));
    assert_eq!(e.funnel_share, Some(0.5));
    assert_eq!(
        e.summary,
        "est. $1,200 · 3 h × $800/h × 50% of funnel (equal weight per event type)"
    );
    assert_eq!(e.missing_conversions, Some(270.0));
    let by_event: Vec<(&str, f64, Option<f64>)> = e
        .by_event
        .iter()
        .map(|x| (x.event.as_str(), x.missing, x.amount))
        .collect();
    assert_eq!(
        by_event,
        [
            ("Complete Payment", 180.0, Some(600.0)),
            ("Subscribe", 90.0, Some(600.0))
        ]
    );
    assert!(e.by_hour.iter().all(|h| h.amount == Some(400.0)));
    assert_eq!(e.by_hour[0].missing, Some(90.0));
}

#[test]
fn with_a_value_for_every_event_type_the_share_is_by_value() {
    // Per bucket, value × expected: 100 × $1, 50 × $2, 10 × $50, 5 × $100 = 1,200;
    // the silent pair is 1,000 of it: 5/6 of the funnel, 3 h × $800 × 5/6 = $2,000.
    let (i, s) = silent_pair();
    let model = Model {
        conversion_values: [
            ("Add to Cart", 1.0),
            ("Initiate Checkout", 2.0),
            ("Complete Payment", 50.0),
            ("Subscribe", 100.0),
        ]
        .into_iter()
        .map(|(e, v)| (e.to_owned(), v))
        .collect(),
        ..Model::default()
    };
    let e = estimate(&i, Some(&s), &model, at("15:00"));
    assert_close(e.amount, 2000.0);
    assert_close(e.funnel_share, 5.0 / 6.0);
    assert_eq!(e.summary, "est. $2,000 · 3 h × $800/h × 83% of funnel");
    let payment = &e.by_event[0];
    assert_close(payment.amount, 2000.0 * 500.0 / 1000.0);
}

#[test]
fn without_a_series_the_drops_judge_the_affected_events_only_and_say_so() {
    let (i, _) = silent_pair();
    let e = estimate(&i, None, &Model::default(), at("15:00"));
    // Both affected event types lost everything: all of what is known was lost.
    assert_eq!(e.amount, Some(2400.0));
    assert!(e
        .summary
        .ends_with("(affected event types only, equal weight per event type)"));
    assert_eq!(e.missing_inputs.len(), 1);
    assert!(e.by_hour.iter().all(|h| h.missing.is_none()));

    let nothing = volume("10:00", Some("13:00"), &[]);
    let e = estimate(&nothing, None, &Model::default(), at("15:00"));
    assert_eq!(e.amount, None);
    assert!(e.summary.starts_with("no estimate"));
}

#[test]
fn forty_seven_missing_payments_at_65_with_80_percent_attribution() {
    let i = volume("10:00", Some("12:00"), &[("Complete Payment", 50.0, 3.0)]);
    let model = conversion_model(&[("Complete Payment", 65.0)], 0.8);
    let e = estimate(&i, None, &model, at("15:00"));
    assert_close(e.amount, 47.0 * 65.0 * 0.8);
    assert_eq!(
        e.summary,
        "est. $2,444 · 47 missing Complete Payment × $65 × 80% attribution"
    );
    assert_eq!(e.missing_conversions, Some(47.0));
    assert_eq!(e.funnel_share, None);
    let total: f64 = e.by_hour.iter().filter_map(|h| h.amount).sum();
    assert!(close(total, 2444.0), "{total}");
}

/// The detector expected 10 payments per bucket where the days before showed it runs
/// 20% low: half of them arriving is 7 missing per bucket, not 5.
#[test]
fn a_calibrated_expectation_prices_what_would_have_arrived() {
    let mut s = series(
        &["Complete Payment", "Subscribe"],
        "09:00",
        "12:00",
        |event, start| {
            let down = start >= at("10:00") && start < at("11:00");
            match event {
                "Complete Payment" => (Some(10.0), if down { 5.0 } else { 12.0 }),
                _ => (Some(5.0), 5.0),
            }
        },
    );
    s.events[0].calibration = Some(1.2);
    let i = volume("10:00", Some("11:00"), &[("Complete Payment", 60.0, 30.0)]);
    let model = conversion_model(&[("Complete Payment", 10.0)], 1.0);
    let e = estimate(&i, Some(&s), &model, at("15:00"));
    let payment = &e.by_event[0];
    assert_close(Some(payment.expected), 72.0);
    assert_close(Some(payment.missing), 42.0);
    assert_eq!(payment.calibration, Some(1.2));
    assert_close(e.amount, 420.0);

    // Without the series the drop's own totals are the detector's: nothing to scale.
    let e = estimate(&i, None, &model, at("15:00"));
    assert_eq!(e.by_event[0].calibration, None);
    assert_close(e.amount, 300.0);
}

/// During a campaign, the drop's buckets owe what the other event types' flow implies
/// (30 a bucket, three times the usual): already what would have arrived, so the
/// factor learnt against the profile is not applied to them.
#[test]
fn an_implied_expectation_is_priced_as_it_is() {
    let mut s = series(&["Complete Payment"], "09:00", "12:00", |_, start| {
        let down = start >= at("10:00") && start < at("11:00");
        if down {
            (Some(30.0), 10.0)
        } else {
            (Some(10.0), 12.0)
        }
    });
    for p in s.events[0].points.iter_mut() {
        p.implied = p.start >= at("10:00").timestamp() && p.start < at("11:00").timestamp();
    }
    s.events[0].calibration = Some(1.2);
    let i = volume("10:00", Some("11:00"), &[("Complete Payment", 180.0, 60.0)]);
    let model = conversion_model(&[("Complete Payment", 10.0)], 1.0);
    let e = estimate(&i, Some(&s), &model, at("15:00"));
    assert_close(Some(e.by_event[0].expected), 180.0);
    assert_close(Some(e.by_event[0].missing), 120.0);
    assert_close(e.amount, 1200.0);
}

#[test]
fn event_types_without_a_value_are_named_never_priced_at_zero() {
    let drops = [
        ("Add to Cart", 100.0, 20.0),
        ("Complete Payment", 50.0, 3.0),
    ];
    let i = volume("10:00", Some("12:00"), &drops);
    let some = conversion_model(&[("Complete Payment", 65.0)], 1.0);
    let e = estimate(&i, None, &some, at("15:00"));
    assert_eq!(e.amount, Some(3055.0));
    assert_eq!(
        e.missing_inputs,
        ["no value per conversion for Add to Cart"]
    );
    assert_eq!(
        e.summary,
        "est. $3,055 · 47 missing Complete Payment × $65 × 100% attribution · no value for Add to Cart"
    );
    assert_eq!(e.by_event[0].amount, None);
    assert_eq!(e.missing_conversions, Some(127.0));

    let none = conversion_model(&[("Subscribe", 9.0)], 1.0);
    let e = estimate(&i, None, &none, at("15:00"));
    assert_eq!(e.amount, None);
    assert_eq!(
        e.summary,
        "no estimate: set a value per conversion for Add to Cart, Complete Payment"
    );
    assert!(e.by_hour.iter().all(|h| h.amount.is_none()));
    assert!(e.by_event.iter().all(|x| x.amount.is_none()));

    let both = conversion_model(&[("Complete Payment", 65.0), ("Add to Cart", 2.0)], 1.0);
    let e = estimate(&i, None, &both, at("15:00"));
    assert_eq!(
        e.summary,
        "est. $3,215 · 127 missing conversions × values per event × 100% attribution"
    );
}

#[test]
fn status_incidents_have_no_conversion_counts_to_value() {
    let i = status(Health::MajorOutage, "10:00", Some("11:00"));
    let model = conversion_model(&[("Complete Payment", 65.0)], 1.0);
    let e = estimate(&i, None, &model, at("15:00"));
    assert_eq!(e.amount, None);
    assert!(e.missing_inputs[0].contains("conversion counts"));
    assert!(e.summary.starts_with("no estimate: "));
}

#[test]
fn a_surge_never_makes_missing_negative_nor_hides_a_loss() {
    // One event type: 10:00–11:00 surges to twice the expected, 11:00–12:00 loses half.
    let s = series(&["Complete Payment"], "10:00", "12:00", |_, start| {
        (Some(10.0), if start < at("11:00") { 20.0 } else { 5.0 })
    });
    let i = volume(
        "10:00",
        Some("12:00"),
        &[("Complete Payment", 120.0, 150.0)],
    );
    let model = conversion_model(&[("Complete Payment", 65.0)], 1.0);
    let e = estimate(&i, Some(&s), &model, at("15:00"));
    let missing: Vec<Option<f64>> = e.by_hour.iter().map(|h| h.missing).collect();
    assert_eq!(missing, [Some(0.0), Some(30.0)]);
    assert_eq!(e.by_event[0].missing, 30.0);
    assert_eq!(e.amount, Some(30.0 * 65.0));
    // The drop's totals alone show more seen than expected: nothing missing, not -30.
    let e = estimate(&i, None, &model, at("15:00"));
    assert_eq!(e.missing_conversions, Some(0.0));
    assert_eq!(e.amount, Some(0.0));
}

#[test]
fn an_open_incident_grows_with_now_and_is_final_once_ended() {
    let open = status(Health::PartialOutage, "10:00", None);
    let early = estimate(&open, None, &Model::default(), at("10:30"));
    let later = estimate(&open, None, &Model::default(), at("12:00"));
    assert_eq!((early.amount, later.amount), (Some(200.0), Some(800.0)));
    assert!(!early.is_final && !later.is_final);
    assert_eq!(early.summary, "est. $200 · 30 min × $800/h × 50% of funnel");

    // A volume incident's series ends at the last complete bucket; the hours after it
    // are assumed to lose what the judged ones did.
    let (mut i, s) = silent_pair();
    i.ended_at = None;
    let at_11 = estimate(&i, Some(&s), &Model::default(), at("11:00"));
    let at_11_30 = estimate(&i, Some(&s), &Model::default(), at("11:30"));
    assert_eq!((at_11.amount, at_11_30.amount), (Some(400.0), Some(600.0)));
    let cut = VolumeSeries {
        step_secs: s.step_secs,
        events: s
            .events
            .iter()
            .map(|e| EventSeries {
                event: e.event.clone(),
                calibration: e.calibration,
                points: e
                    .points
                    .iter()
                    .copied()
                    .filter(|p| p.start < at("11:00").timestamp())
                    .collect(),
            })
            .collect(),
    };
    let extrapolated = estimate(&i, Some(&cut), &Model::default(), at("11:30"));
    assert_eq!(extrapolated.amount, Some(600.0));
    assert_eq!(
        extrapolated.by_hour[1].missing, None,
        "not counted, only assumed"
    );

    i.ended_at = Some(at("13:00"));
    let done = estimate(&i, Some(&s), &Model::default(), at("20:00"));
    assert!(done.is_final);
    assert_eq!(done.amount, Some(1200.0));
}

#[test]
fn a_changed_model_is_visible_in_the_stored_estimate() {
    let i = status(Health::PartialOutage, "10:00", Some("11:36"));
    let before = estimate(&i, None, &Model::default(), at("15:00"));
    let dearer = Model {
        hourly_rate: 1000.0,
        ..Model::default()
    };
    let after = estimate(&i, None, &dearer, at("15:00"));
    assert_ne!(before.model, after.model);
    assert_ne!(
        before.model, dearer,
        "the stored model is the one it was made with"
    );
    assert_eq!(after.model, dearer);
    assert_eq!(after.amount, Some(800.0));
    let again = estimate(&i, None, &Model::default(), at("15:00"));
    assert_eq!(again, before);
}

#[test]
fn estimates_round_trip_as_snake_case_json() {
    let (i, s) = silent_pair();
    let e = estimate(&i, Some(&s), &Model::default(), at("15:00"));
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["model"]["kind"], "hourly_rate");
    assert_eq!(json["model"]["severity_weights"]["partial_outage"], 0.5);
    assert_eq!(json["is_final"], true);
    let back: Estimate = serde_json::from_value(json).unwrap();
    assert_eq!(back, e);
}

/// Payments dark from 10:00 and flowing again from 10:40, while at 11:00 the detector
/// is still confirming it; after 10:40 they run a little under the expectation, by
/// chance. "View Content" flows throughout. Per ten-minute bucket, expected: 100, 10.
fn payments_back_at_10_40() -> (Incident, VolumeSeries) {
    let s = series(
        &["View Content", "Complete Payment"],
        "09:00",
        "11:00",
        |event, start| match event {
            "View Content" => (Some(100.0), 100.0),
            _ if start >= at("10:00") && start < at("10:40") => (Some(10.0), 0.0),
            _ if start >= at("10:40") => (Some(10.0), 8.0),
            _ => (Some(10.0), 10.0),
        },
    );
    let mut i = volume("10:00", None, &[("Complete Payment", 40.0, 0.0)]);
    i.drops[0].back_since = Some(at("10:40"));
    (i, s)
}

#[test]
fn once_every_drop_flows_again_the_live_estimate_stops_at_the_end_it_will_have() {
    let (i, s) = payments_back_at_10_40();
    let valued = conversion_model(&[("Complete Payment", 50.0)], 1.0);
    let live = estimate(&i, Some(&s), &valued, at("11:00"));
    assert!(!live.is_final);
    assert_eq!(live.by_event[0].missing, 40.0, "{live:?}");
    assert_eq!(live.amount, Some(2000.0));
    let hourly = estimate(&i, Some(&s), &Model::default(), at("11:00"));
    // 40 min × $800/h × (40 of 40 payments missing, one of two event types).
    assert!(close(hourly.hours, 40.0 / 60.0), "{hourly:?}");
    assert!(close(hourly.amount.unwrap(), 800.0 * 40.0 / 60.0 * 0.5));
    // Later ticks while confirming add nothing, and the closed incident costs the same.
    let later = estimate(&i, Some(&s), &Model::default(), at("11:30"));
    assert_eq!(later.amount, hourly.amount);
    let mut closed = i.clone();
    closed.ended_at = Some(at("10:40"));
    closed.drops[0].end = Some(at("10:40"));
    closed.drops[0].back_since = None;
    let done = estimate(&closed, Some(&s), &Model::default(), at("12:00"));
    assert!(done.is_final);
    assert_eq!(done.amount, hourly.amount);
    assert_eq!(
        estimate(&closed, Some(&s), &valued, at("12:00")).amount,
        live.amount
    );

    // Until then it grows with the clock as before.
    let mut still_down = i.clone();
    still_down.drops[0].back_since = None;
    let e = estimate(&still_down, Some(&s), &valued, at("11:00"));
    assert!(close(e.hours, 1.0) && e.amount > live.amount, "{e:?}");
}

#[test]
fn an_event_type_counts_only_while_its_own_drop_lasts() {
    // Add to Cart is dark 10:00–10:20, then flows a little under its expectation by
    // chance while Initiate Checkout stays dark until 11:00. Per ten-minute bucket,
    // expected: 30, 10.
    let s = series(
        &["Add to Cart", "Initiate Checkout"],
        "10:00",
        "11:00",
        |event, start| match event {
            "Add to Cart" if start < at("10:20") => (Some(30.0), 0.0),
            "Add to Cart" => (Some(30.0), 27.0),
            _ => (Some(10.0), 0.0),
        },
    );
    let mut i = volume(
        "10:00",
        Some("11:00"),
        &[("Add to Cart", 60.0, 0.0), ("Initiate Checkout", 60.0, 0.0)],
    );
    i.drops[0].end = Some(at("10:20"));
    let valued = conversion_model(&[("Add to Cart", 2.0), ("Initiate Checkout", 20.0)], 1.0);
    let e = estimate(&i, Some(&s), &valued, at("12:00"));
    // Expected and observed are over the same stretch, so they add up in the window.
    let counts: Vec<(f64, f64, f64)> = e
        .by_event
        .iter()
        .map(|x| (x.expected, x.observed, x.missing))
        .collect();
    assert_eq!(counts, [(60.0, 0.0, 60.0), (60.0, 0.0, 60.0)], "{e:?}");
    assert_eq!(e.amount, Some(60.0 * 2.0 + 60.0 * 20.0));
    // Hourly: Add to Cart lost 60 of the hour's 180, Initiate Checkout all of its 60,
    // each one of two event types: (1/3 + 1) / 2 of the funnel for an hour.
    let hourly = estimate(&i, Some(&s), &Model::default(), at("12:00"));
    assert!(
        close(hourly.amount.unwrap(), 800.0 * 2.0 / 3.0),
        "{hourly:?}"
    );
}
