//! Learning: the first two weeks, a stream coming online or learning again, and event
//! types too sparse to learn on their own.

use super::*;

#[test]
fn says_it_is_learning_for_the_first_two_weeks_and_raises_no_drop() {
    let mut shop = Shop::new(false);
    let alerts = shop.run(3 * 1440, |_, t| if t > MONDAY + 86_400 { 0.5 } else { 1.0 });
    assert!(alerts.is_empty(), "{alerts:?}");
    let status = shop.detector.status();
    assert_eq!(status.len(), 5);
    assert!(status.iter().all(|s| s.state == StreamState::Learning));
    assert!(status[0].learned > 0.2 && status[0].learned < 0.25);
}

#[test]
fn while_learning_a_stream_that_never_went_empty_for_a_day_going_dark_is_alerted() {
    let mut shop = Shop::new(false);
    // Twice the usual traffic: all events together, at twenty a minute by night, go
    // two nights without an empty minute but on one draw in 400,000 (at ten a
    // minute, one in twenty), while payments, at 1.6, have hundreds.
    assert!(shop.run(2 * 1440, |_, _| 2.0).is_empty());
    // At midnight, where the day's quietest hour sets the floor: the status says how
    // soon a silence would be alarmed, and that is minutes, not the learning weeks.
    let promised = shop.detector.status()[4].silence_alert_after_secs.unwrap();
    assert!(promised <= 10.0 * MINUTE as f64, "{promised}");
    let onset = shop.t;
    let alerts = shop.run(60, |_, _| 0.0);
    // All events together never had an empty minute; each event type's quiet nights
    // did, so none of them can say as much.
    assert_eq!(opened(&alerts), [(POOLED.to_owned(), AlertKind::Silence)]);
    assert!(
        (alerts[0].detected_at - onset) as f64 <= promised,
        "{alerts:?} against {promised} s"
    );
    assert!(shop.detector.status()[0].learned < 0.2);
}

#[test]
fn a_stream_coming_online_is_learnt_afresh_and_guarded_from_its_second_day() {
    let mut shop = Shop::new(false);
    // Three weeks without a single "Complete Payment", then it comes online, busier
    // than anything else (never an empty minute, even at night). Exact counts until
    // it goes dark, so that a chance alarm elsewhere cannot fail the test.
    let warm = shop.run_exact(3 * 7 * 1440, |i, _| if i == 3 { 0.0 } else { 1.0 });
    assert!(warm.is_empty(), "{warm:?}");
    let alerts = shop.run_exact(3 * 1440, |i, _| if i == 3 { 20.0 } else { 1.0 });
    assert!(alerts.is_empty(), "{alerts:?}");
    let payments = &shop.detector.status()[3];
    assert_eq!(payments.state, StreamState::Learning);
    assert!(shop.payments_go_dark(30) <= 5 * MINUTE);
}

#[test]
fn a_stream_learnt_afresh_says_so_until_it_has_learnt() {
    let mut shop = Shop::new(false);
    let payments = |i: usize, online: bool| match (i, online) {
        (3, false) => 0.0,
        (3, true) => 20.0,
        _ => 1.0,
    };
    shop.run_exact(3 * 7 * 1440, |i, _| payments(i, false));
    shop.run_exact(3 * 1440, |i, _| payments(i, true));
    let status = shop.detector.status();
    assert!(status[3].relearning, "{:?}", status[3]);
    assert!(
        !status[3].too_sparse,
        "far busier than its buckets: {:?}",
        status[3]
    );
    assert!(status
        .iter()
        .filter(|s| s.event != status[3].event)
        .all(|s| !s.relearning));
    shop.run_exact(15 * 1440, |i, _| payments(i, true));
    let status = &shop.detector.status()[3];
    assert_eq!(status.state, StreamState::Ok, "{status:?}");
    assert!(!status.relearning, "{status:?}");
}

#[test]
fn a_campaign_in_a_learning_week_is_left_out_of_an_event_type_too_sparse_to_see_it() {
    // Page views by the minute; a purchase every twenty minutes, every forty on
    // Wednesdays. A ×3 campaign on Wednesday 10:00–13:00 of the first learning week
    // gives purchases 4.5 an hour against 1.5 in the other week: a difference chance
    // could make, so the purchases alone would average the two weeks: 9 over the
    // three hours. The page views show the campaign.
    let usual = |t: i64| {
        let every = if (t - MONDAY) / 86_400 % 7 == 2 {
            40
        } else {
            20
        };
        [60.0, f64::from(u8::from((t / MINUTE) % every == 0))]
    };
    let campaign = MONDAY + 2 * 86_400 + 10 * 3600..MONDAY + 2 * 86_400 + 13 * 3600;
    let mut detector = Detector::new(DetectorOptions::new(MINUTE));
    for event in ["Page View", "Purchase"] {
        detector.event(event);
    }
    let two_weeks_later = campaign.start + 14 * 86_400;
    for t in (MONDAY..two_weeks_later).step_by(MINUTE as usize) {
        let scale = if campaign.contains(&t) { 3.0 } else { 1.0 };
        assert!(detector.push(t, &usual(t).map(|x| x * scale)).is_empty());
    }
    let purchases: f64 = (two_weeks_later..two_weeks_later + 3 * 3600)
        .step_by(MINUTE as usize)
        .map(|t| {
            detector.push(t, &usual(t));
            detector.expectations().nth(1).flatten().unwrap().expected
        })
        .sum();
    // With it, 5.2.
    assert!(
        (purchases - 4.5).abs() < 1.0,
        "{purchases} purchases expected over three hours that hold 4.5"
    );
}

/// Payments that start after learning, a few an hour, find a profile of nothing:
/// every payment is a surge, and after days of it the stream learns again. Too sparse
/// to fill quarter-hour slots in minute buckets, it says so, not that it ran high.
#[test]
fn a_stream_too_sparse_for_its_buckets_says_so_when_it_learns_again() {
    let mut shop = Shop::new(false);
    // About one payment in twelve minutes by day and one in two hours at night, none
    // in either learning week.
    let sparse = |i: usize, t: i64| match i {
        3 if t - MONDAY < 14 * 86_400 => 0.0,
        3 => 0.01,
        _ => 1.0,
    };
    shop.run(14 * 1440, sparse);
    let mut again = None;
    for _ in 0..7 * 24 {
        shop.run(60, sparse);
        let payments = &shop.detector.status()[3];
        if payments.relearning {
            again = Some(payments.clone());
            break;
        }
    }
    let payments = again.expect("learning again within a week of having learnt");
    assert!(payments.too_sparse, "{payments:?}");
    // It learns again in hourly slots, which a few payments an hour do fill: learnt,
    // it expects them by day and stays learnt.
    let mut expected_by_day = 0.0;
    for _ in 0..4 * 7 * 24 {
        shop.run(60, sparse);
        let payments = &shop.detector.status()[3];
        if payments.learned >= 1.0 && payments.state != StreamState::Learning {
            let hour = (shop.t / 3600) % 24;
            if (8..22).contains(&hour) {
                expected_by_day += payments.expected;
            }
        }
        assert!(!payments.too_sparse || payments.relearning, "{payments:?}");
    }
    let payments = &shop.detector.status()[3];
    assert!(!payments.relearning, "{payments:?}");
    assert!(expected_by_day > 0.0);
}

#[test]
fn an_event_type_at_a_few_events_a_day_is_learnt_once() {
    // Page views by the minute and three purchases a day, on the same daily curve.
    // Most of the purchases' quarter hours hold nothing on most days; the weekly
    // shape's cap must not take that for what the slot holds, or every later purchase
    // reads as a surge and the event type goes back to learning for weeks.
    let mut detector = Detector::new(DetectorOptions::new(MINUTE));
    detector.event("Page View");
    detector.event("Purchase");
    let mut rng = fastrand::Rng::with_seed(seed());
    // The daily curve's weight in minutes: 14 hours at the full rate, 10 at a tenth.
    let day_minutes = 14.0 * 60.0 + 10.0 * 60.0 * 0.1;
    let learnt = MONDAY + 14 * 86_400 + 3600;
    let mut expected = 0.0;
    for t in (MONDAY..MONDAY + 35 * 86_400).step_by(MINUTE as usize) {
        let daily = if (8..22).contains(&((t / 3600) % 24)) {
            1.0
        } else {
            0.1
        };
        let counts = [
            poisson(&mut rng, 60.0 * daily),
            poisson(&mut rng, 3.0 * daily / day_minutes),
        ];
        detector.push(t, &counts);
        let purchases = &detector.status()[1];
        assert!(
            t < learnt || (purchases.state != StreamState::Learning && !purchases.relearning),
            "day {}: {purchases:?}",
            (t - MONDAY) / 86_400
        );
        if t >= MONDAY + 14 * 86_400 {
            expected += purchases.expected;
        }
    }
    // Forty-odd purchases to learn from leave the estimate a few tens of percent off.
    let per_day = expected / 21.0;
    assert!(
        (per_day - 3.0).abs() < 1.5,
        "{per_day} purchases expected a day"
    );
}
